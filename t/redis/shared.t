# Two servers, one Redis: what a site with several httpd servers behind a
# load balancer gets.  Two private httpds, one under the event MPM and one
# under prefork, share one redis-server (over TCP) and one key prefix.
#   - 64 clients send 20,000 POSTs to one key, half to each server: every
#     200 reply carries a distinct count, the counts are exactly 1..20,000,
#     and both servers then read 20,000.
#   - A visitor counted on one server who refreshes on the other is a
#     duplicate; unique visitors and the daily history are the same on
#     both, and there is one daily secret, which the first server made.
# A request whose connection ends before any reply is settled as in
# t/load/exact.t: sent again only once both access logs prove it was never
# processed.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients distinct resolve_unknown);
use VCRedis;
use VCServer;

my $TOTAL   = 20_000;
my $CLIENTS = 64;

plan tests => 21, need_fork;

my $json = JSON::PP->new->canonical;
my $redis = VCRedis->new(name => 'shared');
$redis->start or die "redis-server did not start:\n" . $redis->log;

# Enough workers for half the clients each, so that neither server has to
# close keep-alive connections for want of a worker.
my %mpm_conf = (event => <<'EOF', prefork => <<'EOF');
<IfModule mpm_event_module>
    StartServers 2
    ServerLimit 4
    ThreadLimit 16
    ThreadsPerChild 16
    MinSpareThreads 16
    MaxSpareThreads 64
    MaxRequestWorkers 64
</IfModule>
EOF
<IfModule mpm_prefork_module>
    StartServers 34
    MinSpareServers 34
    MaxSpareServers 40
    MaxRequestWorkers 40
</IfModule>
EOF

my %srv;
for my $mpm (qw(event prefork)) {
    $srv{$mpm} = VCServer->new(name => "shared-$mpm", mpm => $mpm,
                               store => $redis->url, prefix => 'site:',
                               mpm_conf => $mpm_conf{$mpm}, conf => <<'EOF');
CustomLog "logs/access_log" "%h %l %u %t \"%r\" %>s %b"
<Location "/api/visits">
    SetHandler visitcount
</Location>
# The module's own visitor rules, as a real site runs them.
<Location "/visitors">
    SetHandler visitcount
    VisitCountBots ignore
    VisitCountDedupe 30m
    VisitCountUnique on
</Location>
EOF
    ok t_cmp($srv{$mpm}->start ? 1 : 0, 1, "the $mpm server starts");
}
my @servers = map { $srv{$_} } qw(event prefork);

my $http = HTTP::Tiny->new(timeout => 30);
sub get_json {
    my ($srv, $path) = @_;
    my $res = $http->get($srv->url($path));
    return $res->{status} == 200 ? $json->decode($res->{content}) : { status => $res->{status} };
}
sub visit {
    my ($srv, $path, $ua) = @_;
    my $res = $http->post($srv->url($path), { headers => { 'User-Agent' => $ua } });
    return $res->{status} == 200 ? $json->decode($res->{content}) : { status => $res->{status} };
}

# ---- load split across both servers ----------------------------------------

my $key = "shared-$$";
my $tmp = $srv{event}->dir . '/clients';
make_path($tmp);
my $r = run_clients(ports => [ map { $_->port } @servers ], keys => [$key],
                    clients => $CLIENTS, per_key => $TOTAL, seconds => 180, dir => $tmp);
my $k = $r->{$key};
my $resent = resolve_unknown($key, $k, $srv{event}->port,
                             map { $_->dir . '/logs/access_log' } @servers);
printf STDERR "# %d POSTs by %d clients, half to each server (event, prefork), in"
    . " %.1f s: %.0f requests/s; %d sent again after a closed keep-alive connection\n",
    $TOTAL, $CLIENTS, $r->{seconds}, $TOTAL / $r->{seconds}, $resent;
my %why;
$why{$_}++ for @{ $k->{failures} };
printf STDERR "#   %d failed: %s\n", $why{$_}, $_ for sort keys %why;

my @counts = sort { $a <=> $b } @{ $k->{counts} };
ok t_cmp(scalar @{ $k->{failures} }, 0, 'no request failed');
ok t_cmp(scalar @counts, $TOTAL, "$TOTAL POSTs answered 200");
ok t_cmp(distinct(@counts), scalar @counts, 'every 200 reply has a distinct count');
ok t_cmp(@counts ? "$counts[0]..$counts[-1]" : 'none', "1..$TOTAL",
         'the counts are exactly 1..N across both servers');
for my $mpm (qw(event prefork)) {
    ok t_cmp(get_json($srv{$mpm}, "/api/visits/$key")->{count}, $TOTAL,
             "the $mpm server reads $TOTAL");
}
ok t_cmp(scalar @{ $redis->command('KEYS', "site:{$key}*") } >= 1 ? 1 : 0, 1,
         'the count lives in Redis under the shared prefix');

# ---- one visitor, two servers ------------------------------------------------

my $page = "/visitors/page-$$";
my $ua = 'Mozilla/5.0 (X11; Linux x86_64) SharedProbe/1.0 Firefox/133.0';
my $first = visit($srv{event}, $page, $ua);
ok t_cmp($first->{counted}, JSON::PP::true, 'a visit counts on the event server');
my $again = visit($srv{prefork}, $page, $ua);
ok t_cmp($again->{counted}, JSON::PP::false, 'the same visitor on the prefork server');
ok t_cmp($again->{reason}, 'duplicate', 'is a duplicate there');
my $other = visit($srv{prefork}, $page, "$ua Other/2");
ok t_cmp($other->{counted}, JSON::PP::true, 'another visitor counts on the prefork server');
ok t_cmp($other->{unique}, 2, 'as the second unique visitor of the day');
my $back = visit($srv{event}, $page, "$ua Other/2");
ok t_cmp($back->{reason}, 'duplicate', 'and is a duplicate back on the event server');
my @reads = map { get_json($srv{$_}, "$page?days=2") } qw(event prefork);
ok t_cmp("$reads[0]{count}/$reads[0]{unique}", '2/2', 'the event server reads 2 visits, 2 unique');
ok t_cmp($json->encode($reads[1]), $json->encode($reads[0]),
         'the prefork server reads the same counts and history');
ok t_cmp("$reads[0]{daily}[1]{count}/$reads[0]{daily}[1]{unique}", '2/2',
         "today's bucket holds both");

my @secrets = @{ $redis->command('KEYS', 'site:secret:*') };
ok t_cmp(scalar @secrets, 1, 'one daily secret, shared by both servers');
my $ttl = @secrets ? $redis->command('TTL', $secrets[0]) : -2;
ok t_cmp($ttl > 0 && $ttl <= 48 * 3600 ? 1 : 0, 1,
         "the secret expires by itself within 48 hours (TTL $ttl s)");

my $logs = join '', map { $_->error_log } @servers;
ok t_cmp(scalar(() = $logs =~ /exit signal|Segmentation fault|VC0402|VC0403/g), 0,
         'no crashed child and no Redis failure in either error log');
$_->stop for @servers;
$redis->stop;
