# Our badges are as wide as shields' own: many ASCII labels and counts, in
# each of the four styles, rendered by the badge handler and by shields'
# renderer (the badge-maker npm package, run with node; scripts/deps
# installs both, and this test fails, never skips, without them).  Every
# text's length and every badge's width must agree within one pixel.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil;
use VCBadge qw(badge_info badge_maker_render);
use VCTest qw(admin_put);

my @STYLES = qw(flat flat-square plastic for-the-badge);

plan tests => 2 + 4 * @STYLES;

# Labels: each printable character alone and beside letters, words, and
# random strings of printable ASCII (the same ones every run).
my @labels = ('visits', 'Hits', 'page views', 'Profile views', 'WWW', 'iii',
              'a b  c', 'MiXeD 123 !?', q{<&>"'}, '{[()]}', '~`^_|\\/@#$%*+=:;,.-');
push @labels, chr($_), "a" . chr($_) . "Z" for 33 .. 126;
srand(13);
for (1 .. 150) {
    my $n = 1 + int rand 40;
    push @labels, join '', map { chr(32 + int rand 95) } 1 .. $n;
}
# Leading and trailing spaces are trimmed alike; a label of spaces alone
# is no label.
@labels = grep { /\S/ } @labels;

# Counts, shown whole and abbreviated.
my @counts = (0, 7, 42, 111, 1000, 1049, 1050, 9999, 12345, 999999,
              1234567, 987654321, '18446744073709551615');
for my $i (0 .. $#counts) {
    admin_put("badge-w/$i", $counts[$i]);
}

sub escape { my $s = shift; $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $s }

my (@ours, @cases);
my $i = 0;
for my $label (@labels) {
    for my $style (@STYLES) {
        my $k = $i++ % @counts;
        my $abbr = $i % 2;
        my $res = GET "/badge/badge-w/$k?label=" . escape($label)
                      . "&style=$style&abbreviated=$abbr";
        my $b = badge_info($res->content);
        # the count as our badge shows it (vc_svg_abbreviate is unit-tested)
        my $message = $abbr ? $b->{texts}[-1]{text} : $counts[$k];
        push @ours, $b;
        push @cases, { label => $label, message => "$message",
                       color => 'brightgreen', style => $style };
    }
}
my $theirs = badge_maker_render(\@cases);
ok t_cmp(scalar @$theirs, scalar @cases, 'badge-maker rendered every case');
ok t_cmp(scalar @cases > 4 * 300 ? 1 : 0, 1, scalar(@cases) . ' badges compared');

for my $style (@STYLES) {
    my (%bad, %exact, $n);
    for my $c (0 .. $#cases) {
        next unless $cases[$c]{style} eq $style;
        $n++;
        my ($o, $t) = ($ours[$c], badge_info($theirs->[$c]));
        my $what = "label '$cases[$c]{label}', message '$cases[$c]{message}'";
        for my $part (0, 1) {
            my ($ol, $tl) = map { $_->{texts}[$part] ? $_->{texts}[$part]{length} : -1 } $o, $t;
            my $name = $part ? 'message' : 'label';
            if (abs($ol - $tl) > 10) {       # textLength is in tenths of a pixel
                push @{ $bad{$name} }, "$what: $name $ol vs $tl";
            }
            $exact{$name}++ if $ol == $tl;
        }
        push @{ $bad{badge} }, "$what: width $o->{width} vs $t->{width}"
            if abs($o->{width} - $t->{width}) > 1;
        $exact{badge}++ if $o->{width} == $t->{width};
        my ($ot, $tt) = map { join ' | ', map { $_->{text} } @{ $_->{texts} } } $o, $t;
        push @{ $bad{text} }, "$what: '$ot' vs '$tt'" if $ot ne $tt;
    }
    for my $name (qw(label message badge)) {
        my @b = @{ $bad{$name} || [] };
        t_debug($_) for @b[0 .. ($#b < 9 ? $#b : 9)];
        ok t_cmp(scalar @b, 0, "$style: every ${name}'s width within 1 px of "
                 . "badge-maker's ($n badges, " . ($exact{$name} || 0) . ' exact)');
    }
    my @b = @{ $bad{text} || [] };
    t_debug($_) for @b[0 .. ($#b < 9 ? $#b : 9)];
    ok t_cmp(scalar @b, 0, "$style: the same texts as badge-maker's");
}
