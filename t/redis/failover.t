# A Sentinel failover, with real processes on 127.0.0.1: a Redis primary,
# its replica, a replica of that replica, and one Sentinel watching the
# primary.  httpd reaches the primary through the Sentinel and waits for
# one replica after each hit (VisitCountRedisWait 1), so an acknowledged
# hit is on the replica too.  While 8 clients POST hits to one key, the
# primary is killed with SIGKILL; the Sentinel promotes the replica, and
# hits must resume on it.  Afterwards
#   acknowledged <= final count <= acknowledged + failed,
# no count was acknowledged twice, none above the final count, hits were
# acknowledged after the kill, httpd's public API and the new primary
# agree on the count, the old replica says it is the primary now, and the
# error log tells of the failover and of no child crash.  The time from
# the kill to the first acknowledged hit after it (the time to recover)
# is printed, not judged: only hangs fail (no new primary, or no hit
# acknowledged, $RECOVER s after the kill; a request waiting $HANG s).
#
# Why a replica of the replica: with WAIT 1, the new primary acknowledges
# a hit only once a replica of its own has it, and the promoted replica
# had none; without one, every hit after the failover counts but answers
# 503 (VC0407).  The replica of the replica is that replica from the
# start, so hits resume without anyone bringing the old primary back.
# The Sentinel cannot promote it instead (it learns replicas from the
# primary's INFO only), so the promoted server is the one WAIT confirmed
# every acknowledged hit on.
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
use VCRedis;
use VCServer;

my $CLIENTS = 8;
my $KILL_AT = 4;        # seconds into the load
my $RECOVER = 30;       # seconds the Sentinel may take to name a new primary
my $AFTER   = 10;       # seconds of load once it has
my $HANG    = 10;       # seconds no request may wait
my $KEY     = 'failover';

# Made now, started below: each takes its port here.
my $primary = VCRedis->new(name => 'failover-primary');
my $replica = VCRedis->new(name => 'failover-replica',
                           conf => { replicaof => '127.0.0.1 ' . $primary->port });
my $chained = VCRedis->new(name => 'failover-chained',
                           conf => { replicaof => '127.0.0.1 ' . $replica->port });
my $sentinel = VCRedis->new(name => 'failover-sentinel', sentinel => 1,
                            extra => 'sentinel monitor mymaster 127.0.0.1 '
                                     . $primary->port . " 1\n" . <<'EOF');
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
EOF

# Enough workers for every client's keep-alive connection.
my $mpm_conf = <<'EOF';
<IfModule mpm_prefork_module>
    StartServers 10
    MinSpareServers 2
    MaxSpareServers 12
    MaxRequestWorkers 12
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 2
    ServerLimit 2
    ThreadLimit 8
    ThreadsPerChild 8
    MinSpareThreads 8
    MaxSpareThreads 16
    MaxRequestWorkers 16
</IfModule>
EOF

# The command timeout must cover WAIT's 500 ms.  FailFast 1s: after a
# failed attempt (the primary gone, or not the primary yet) a child does
# not try again for that long, so that it does not ask the Sentinel and
# the dead primary anew for every request; the default 2s would keep it
# off the new primary for up to 2 s once the Sentinel names it.
my $srv = VCServer->new(name => 'failover', mpm_conf => $mpm_conf,
                        store => 'redis-sentinel://127.0.0.1:' . $sentinel->port . '/mymaster',
                        conf => <<'EOF' . $VCServer::API);
VisitCountRedisWait 1 500
VisitCountRedisCommandTimeout 2000
VisitCountRedisFailFast 1s
LogLevel notice
EOF

# No skipping: the Redis pass needs redis-server, redis-sentinel and a
# module built with Redis, and says so when one is missing.
plan tests => 17, need_fork;

my $json = JSON::PP->new;

# The value of "name:" in an INFO section, or '' when it cannot be read.
sub info {
    my ($redis, $section, $name) = @_;
    my $info = eval { $redis->command('INFO', $section) } // '';
    return $info =~ /^\Q$name\E:([^\r\n]*)/m ? $1 : '';
}

# Calls $test until it returns true or $seconds pass; returns its value.
sub wait_until {
    my ($seconds, $test) = @_;
    my $deadline = time + $seconds;
    while (1) {
        my $v = eval { $test->() };
        return $v if $v || time > $deadline;
        sleep 0.1;
    }
}

# The port of the primary the Sentinel names, or 0.
sub named_port {
    my $addr = eval { $sentinel->command(qw(SENTINEL get-master-addr-by-name mymaster)) };
    return ref $addr ? $addr->[1] : 0;
}

# ---- the servers ---------------------------------------------------------

$primary->start or die "the primary did not start:\n" . $primary->log;
$replica->start or die "the replica did not start:\n" . $replica->log;
$chained->start or die "the replica of the replica did not start:\n" . $chained->log;
ok t_cmp(wait_until(20, sub { info($replica, 'replication', 'master_link_status') eq 'up'
                                  && info($chained, 'replication', 'master_link_status') eq 'up' }),
         1, 'the replica, and its own replica, are in sync');

# The Sentinel rewrites its configuration file, in its own directory.
$sentinel->start or die "the Sentinel did not start:\n" . $sentinel->log;
ok t_cmp(wait_until(20, sub {
             scalar grep { my %r = @$_; $r{port} == $replica->port && $r{flags} eq 'slave'
                               && $r{'master-link-status'} eq 'ok' }
                 @{ $sentinel->command(qw(SENTINEL replicas mymaster)) } }) ? 1 : 0,
         1, 'the Sentinel knows the replica');

$srv->start or die "httpd did not start:\n" . $srv->error_log;

# ---- the load, and the kill ----------------------------------------------

# The load runs $KILL_AT s, the primary is killed, and it runs on until
# $AFTER s after the Sentinel names the new primary (or $RECOVER s after
# the kill, when it never does): long enough for hits to resume, and no
# longer when they do at once.
my ($kill_sent, $killed, $switched);
my $start = time;
my $next_ask = 0;
my $during = sub {
    my $now = time;
    if (!$kill_sent) {
        return 1 if $now < $start + $KILL_AT;
        $kill_sent = time;
        $primary->kill_now;             # SIGKILL, and reaped: it is gone
        $killed = time;
        return 1;
    }
    return $now < $switched + $AFTER if $switched;
    return 0 if $now > $kill_sent + $RECOVER;
    return 1 if $now < $next_ask;
    $next_ask = $now + 0.1;
    $switched = time if named_port() == $replica->port;
    return 1;
};
my $r = run_clients(port => $srv->port, keys => [$KEY], clients => $CLIENTS,
                    seconds => $KILL_AT + $RECOVER + $AFTER, timeout => $HANG,
                    during => $during, stop_with_during => 1, dir => $srv->dir);
my $k = $r->{$KEY};

# The count through httpd's public API, once it answers.
sub final_count {
    my $http = HTTP::Tiny->new(timeout => 5);
    for (1 .. 50) {
        my $res = $http->get($srv->url("/api/visits/$KEY"));
        return $json->decode($res->{content})->{count} if $res->{status} == 200;
        sleep 0.2;
    }
    return 'no answer';
}

my $acked = @{ $k->{counts} };
my $failed = @{ $k->{failures} } + @{ $k->{unknown} };
my @before = grep { $_->[1] < $kill_sent } @{ $k->{acked} };
# Sent once the primary was gone, so answered by another server.
my @after = sort { $a->[1] <=> $b->[1] } grep { $_->[0] > $killed } @{ $k->{acked} };
my $recovery = @after ? $after[0][1] - $kill_sent : undef;
my $final = final_count();
my $stored = eval { $replica->command('HGET', $srv->prefix . "{$KEY}", 'count') } // 'none';

printf STDERR "# failover: primary killed %.1f s into the load; the Sentinel named "
    . "the new primary %s; the first hit acknowledged after the kill came %s\n",
    $kill_sent - $start,
    $switched ? sprintf('%.2f s after the kill', $switched - $kill_sent) : 'never',
    defined $recovery ? sprintf('%.2f s after it', $recovery) : 'never';
printf STDERR "# failover: %d hits acknowledged (%d before the kill, %d sent after it), "
    . "%d failed or unknown; final count %s (%s on the new primary); slowest request "
    . "%.2f s (%s MPM)\n", $acked, scalar @before, scalar @after, $failed, $final,
    $stored, $r->{slowest}, VCServer::current_mpm();

ok t_cmp(@before > 0 ? 1 : 0, 1, 'hits were acknowledged before the kill (' . @before . ')');
ok t_cmp($switched ? 1 : 0, 1, "the Sentinel named the replica the primary within $RECOVER s");
ok t_cmp(defined $recovery && $recovery < $RECOVER ? 1 : 0, 1,
         'hits were acknowledged again after the kill (' . @after . "), within $RECOVER s");
check_invariant('', $k, $final);
ok t_cmp($r->{slowest} < $HANG ? 1 : 0, 1,
         sprintf('no request waited %d s (slowest %.2f s)', $HANG, $r->{slowest}));
ok t_cmp($stored, $final, 'the new primary holds the count the public API reads');
ok t_cmp(eval { $replica->command('ROLE')->[0] } // 'no answer', 'master',
         'ROLE: the old replica is the primary now');
ok t_cmp(info($replica, 'replication', 'role'), 'master',
         'INFO replication of the old replica: role:master');
ok t_cmp(named_port(), $replica->port, 'the Sentinel names it');
ok t_cmp(wait_until(10, sub { info($chained, 'replication', 'master_port') == $replica->port
                                  && info($chained, 'replication', 'master_link_status') eq 'up' }),
         1, 'the replica of the replica follows it');

$srv->stop;
my $log = $srv->error_log;
# The store's errors are logged at most once per 10 s per child, so the
# first (VC0402, the primary lost) may be the only one, and VC0406 comes
# only when a server named the primary is not one (yet).
my %handled;
$handled{$_}++ for $log =~ /\b(VC040[1246]):/g;
ok t_cmp(%handled ? 1 : 0, 1, 'the error log tells of the failover ('
         . join(', ', map { "$handled{$_} $_" } sort keys %handled) . ')');
my @crashes = grep { /exit signal|Segmentation fault|AddressSanitizer/ } split /\n/, $log;
print STDERR "# $_\n" for @crashes;
ok t_cmp(scalar @crashes, 0, 'no child crashed');
