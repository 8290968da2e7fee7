# Chaos: while 16 clients POST hits, a random child of httpd is killed
# with SIGKILL about every 0.5 s for 20 s, in each durability mode.  A hit
# is acknowledged only by a 200 reply; a killed child takes the hits in
# flight with it, unacknowledged.  Afterwards
#   acknowledged <= final count <= acknowledged + failed,
# no count was acknowledged twice, none above the final count, no request
# waited 15 s inside httpd, the database passes mdb_stat and a full mdb_dump, and the
# error log shows no LMDB panic and no child dying of anything but our
# SIGKILLs.  Then, in a test build, a child is killed while it holds the
# write transaction (VisitCount-Test-Crash), and the next hit, in another
# child, must succeed and not see the dead transaction's change.
#
# In the Redis pass of the suite the same runs against a private
# redis-server instead of the three LMDB modes: the invariant is the same,
# and afterwards Redis must still answer and hold every acknowledged hit.
# There the test hook kills the child once the hit's script is sent and
# before its reply is read: Redis may have counted it, but once only.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients check_invariant);
use VCServer;
use VCRedis;

my $REDIS   = VCServer::suite_store_kind() eq 'redis';
my @MODES   = $REDIS ? qw(redis) : qw(strict group relaxed);
my $SECONDS = 20;       # of killing
my $CLIENTS = 16;
# Seconds after which a request without an answer counts as stuck.  One
# can sit in the listen queue while the parent replaces the children we
# kill (it starts one a second at first), longer on a busy machine; that
# is the MPM's to solve, and is only reported.  A request that an httpd
# process holds that long is stuck in httpd (behind a dead child's lock,
# say), and fails the test.
my $HANG    = 15;

# A known fault, left visible as a TODO check until it is fixed: in about
# one CI run in two, one or two children of a grouping mode (group or
# relaxed) stop answering for good: ss(8) shows them holding requests
# they have read and never answer, while the other children count on and
# every count stays exact.  It has not happened in strict mode, with
# Redis, or outside CI (docs/testing.md, "Known faults").
my %KNOWN_HANG = map { $_ => 1 } qw(group relaxed);
my @todo = map { 9 * $_ + 7 } grep { $KNOWN_HANG{ $MODES[$_] } } 0 .. $#MODES;

my ($mdb_stat) = grep { -x } map { "$_/mdb_stat" } split /:/, $ENV{PATH} // '';
plan tests => 9 * @MODES + 6, todo => \@todo,
    need need_fork, { 'mdb_stat is not installed (lmdb-utils)' => $mdb_stat || $REDIS };

my $redis;
if ($REDIS) {
    $redis = VCRedis->new(name => 'chaos');
    $redis->start or die "redis-server did not start:\n" . $redis->log;
}

my $json = JSON::PP->new;

# Several children, so that killing one leaves others serving.
my $mpm_conf = <<'EOF';
<IfModule mpm_prefork_module>
    StartServers 8
    MinSpareServers 8
    MaxSpareServers 16
    MaxRequestWorkers 24
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 4
    ServerLimit 6
    ThreadLimit 8
    ThreadsPerChild 8
    MinSpareThreads 16
    MaxSpareThreads 48
    MaxRequestWorkers 48
</IfModule>
EOF

sub server {
    my $mode = shift;
    my $srv = VCServer->new(name => "chaos-$mode", mpm_conf => $mpm_conf,
                            $REDIS ? (store => $redis->url) : (),
                            conf => ($REDIS ? '' : "VisitCountDurability $mode\n")
                                    . "LogLevel notice\n" . $VCServer::API);
    $srv->start or die "the $mode server did not start:\n" . $srv->error_log;
    return $srv;
}

# The count of $key once the server answers again (its children are being
# replaced), or why not.
sub final_count {
    my ($srv, $key) = @_;
    my $http = HTTP::Tiny->new(timeout => 5);
    for (1 .. 50) {
        my $res = $http->get($srv->url("/api/visits/$key"));
        return $json->decode($res->{content})->{count} if $res->{status} == 200;
        sleep 0.2;
    }
    return 'no answer';
}

# The store afterwards: LMDB's files read through, or Redis answers and
# has not been reloading.
sub db_is_sound {
    my $db = shift;
    if ($REDIS) {
        my $info = eval { $redis->command('INFO', 'persistence') } // '';
        return $info =~ /^loading:0/m && $info =~ /^aof_last_write_status:ok/m
               ? 'sound' : "redis: $info";
    }
    my $stat = system("$mdb_stat -a '$db' >/dev/null 2>&1") == 0;
    my $dump = system("mdb_dump -a '$db' >/dev/null 2>&1") == 0;
    return $stat && $dump ? 'sound' : "mdb_stat ok=$stat, mdb_dump ok=$dump";
}

# Child deaths the error log reports: httpd says nothing of a SIGKILL (ours),
# but names any other signal a child died of (at notice level).
sub other_deaths {
    my $log = shift;
    my @bad = grep { /exit signal/ } split /\n/, $log;
    push @bad, grep { /MDB_PANIC|Segmentation fault|AddressSanitizer/ } split /\n/, $log;
    return scalar @bad;
}

for my $mode (@MODES) {
    my $srv = server($mode);
    my $key = "chaos-$mode";
    my ($kills, $next) = (0, time + 0.5);
    my $stop_killing = time + $SECONDS;
    my $killer = sub {
        return 0 if time > $stop_killing;
        return 1 if time < $next;
        my @kids = VCServer::children($srv->pid);
        if (@kids) {
            kill 'KILL', $kids[int rand @kids];
            $kills++;
        }
        $next = time + 0.4 + rand 0.2;
        return 1;
    };
    my $r = run_clients(port => $srv->port, keys => [$key], clients => $CLIENTS,
                        seconds => $SECONDS + 2, timeout => $HANG, during => $killer,
                        dir => $srv->dir);
    my $k = $r->{$key};
    my $acked = @{ $k->{counts} };
    my $failed = @{ $k->{failures} } + @{ $k->{unknown} };
    my $final = final_count($srv, $key);
    printf STDERR "# %s: %d children killed; %d hits acknowledged, %d failed or "
        . "unknown; final count %s; slowest request %.2f s (%s MPM)\n",
        $mode, $kills, $acked, $failed, $final, $r->{slowest}, VCServer::current_mpm();

    # A request nobody answered: in httpd (a hang, which fails below), or
    # in the listen queue while the parent replaces the children we kill.
    print STDERR "# $mode: no answer in $HANG s: $_\n" for grep { /^timed out/ } @{ $k->{failures} };
    for my $bt (glob($srv->dir . '/stuck-*.bt'), glob($srv->dir . '/writer-lock.txt')) {
        open my $fh, '<', $bt or next;
        print STDERR "# $bt: $_" for grep { /^#|^Thread|^lock word|^cannot/ } <$fh>;
    }

    ok t_cmp($kills >= $SECONDS ? 1 : 0, 1, "$mode: $kills children killed in ${SECONDS} s");
    ok t_cmp($acked > 0 ? 1 : 0, 1, "$mode: hits were acknowledged meanwhile ($acked)");
    check_invariant("$mode: ", $k, $final);
    my @stuck = grep { /^timed out .*held by pid/ } @{ $k->{failures} };
    ok t_cmp(scalar @stuck, 0,
             sprintf("%s: no request waited %d s in httpd (slowest %.2f s)",
                     $mode, $HANG, $r->{slowest}));
    $srv->stop;
    ok t_cmp(db_is_sound($srv->dir . '/db'), 'sound', $REDIS
             ? "$mode: afterwards Redis answers, its append-only file written"
             : "$mode: afterwards mdb_stat -a and mdb_dump -a read the whole database");
    ok t_cmp(other_deaths($srv->error_log), 0,
             "$mode: no LMDB panic, no child died of anything but SIGKILL");
}

# ---- a child killed while it holds the write transaction ------------------

my $srv = server('group');
my $http = HTTP::Tiny->new(timeout => 10);
my %before = map { $_ => 1 } VCServer::children($srv->pid);
my $res = $http->post($srv->url('/api/visits/crash'),
                      { headers => { 'VisitCount-Test-Crash' => 1 } });
if ($res->{status} == 200) {
    skip('the module was built without --enable-test-hooks', 0) for 1 .. 6;
    $srv->stop;
    exit;
}
ok t_cmp($res->{status}, 599, 'the hit that kills its child gets no reply');
my $gone = 0;
for (1 .. 50) {
    my %now = map { $_ => 1 } VCServer::children($srv->pid);
    last if ($gone = grep { !$now{$_} } keys %before);
    sleep 0.1;
}
my ($status, $count, $took) = (0, undef, time);
while (time - $took < 10) {
    $res = $http->post($srv->url('/api/visits/crash'));
    if ($res->{status} == 200) {
        ($status, $count) = (200, $json->decode($res->{content})->{count});
        last;
    }
    sleep 0.1;
}
$took = time - $took;
ok t_cmp($status, 200, sprintf('the next hit, in another child, succeeds (%.2f s)', $took));
if ($REDIS) {
    ok t_cmp($count // 0, qr/^[12]$/,
             'and counts 1 or 2: the dead child\'s hit was sent, and counted once at most');
}
else {
    ok t_cmp($count, 1, 'and counts 1: the dead transaction was never committed');
}
ok t_cmp(final_count($srv, 'crash'), $count, 'a read agrees');
$srv->stop;
ok t_cmp($gone, 1, 'the child that ran it is gone');
ok t_cmp(db_is_sound($srv->dir . '/db'), 'sound', 'and the database is sound');
