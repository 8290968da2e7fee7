# Graceful restarts under load: 16 clients POST hits on fresh connections
# while httpd is told to restart gracefully (SIGUSR1) every 2 s for 20 s,
# with MaxConnectionsPerChild 100 so children are replaced all along too.
# No hit may get a 5xx, and acknowledged <= final <= acknowledged + failed,
# with no count acknowledged twice.  Then 50 more generations without load:
# the parent's open files and its mappings of files, and a fresh child's
# open files (what it inherits), must be the same after the last as after
# the fifth, and its anonymous mappings at most a few more: each
# generation reopens the module, and the parent opens the store for
# maintenance.  (A child's own mappings are not compared: it is new in
# each generation, and its thread stacks and malloc arenas come and go.)
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use List::Util qw(sum0);
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients distinct);
use VCServer;

my $SECONDS = 20;
my $EVERY   = 2;

plan tests => 12, need_fork;

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

# What $pid holds, each as counts: its open files by target (a socket's
# or pipe's inode left out), its mappings by mapped file, and its anonymous
# mappings.
sub resources {
    my $pid = shift;
    my (%fds, %files, $anon);
    $fds{ (readlink($_) // '?') =~ s/\[\d+\]$/[]/r }++ for glob "/proc/$pid/fd/*";
    for (split /\n/, VCServer::slurp("/proc/$pid/maps")) {
        my $path = (split ' ', $_, 6)[5] // '';
        $path =~ m{^/} ? $files{$path}++ : $anon++;
    }
    return { fds => \%fds, files => \%files, anon => $anon // 0 };
}

sub total { return sum0(values %{ $_[0] }) }
sub text  { my $h = shift; return join ' ', map { "$_=$h->{$_}" } sort keys %$h }

# The parent's resources and the newest child's open files, once two
# readings 0.3 s apart agree: a child forked a moment ago, or one still
# closing a connection, is passing through, not leaking.
sub settled {
    my ($prev, $now) = ('', undef);
    for (1 .. 20) {
        sleep 0.3;
        my ($child) = sort { $b <=> $a } VCServer::children($srv->pid);
        $now = { parent => resources($srv->pid),
                 child  => $child ? resources($child)->{fds} : {} };
        my $p = $now->{parent};
        my $reading = join ' | ', text($p->{fds}), text($p->{files}), $p->{anon},
                                  text($now->{child});
        return $now if $reading eq $prev;
        $prev = $reading;
    }
    return $now;
}

# What differs between two sets of counts, for the log when a comparison
# fails.
sub changed {
    my ($old, $new) = @_;
    my @diff = map { "$_: " . ($old->{$_} // 0) . ' -> ' . ($new->{$_} // 0) }
               grep { ($old->{$_} // 0) != ($new->{$_} // 0) } sort keys %{ { %$old, %$new } };
    return @diff ? join('; ', @diff) : 'nothing';
}

my @gens;
for my $g (1 .. 50) {
    $srv->graceful or last;
    # A request, so a child of this generation has opened the store.
    HTTP::Tiny->new(timeout => 10, keep_alive => 0)->get($srv->url('/api/visits/restarts'));
    push @gens, $g == 5 || $g == 50 ? settled() : undef;
}
ok t_cmp(scalar @gens, 50, '50 more graceful restarts, each one complete');
my ($five, $last) = @gens[4, 49];
if ($five && $last) {
    my ($p5, $p50) = ($five->{parent}, $last->{parent});
    my ($all5, $all50) = (total($p5->{files}) + $p5->{anon}, total($p50->{files}) + $p50->{anon});
    printf STDERR "# the parent's open files, file mappings and all mappings: "
        . "%d, %d, %d after 5 generations; %d, %d, %d after 50\n",
        total($p5->{fds}), total($p5->{files}), $all5,
        total($p50->{fds}), total($p50->{files}), $all50;
    ok t_cmp(total($p50->{fds}), total($p5->{fds}),
             "the parent's open files, after 5 and after 50 (changed: "
             . changed($p5->{fds}, $p50->{fds}) . ')');
    ok t_cmp(total($p50->{files}), total($p5->{files}),
             "the parent's mappings of files, after 5 and after 50 (changed: "
             . changed($p5->{files}, $p50->{files}) . ')');
    # Anonymous mappings merge and split with where the allocator's regions
    # land, so their count moves by one or two; a leak of one per
    # generation would add 45.  The sanitizers map shadow memory as they go.
    if ($ENV{VC_SANITIZED}) {
        skip('the sanitizers map memory as they go (scripts/sanitize)', 0);
    }
    else {
        ok t_cmp($all50 <= $all5 + 5 ? 1 : 0, 1,
                 "the parent's mappings, all of them: $all5 after 5, $all50 after 50 (at most 5 more)");
    }
    ok t_cmp(total($last->{child}), total($five->{child}),
             "a new child's open files, after 5 and after 50 (changed: "
             . changed($five->{child}, $last->{child}) . ')');
}
else {
    ok 0 for 1 .. 4;
}
$srv->stop;
ok t_cmp(scalar(grep { /exit signal|MDB_PANIC|Segmentation fault/ } split /\n/, $srv->error_log), 0,
         'no child crashed, no LMDB panic');
