# Graceful restarts under load: 16 clients POST hits on fresh connections
# while httpd is told to restart gracefully (SIGUSR1) every 2 s for 20 s,
# with MaxConnectionsPerChild 100 so children are replaced all along too.
# No hit may get a 5xx, and acknowledged <= final <= acknowledged + failed,
# with no count acknowledged twice.  Then 50 more generations without load:
# the parent's open files and memory mappings, and a fresh child's open
# files (what it inherits), must be the same after the last as after the
# fifth: each generation reopens the module, and the parent opens the
# store for maintenance.  (A child's own mappings are not compared: it is
# new in each generation, and its thread stacks and malloc arenas come and
# go.)
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients distinct);
use VCServer;

my $SECONDS = 20;
my $EVERY   = 2;

plan tests => 11, need_fork;

my $srv = VCServer->new(name => 'restarts', mpm_conf => <<'MPM', conf => <<'EOF' . $VCServer::API);
<IfModule mpm_prefork_module>
    StartServers 4
    MinSpareServers 4
    MaxSpareServers 12
    MaxRequestWorkers 24
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 2
    ServerLimit 8
    ThreadLimit 8
    ThreadsPerChild 8
    MaxRequestWorkers 32
</IfModule>
MaxConnectionsPerChild 100
MPM
LogLevel notice
EOF
my $json = JSON::PP->new;

ok t_cmp($srv->start, 1, 'start with MaxConnectionsPerChild 100');
my $generations = $srv->generations;
my ($restarts, $next) = (0, time + $EVERY);
my $r = run_clients(
    port => $srv->port, keys => ['restarts'], clients => 16, seconds => $SECONDS,
    timeout => 10, headers => ['Connection: close'], dir => $srv->dir,
    during => sub {
        return 1 if time < $next;
        kill 'USR1', $srv->pid;
        $restarts++;
        $next = time + $EVERY;
        return 1;
    });
my $k = $r->{restarts};
my $acked = @{ $k->{counts} };
my @fives = grep { /^HTTP 5/ } @{ $k->{failures} };
my $failed = @{ $k->{failures} } + @{ $k->{unknown} };
my $final = do {
    my $res = HTTP::Tiny->new(timeout => 10)->get($srv->url('/api/visits/restarts'));
    $res->{status} == 200 ? $json->decode($res->{content})->{count} : "HTTP $res->{status}";
};
printf STDERR "# %d graceful restarts, %d new generations: %d hits acknowledged, "
    . "%d failed or unknown (%d connections); final %s (%s MPM)\n",
    $restarts, $srv->generations - $generations, $acked, $failed, $r->{connections},
    $final, VCServer::current_mpm();
my %why;
$why{$_}++ for @{ $k->{failures} }, @{ $k->{unknown} };
printf STDERR "#   %d: %s\n", $why{$_}, $_ for sort keys %why;

ok t_cmp($restarts >= $SECONDS / $EVERY - 1 ? 1 : 0, 1, "$restarts graceful restarts under load");
ok t_cmp($r->{connections} > 200 ? 1 : 0, 1,
         "$r->{connections} connections: children were replaced at 100 each");
ok t_cmp(scalar @fives, 0, 'no hit got a 5xx');
ok t_cmp($final =~ /^\d+$/ && $final >= $acked && $final <= $acked + $failed ? 1 : 0, 1,
         "acknowledged ($acked) <= final ($final) <= acknowledged + failed ("
         . ($acked + $failed) . ')');
ok t_cmp(distinct(@{ $k->{counts} }), $acked, 'no count acknowledged twice');

# ---- 50 generations: nothing accumulates --------------------------------------

sub resources {
    my $pid = shift;
    my @fds = glob "/proc/$pid/fd/*";
    my $maps = () = VCServer::slurp("/proc/$pid/maps") =~ /\n/g;
    return (scalar @fds, $maps);
}

my @gens;
for my $g (1 .. 50) {
    $srv->graceful or last;
    # A request, so a child of this generation has opened the store; then
    # a moment for its connection to be closed on the server's side too.
    HTTP::Tiny->new(timeout => 10, keep_alive => 0)->get($srv->url('/api/visits/restarts'));
    sleep 0.3;
    my ($child) = sort { $b <=> $a } VCServer::children($srv->pid);
    push @gens, [ resources($srv->pid), $child ? resources($child) : (0, 0) ];
}
ok t_cmp(scalar @gens, 50, '50 more graceful restarts, each one complete');
my ($five, $last) = ($gens[4] // [0, 0, 0, 0], $gens[-1] // [-1, -1, -1, -1]);
ok t_cmp($last->[0], $five->[0], "the parent's open files: $five->[0] after 5 generations, $last->[0] after 50");
my $sanitized = 'the sanitizers map memory as they go (scripts/sanitize)';
if ($ENV{VC_SANITIZED}) {
    skip($sanitized, 0);
}
else {
    ok t_cmp($last->[1], $five->[1], "the parent's mappings: $five->[1] after 5, $last->[1] after 50");
}
ok t_cmp($last->[2], $five->[2], "a new child's open files: $five->[2] after 5, $last->[2] after 50");
$srv->stop;
ok t_cmp(scalar(grep { /exit signal|MDB_PANIC|Segmentation fault/ } split /\n/, $srv->error_log), 0,
         'no child crashed, no LMDB panic');
