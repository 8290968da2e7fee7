# The record of today's visitors is bounded (VisitCountMapSize / 512
# entries: 1,024 for a 512K map), so a flood of made-up User-Agents cannot
# fill the store.  Past the bound new visitors still count, but are not
# remembered: not unique, and not deduplicated.  The error log says so
# once, and everything remembered before keeps working.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use HTTP::Tiny ();
use JSON::PP ();
use VCServer;

plan tests => 7;

my $srv = VCServer->new(name => 'seenbound', conf => <<'CONF');
VisitCountMapSize 512K
LogLevel warn
<Location "/v">
    SetHandler visitcount
    VisitCountBots ignore
    VisitCountDedupe 30m
    VisitCountUnique on
</Location>
CONF

my $json = JSON::PP->new->utf8;
sub visit {
    my $n = shift;
    my $res = HTTP::Tiny->new(agent => "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.$n")
                        ->request(POST => $srv->url('/v/flood'));
    return eval { $json->decode($res->{content}) } || { status => $res->{status} };
}

ok t_cmp($srv->start, 1, 'server with a 512K map starts');
my ($d, $counted) = (undef, 0);
for my $n (1 .. 1030) {
    $d = visit($n);
    $counted++ if $d->{counted};
}
ok t_cmp($counted, 1030, 'all 1,030 distinct visitors count');
ok t_cmp([$d->{count}, $d->{unique}], [1030, 1024],
         'only the first 1,024 are remembered as unique visitors');
ok t_cmp(visit(1)->{reason} // 'counted', 'duplicate',
         'a remembered visitor refreshing is still a duplicate');
$d = visit(1030);
ok t_cmp([$d->{counted} ? 1 : 0, $d->{count}], [1, 1031],
         'a visitor past the bound is not remembered, so counts again');
my @lines = grep { /VC0206/ } split /\n/, $srv->error_log;
ok t_cmp(scalar @lines >= 1 && scalar @lines <= 6 ? 1 : 0, 1,
         'the error log says so, once per child (' . scalar(@lines) . ')');
ok t_cmp($srv->error_log, qr/raise VisitCountMapSize/, 'and says what to do');
$srv->stop;
