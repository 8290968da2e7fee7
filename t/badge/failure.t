# A badge is an image in someone else's page: when the store fails it
# still renders, as a grey "n/a" badge with status 200, never cached, and
# the failure is logged as every handler logs one (VC0202).  Both stores,
# in every pass of the suite: a Redis server that is not running (and
# then is: badges recover without a restart), and an LMDB map too full to
# take a new key.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use JSON::PP ();
use Time::HiRes qw(sleep time);

use lib "$FindBin::Bin/../lib";
use VCBadge qw(xml_errors badge_info);
use VCRedis;
use VCServer;

plan tests => 15, need_fork;

my $COUNTING = 'max-age=0, no-cache, no-store, must-revalidate';
my $BADGES = <<'EOF';
LogLevel visitcount:info
<Location "/badge">
    SetHandler visitcount-badge
</Location>
<Location "/badge-on">
    SetHandler visitcount-badge
    VisitCountBadgeCount on
</Location>
<Location "/api/visits">
    SetHandler visitcount
</Location>
EOF

sub badge { my ($srv, $path) = @_; $srv->request(GET => $path) }
sub na_badge {
    my ($res, $name) = @_;
    my $b = badge_info($res->{content});
    ok t_cmp("$res->{status} " . xml_errors($res->{content}), '200 ',
             "$name: a well-formed badge with 200");
    ok t_cmp(($b->{aria} // '') . ' ' . ($b->{rects}[1] // ''),
             'visits: n/a #939393', "$name: n/a, in grey");
}

# ---- Redis down ----------------------------------------------------------------

my $redis = VCRedis->new(name => 'badge-failure');
my $srv = VCServer->new(name => 'badge-redis', store => $redis->url, conf => $BADGES);
ok t_cmp($srv->start ? 1 : 0, 1, 'httpd starts while Redis is down');
my $res = badge($srv, '/badge/down');
na_badge($res, 'Redis down, a read');
ok t_cmp($res->{headers}{'cache-control'}, $COUNTING, 'never cached');
na_badge(badge($srv, '/badge-on/down'), 'Redis down, a counting fetch');
$res = badge($srv, '/badge/down?format=shields');
ok t_cmp(JSON::PP->new->decode($res->{content}),
         { schemaVersion => 1, label => 'visits', message => 'n/a',
           color => 'lightgrey', isError => JSON::PP::true },
         'format=shields: isError');
ok t_cmp($srv->error_log, qr/VC0202: store (read|hit) of key 'down' failed/,
         'the failure is logged (VC0202)');

ok t_cmp($redis->start ? 1 : 0, 1, 'Redis starts');
my $until = time + 15;
my $b;
do { $b = badge_info(badge($srv, '/badge-on/down')->{content}); sleep 0.1 }
    until ($b->{aria} // '') ne 'visits: n/a' || time > $until;
ok t_cmp($b->{aria}, 'visits: 1', 'then the badge counts and shows 1, without a restart');
$srv->stop;
$redis->stop;

# ---- LMDB full -----------------------------------------------------------------

$srv = VCServer->new(name => 'badge-lmdb', store => 'lmdb',
                     conf => "VisitCountMapSize 64K\n$BADGES");
ok t_cmp($srv->start ? 1 : 0, 1, 'httpd with a 64K LMDB map');
$srv->request(POST => '/api/visits/kept');
# Each fetch counts a new key, until the map has no room for one: the
# first failure of the process is logged (later ones are rate-limited).
my ($full, $key);
for my $i (1 .. 5000) {
    $key = sprintf 'fill/%05d', $i;
    $full = badge($srv, "/badge-on/$key");
    last if ($full->{status} != 200
             || (badge_info($full->{content})->{aria} // '') ne 'visits: 1');
}
na_badge($full, "LMDB full, a counting fetch of a new key ($key)");
ok t_cmp($srv->error_log, qr/VC0202: store hit of key '\Q$key\E' failed: MDB_MAP_FULL/,
         'the failure is logged (VC0202) with LMDB\'s words');
ok t_cmp(badge_info(badge($srv, '/badge/kept')->{content})->{aria}, 'visits: 1',
         'a read of an existing key still shows its count');
