# What each failure of the Redis server costs, against a real redis-server
# (over TCP, every write flushed before its reply) and a private httpd:
#   - httpd starts while Redis is down; counter requests answer 503 with
#     Retry-After, and JSON; a page under VisitCountPage is still served;
#     once Redis is up, hits count without an httpd restart;
#   - Redis killed (SIGKILL) and started again on the same data: the
#     acknowledged counts are intact, and httpd reconnects by itself;
#   - Redis stopped (SIGSTOP) under load: hits answer 503 within the
#     command timeout plus slack, static files stay served, and after
#     SIGCONT acknowledged <= final <= acknowledged + failed;
#   - the script cache flushed (SCRIPT FLUSH) again and again under load:
#     every hit still counts exactly once;
#   - maxmemory reached: 507 with JSON, nothing of the refused hit stored,
#     reads still served, and hits count again once memory is raised.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use Time::HiRes qw(sleep time);

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients distinct resolve_unknown);
use VCRedis;
use VCServer;

my $TIMEOUT_MS = 1000;      # VisitCountRedisCommandTimeout
my $SLACK      = 2;         # seconds on top of it a failing hit may take

plan tests => 41, need_fork;

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 30);
my $redis = VCRedis->new(name => 'failures');
# More workers than load clients, as a site has: a static file then finds
# a free one while hits wait for a stopped Redis.
my $srv = VCServer->new(name => 'failures', store => $redis->url, mpm_conf => <<'EOC', conf => <<"EOF");
<IfModule mpm_prefork_module>
    StartServers 20
    MinSpareServers 20
    MaxSpareServers 24
    MaxRequestWorkers 24
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 2
    ServerLimit 3
    ThreadLimit 8
    ThreadsPerChild 8
    MinSpareThreads 16
    MaxRequestWorkers 24
</IfModule>
EOC
CustomLog "logs/access_log" "%h %l %u %t \\"%r\\" %>s %b"
VisitCountRedisConnectTimeout 500
VisitCountRedisCommandTimeout $TIMEOUT_MS
VisitCountRedisFailFast 1s
LogLevel visitcount:info
$VCServer::API$VCServer::ADMIN<Directory "@{[ VCServer->top ]}/t/var/failures/htdocs/pages">
    VisitCountPage on
</Directory>
EOF
make_path($srv->dir . '/htdocs/pages');
for (['pages/page.html', "<p>a page</p>\n"], ['static.txt', "static\n"]) {
    open my $fh, '>', $srv->dir . "/htdocs/$_->[0]" or die "$!";
    print $fh $_->[1];
}

sub hit {
    my $key = shift;
    my $t0 = time;
    my $res = $http->post($srv->url("/api/visits/$key"));
    $res->{took} = time - $t0;
    $res->{json} = eval { $json->decode($res->{content}) } || {};
    return $res;
}
sub count_of { my $r = $http->get($srv->url("/api/visits/$_[0]"));
               $r->{status} == 200 ? $json->decode($r->{content})->{count} : "HTTP $r->{status}" }

# Hits key until one is acknowledged or $seconds pass: that hit's reply.
sub hit_until_counted {
    my ($key, $seconds) = @_;
    my $until = time + $seconds;
    my $res;
    do { $res = hit($key); sleep 0.1 unless $res->{status} == 200 }
        until $res->{status} == 200 || time > $until;
    return $res;
}

# ---- httpd starts while Redis is down ---------------------------------------

ok t_cmp($srv->start ? 1 : 0, 1, 'httpd starts while Redis is down');
my $down = hit('fail');
ok t_cmp($down->{status}, 503, 'a hit answers 503');
ok t_cmp($down->{json}, { error => 'counter store unavailable' }, 'with a JSON error');
ok t_cmp($down->{headers}{'retry-after'}, qr/^\d+$/, 'and Retry-After');
my $page = $http->get($srv->url('/pages/page.html'));
ok t_cmp("$page->{status} $page->{content}", "200 <p>a page</p>\n",
         'a page under VisitCountPage is still served');
ok t_cmp($srv->error_log, qr/VC0401: cannot connect to Redis at 127\.0\.0\.1:\d+/,
         'the error log says Redis cannot be reached (VC0401)');

ok t_cmp($redis->start ? 1 : 0, 1, 'Redis starts');
my $up = hit_until_counted('fail', 15);
ok t_cmp($up->{json}{count}, 1, 'the next hits count, from 1, without restarting httpd');
hit('fail') for 2 .. 20;
ok t_cmp(count_of('fail'), 20, '20 hits acknowledged');

# ---- killed, then started again on the same data ----------------------------

$redis->kill_now;
my $killed = hit('fail');
ok t_cmp($killed->{status}, 503, 'Redis killed: a hit answers 503');
ok t_cmp($killed->{json}{error}, 'counter store unavailable', 'with a JSON error');
ok t_cmp($http->get($srv->url('/pages/page.html'))->{status}, 200, 'the page is still served');
ok t_cmp($redis->start ? 1 : 0, 1, 'Redis starts again on the same data');
my $read;
my $until = time + 15;
do { $read = count_of('fail'); sleep 0.1 } until $read eq '20' || time > $until;
ok t_cmp($read, 20, 'every acknowledged hit is still counted');
ok t_cmp(hit_until_counted('fail', 15)->{json}{count}, 21, 'and httpd counts on, reconnected by itself');

# ---- stopped under load ------------------------------------------------------

my $tmp = $srv->dir . '/clients';
make_path($tmp);
my ($stopped_at, $continued, @static) = (0, 0);
my $start = time;
my $r = run_clients(port => $srv->port, keys => ['stopped'], clients => 8, seconds => 9,
                    timeout => 30, dir => $tmp, during => sub {
    my $t = time - $start;
    if (!$stopped_at && $t > 2) {
        $redis->pause;
        $stopped_at = time;
    }
    if ($stopped_at && !$continued && $t > 3) {
        # Static files while Redis is stopped: served, and not held up.
        my $t0 = time;
        my $res = HTTP::Tiny->new(timeout => 10)->get($srv->url('/static.txt'));
        push @static, [ $res->{status}, time - $t0 ];
    }
    if ($stopped_at && !$continued && $t > 6) {
        $redis->resume;
        $continued = 1;
    }
    return 1;
});
$redis->resume;
my $k = $r->{stopped};
my $acked = @{ $k->{counts} };
my $failed = @{ $k->{failures} } + @{ $k->{unknown} };
my $final = count_of('stopped');
my @status_503 = grep { /^HTTP 503/ } @{ $k->{failures} };
my $slowest_static = 0;
$slowest_static < $_->[1] and $slowest_static = $_->[1] for @static;
printf STDERR "# SIGSTOP for 4 s under load: %d hits acknowledged, %d failed (%d with 503);"
    . " final count %s; slowest hit %.2f s; %d static requests meanwhile, slowest %.2f s\n",
    $acked, $failed, scalar @status_503, $final, $r->{slowest}, scalar @static, $slowest_static;
ok t_cmp(scalar @status_503 > 0 ? 1 : 0, 1, 'hits answered 503 while Redis was stopped');
ok t_cmp($r->{slowest} < $TIMEOUT_MS / 1000 * 2 + $SLACK ? 1 : 0, 1,
         sprintf('none waited longer than the timeout plus slack (slowest %.2f s)', $r->{slowest}));
ok t_cmp(scalar(grep { $_->[0] != 200 } @static), 0, 'static files were served meanwhile');
ok t_cmp(scalar @static > 0 && $slowest_static < 3 ? 1 : 0, 1,
         sprintf('without waiting for Redis (slowest %.2f s)', $slowest_static));
ok t_cmp($final =~ /^\d+$/ && $final >= $acked ? 1 : 0, 1, "acknowledged ($acked) <= final ($final)");
ok t_cmp($final =~ /^\d+$/ && $final <= $acked + $failed ? 1 : 0, 1,
         "final ($final) <= acknowledged + failed (" . ($acked + $failed) . ')');
ok t_cmp(distinct(@{ $k->{counts} }), $acked, 'no count acknowledged twice');
ok t_cmp(hit_until_counted('stopped', 15)->{status}, 200, 'after SIGCONT hits count again');
ok t_cmp($srv->error_log, qr/VC0402: Redis at \S+: a hit got no answer in time/,
         'the error log says a hit got no answer in time (VC0402)');

# ---- SCRIPT FLUSH under load ---------------------------------------------------

my $flushes = 0;
my $next = time + 0.05;
$redis->command('CONFIG', 'RESETSTAT');
$r = run_clients(port => $srv->port, keys => ['flushed'], clients => 8, per_key => 4000,
                 seconds => 120, dir => $tmp, during => sub {
    if (time > $next) {
        $redis->command('SCRIPT', 'FLUSH');
        $flushes++;
        $next = time + 0.05;
    }
    return 1;
});
$k = $r->{flushed};
resolve_unknown('flushed', $k, $srv->port, $srv->dir . '/logs/access_log');
printf STDERR "# SCRIPT FLUSH %d times under load: %d of 4000 hits acknowledged, %d failed\n",
    $flushes, scalar @{ $k->{counts} }, @{ $k->{failures} } + @{ $k->{unknown} };
my %why;
$why{$_}++ for @{ $k->{failures} }, @{ $k->{unknown} };
printf STDERR "#   %d: %s\n", $why{$_}, $_ for sort keys %why;
my @sorted = sort { $a <=> $b } @{ $k->{counts} };
my ($noscript) = $redis->command('INFO', 'commandstats') =~ /^cmdstat_evalsha:.*failed_calls=(\d+)/m;
ok t_cmp($flushes >= 3 && ($noscript // 0) >= 1 ? 1 : 0, 1,
         "the script cache was flushed under load ($flushes times), and hits met NOSCRIPT ("
         . ($noscript // 'none') . ' times)');
ok t_cmp(@{ $k->{failures} } + @{ $k->{unknown} }, 0, 'no hit failed');
ok t_cmp(@sorted ? "$sorted[0]..$sorted[-1]" : 'none', '1..4000',
         'the acknowledged counts are exactly 1..4000');
ok t_cmp(count_of('flushed'), 4000, 'and the count is 4000: each hit counted once');

# ---- maxmemory -------------------------------------------------------------------

my $info = $redis->command('INFO', 'memory');
my ($used) = $info =~ /^used_memory:(\d+)/m;
$redis->command('CONFIG', 'SET', 'maxmemory', $used + 200_000);
my ($full, $n);
for $n (1 .. 20_000) {
    my $res = hit("mem/$n");
    if ($res->{status} != 200) {
        $full = $res;
        $full->{n} = $n;
        last;
    }
}
ok t_cmp($full ? $full->{status} : 'never', 507, 'once Redis holds maxmemory, a hit on a new key answers 507');
ok t_cmp($full && $full->{json}, { error => 'counter store is full' }, 'with a JSON error');
my $refused = $full ? "mem/$full->{n}" : 'none';
ok t_cmp(count_of($refused), 0, 'the refused key reads 0');
ok t_cmp(scalar @{ $redis->command('KEYS', "vc-failures:{$refused}*") }, 0,
         'nothing of the refused hit was written');
ok t_cmp($redis->command('ZSCORE', 'vc-failures:keys', $refused), undef,
         'nor is the key in the index');
my $kept = hit('fail');
ok t_cmp($kept->{status}, 507, 'a hit on an existing key is refused too (each hit writes)');
ok t_cmp(count_of('fail'), 21, 'reads are still served, the count intact');
ok t_cmp($http->get($srv->url('/admin/?prefix=mem/'))->{status}, 200, 'as is the admin list');
ok t_cmp($srv->error_log, qr/VC0403: .*OOM.*maxmemory/, 'the error log names OOM (VC0403)');
$redis->command('CONFIG', 'SET', 'maxmemory', 0);
ok t_cmp(hit($refused)->{json}{count}, 1, 'with the limit raised, the refused key counts from 1');
ok t_cmp(hit('fail')->{json}{count}, 22, 'and the old key goes on');

my $log = $srv->error_log;
ok t_cmp(scalar(() = $log =~ /exit signal|Segmentation fault/g), 0, 'no child crashed');
my @lines = grep { /VC0401|VC0402/ } split /\n/, $log;
ok t_cmp(scalar @lines < 200 ? 1 : 0, 1, 'failures were logged without flooding (' . scalar(@lines) . ' lines)');
$srv->stop;
$redis->stop;
