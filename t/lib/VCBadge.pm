package VCBadge;
# Helpers of the badge tests (t/badge/): checking an SVG with xmllint,
# reading the figures of a badge (size, accessible text, ids, texts and
# their lengths, fills), and running shields' own renderer, badge-maker,
# with node to compare.  badge-maker is found in $VC_BADGE_MAKER (its
# directory) or where scripts/deps installs it; when it or node is missing
# the test dies saying how to install them: it never skips.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();
use FindBin ();
use JSON::PP ();

our @EXPORT_OK = qw(xml_errors badge_info badge_maker_render);

# '' when svg is a well-formed XML document, else what xmllint says.
sub xml_errors {
    my $svg = shift;
    my $tmp = File::Temp->new(SUFFIX => '.svg');
    binmode $tmp;
    print $tmp $svg;
    close $tmp;
    my $out = qx{xmllint --noout "$tmp" 2>&1};
    die "t/badge needs xmllint (libxml2-utils): run scripts/deps\n" if $? == -1
        || ($? >> 8) == 127;
    return $? == 0 ? '' : ($out || "xmllint exit " . ($? >> 8));
}

sub unescape {
    my $s = shift;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g;
    $s =~ s/&apos;/'/g; $s =~ s/&amp;/&/g;
    return $s;
}

# The figures of a badge: width, height, role, aria (unescaped), title,
# ids (a list), texts (a list of { text, length, x, bold, fill }, the
# visible texts only, not their shadows), rects (the fills, in order).
sub badge_info {
    my $svg = shift;
    my %b;
    ($b{width}, $b{height}) = $svg =~ /^<svg [^>]*?width="([\d.]+)" height="([\d.]+)"/;
    ($b{role}) = $svg =~ /^<svg [^>]*role="([^"]*)"/;
    ($b{aria}) = map { unescape($_) } $svg =~ /^<svg [^>]*aria-label="([^"]*)"/;
    ($b{title}) = map { unescape($_) } $svg =~ m{<title>([^<]*)</title>};
    $b{ids} = [ $svg =~ /\bid="([^"]+)"/g ];
    $b{rects} = [ $svg =~ /<rect [^>]*fill="(#[0-9a-f]+)"/g ];
    $b{texts} = [];
    while ($svg =~ m{<text ([^>]*)>([^<]*)</text>}g) {
        my ($attrs, $text) = ($1, $2);
        next if $attrs =~ /fill-opacity/;           # a shadow
        my %t = (text => unescape($text));
        ($t{length}) = $attrs =~ /textLength="([\d.]+)"/;
        ($t{x}) = $attrs =~ /\bx="([\d.]+)"/;
        ($t{fill}) = $attrs =~ /\bfill="([^"]+)"/;
        $t{bold} = $attrs =~ /font-weight="bold"/ ? 1 : 0;
        push @{ $b{texts} }, \%t;
    }
    return \%b;
}

sub badge_maker_dir {
    my $dir = $ENV{VC_BADGE_MAKER}
        || '/opt/visitcount-test/node/node_modules/badge-maker';
    die "t/badge needs shields' badge-maker in $dir (or \$VC_BADGE_MAKER): "
        . "run scripts/deps\n" unless -f "$dir/lib/index.js";
    my $node = qx{node --version 2>/dev/null};
    die "t/badge needs node to run badge-maker: run scripts/deps\n" unless $node;
    return $dir;
}

# Renders each badge of cases (hashes of label, message, color, style) with
# badge-maker; returns the SVGs in the same order.
sub badge_maker_render {
    my $cases = shift;
    my $dir = badge_maker_dir();
    my $json = JSON::PP->new->utf8->canonical;
    my $in = File::Temp->new(SUFFIX => '.json');
    print $in $json->encode($cases);
    close $in;
    my $out = qx{node "$FindBin::Bin/badge-maker.mjs" "$dir" "$in"};
    die "badge-maker.mjs failed (exit " . ($? >> 8) . ")\n" if $?;
    return $json->decode($out);
}

1;
