# Counts are durable across the server's lifecycle: a full stop and start
# on the same VisitCountDB, and a graceful restart (old children finish
# while new ones open the store), keep every count, 64-bit values
# included.  Runs a private server under the suite's MPM.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use POSIX ();
use Time::HiRes qw(sleep time);

use lib "$FindBin::Bin/../lib";
use VCServer;

plan tests => 36;

my $conf = <<'EOF';
VisitCountDurability strict
<Location "/api/visits">
    SetHandler visitcount
</Location>
<Location "/admin">
    SetHandler visitcount-admin
    Require ip 127.0.0.1
</Location>
EOF

my $near_max = '18446744073709551614';      # 2^64 - 2
my $max      = '18446744073709551615';      # 2^64 - 1
my $past_53  = '9007199254740993';          # 2^53 + 1: a double cannot hold it

my $srv = VCServer->new(name => 'restart', conf => $conf);

# The count as the server wrote it: digits from the raw body, so 64-bit
# values are compared exactly rather than through a floating-point number.
sub count_of {
    my $res = shift;
    return $res->{content} =~ /"count":(\d+)/ ? $1 : "no count in: $res->{content}";
}

sub hit  { $srv->request(POST => "/api/visits/$_[0]") }
sub read_count { count_of($srv->request(GET => "/api/visits/$_[0]")) }

ok t_cmp($srv->start, 1, 'first start');

my @counts = map { count_of(hit('restart/a')) } 1 .. 3;
ok t_cmp("@counts", '1 2 3', 'three hits count 1, 2, 3');
ok t_cmp(count_of(hit('restart/b')), 1, 'a second key counts on its own');

for my $set ([ 'restart/big' => $near_max ], [ 'restart/past53' => $past_53 ]) {
    my ($key, $value) = @$set;
    my $res = $srv->request(PUT => "/admin/$key", qq({"count":$value}));
    ok t_cmp($res->{status}, 200, "admin PUT $key = $value answers 200");
    ok t_cmp(count_of($res), $value, "admin PUT $key echoes the exact value");
}

# --- full stop and start ---------------------------------------------------
ok t_cmp($srv->stop, 1, 'stop (SIGTERM) ends the server');
ok t_cmp($srv->exit_status, 0, 'the server exited cleanly');
ok t_cmp(-s $srv->dir . "/db/data.mdb" ? 1 : 0, 1,
         'the counts are in db/data.mdb');
ok t_cmp($srv->start, 1, 'start again on the same VisitCountDB');

ok t_cmp(read_count('restart/a'), 3, 'restart/a still reads 3 after the restart');
ok t_cmp(read_count('restart/b'), 1, 'restart/b still reads 1 after the restart');
ok t_cmp(read_count('restart/big'), $near_max, '2^64-2 survives the restart exactly');
ok t_cmp(read_count('restart/past53'), $past_53, '2^53+1 survives the restart exactly');

ok t_cmp(count_of(hit('restart/a')), 4, 'the next hit on restart/a counts 4');
ok t_cmp(count_of(hit('restart/past53')), '9007199254740994',
         'a hit on 2^53+1 gives exactly 2^53+2');
ok t_cmp(count_of(hit('restart/big')), $max, 'a hit on 2^64-2 gives 2^64-1');
my $res = hit('restart/big');
ok t_cmp($res->{status}, 507, 'a hit past 2^64-1 is refused with 507');
ok t_cmp(read_count('restart/big'), $max, 'and the count stays 2^64-1');

# --- graceful restart --------------------------------------------------------
my $pid = $srv->pid;
ok t_cmp($srv->graceful, 1, 'graceful restart (SIGUSR1) comes back');
ok t_cmp($srv->pid, $pid, 'the same parent kept running');
ok t_cmp(read_count('restart/a'), 4, 'restart/a reads 4 after the graceful restart');
ok t_cmp(read_count('restart/big'), $max, '2^64-1 survives the graceful restart');
ok t_cmp(count_of(hit('restart/a')), 5, 'hits keep counting after the graceful restart');

# A graceful restart while a client keeps hitting: every hit is answered
# 200 and counted exactly once.  The client hits for 2 s; the restart comes
# 0.5 s in.
my $tally = $srv->dir . "/busy.tally";
my $kid = fork // die "fork: $!";
if (!$kid) {
    my ($ok, $failed, $end) = (0, 0, time + 2);
    while (time < $end) {
        hit('restart/busy')->{status} == 200 ? $ok++ : $failed++;
    }
    open my $fh, '>', $tally or POSIX::_exit(1);
    print $fh "$ok $failed\n";
    close $fh;
    POSIX::_exit(0);
}
sleep 0.5;
my $graceful = $srv->graceful;
waitpid $kid, 0;
my ($busy_ok, $busy_failed) = split ' ', VCServer::slurp($tally) || '0 -1';
ok t_cmp($graceful, 1, 'graceful restart under load comes back');
ok t_cmp($busy_failed, 0, "no hit failed across the graceful restart ($busy_ok hits)");
ok t_cmp(read_count('restart/busy'), $busy_ok,
         'every hit answered 200 during the graceful restart was counted once');

# --- relaxed durability: a clean stop still writes everything ---------------
ok t_cmp($srv->stop, 1, 'stop before switching to relaxed durability');
(my $relaxed = $conf) =~ s/strict/relaxed/;
$srv->set_conf(conf => $relaxed);
ok t_cmp($srv->start, 1, 'start with VisitCountDurability relaxed');
my $ok = grep { hit('restart/relaxed')->{status} == 200 } 1 .. 50;
ok t_cmp($ok, 50, '50 hits under relaxed durability answer 200');
ok t_cmp($srv->stop, 1, 'stop right after the hits');
ok t_cmp($srv->start, 1, 'start again');
ok t_cmp(read_count('restart/relaxed'), 50, 'all 50 relaxed hits survived the stop');
ok t_cmp(read_count('restart/a'), 5, 'older strict counts are intact too');

my $log = $srv->error_log;
ok t_cmp(scalar(() = $log =~ /exit signal|Segmentation fault|MDB_PANIC|VC0003/g), 0,
         'no crashed child, panic or failed store open in the error log');

$srv->stop;
