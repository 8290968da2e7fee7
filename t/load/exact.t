# Exactness under concurrency, in each durability mode: against the main
# test server (strict), then private servers in group and relaxed mode
# (whatever MPM this run uses; under a threaded MPM these commit the hits
# of concurrent threads together).  64 client processes send 20,000 POSTs
# over keep-alive HTTP/1.1 connections to one fresh key, then the same to
# 8 keys.  Every 200 reply must carry a distinct count, the counts must be
# exactly 1..N, and the final read must equal N = 20,000 with no failed
# request.
#
# A request whose connection ends before any reply has an unknown outcome
# and is never retried blindly.  Under load the event MPM closes idle
# keep-alive connections (when a process's workers are all busy), racing
# the client's next request; such a request is sent again only once
# httpd's access log proves it was never processed (VCLoad::resolve_unknown).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use File::Path qw(make_path remove_tree);
use FindBin ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients distinct resolve_unknown);
use VCServer ();

my $TOTAL    = 20_000;
my $CLIENTS  = 64;
my $DEADLINE = 120;     # seconds a client may take before it gives up

my @MODES = qw(strict group relaxed);

plan tests => @MODES * (9 + 8 * 4), need_fork;

# The server under test: its port and access log.  The main server's port
# as configured; Apache::TestRequest's own host:port can differ in a test
# process (APACHE_TEST_PORT=select picks it anew).
my ($port, $hostport, $access_log);
my $tmp      = Apache::Test::vars('serverroot') . "/var/exact-$$";
make_path($tmp);

sub read_count {
    my $key = shift;
    my $res = Apache::TestRequest::GET("http://$hostport/api/visits/$key");
    my $data = eval { JSON::PP->new->decode($res->content) } || {};
    return $res->code == 200 ? $data->{count} : 'HTTP ' . $res->code;
}

# Runs $CLIENTS clients spread evenly over @keys, $per_key POSTs each key.
sub round {
    my ($per_key, @keys) = @_;
    return run_clients(port => $port, keys => \@keys, clients => $CLIENTS,
                       per_key => $per_key, seconds => $DEADLINE, dir => $tmp);
}

sub check_key {
    my ($key, $k, $want) = @_;
    my @sorted = sort { $a <=> $b } @{ $k->{counts} };
    ok t_cmp(scalar @sorted, $want, "$key: $want POSTs answered 200");
    ok t_cmp(distinct(@sorted), scalar @sorted, "$key: every 200 reply has a distinct count");
    ok t_cmp(@sorted ? "$sorted[0]..$sorted[-1]" : 'none', '1..' . scalar @sorted,
             "$key: the counts are exactly 1..N");
    ok t_cmp(read_count($key), scalar @sorted,
             "$key: the final read equals the number of 200 replies");
}

# Settles unknown outcomes, prints the rate and asserts that nothing failed.
sub report {
    my ($what, $r, $n, @keys) = @_;
    my $resent = 0;
    $resent += resolve_unknown($_, $r->{$_}, $port, $access_log) for @keys;
    my @failures = map { @{ $r->{$_}{failures} } } @keys;
    printf STDERR "# %s: %d POSTs by %d clients on %d connections in %.1f s:"
        . " %.0f requests/s (%s MPM)\n",
        $what, $n, $CLIENTS, $r->{connections}, $r->{seconds}, $n / $r->{seconds},
        VCServer::current_mpm();
    printf STDERR "#   %d closed by httpd before it read them, sent again\n", $resent
        if $resent;
    my %why;
    $why{$_}++ for @failures;
    printf STDERR "#   %d failed: %s\n", $why{$_}, $_ for sort keys %why;
    ok t_cmp(scalar @failures, 0, "$what: no request failed");
}

# Both rounds against the server listening on $port, in durability $mode.
sub exact {
    my $mode = shift;
    my $run = sprintf '%s-%d-%d', $mode, $$, time;
    my $one = "load/exact-$run";
    ok t_cmp(read_count($one), 0, "$mode: the key is fresh");
    my $r = round($TOTAL, $one);
    report("$mode, one key", $r, $TOTAL, $one);
    check_key($one, $r->{$one}, $TOTAL);
    ok t_cmp($r->{seconds} < $DEADLINE ? 1 : 0, 1, "$mode, one key: done before the deadline");

    my @eight = map { "load/exact-$run/k$_" } 1 .. 8;
    ok t_cmp(scalar(grep { read_count($_) ne '0' } @eight), 0, "$mode: the 8 keys are fresh");
    $r = round($TOTAL / 8, @eight);
    report("$mode, eight keys", $r, $TOTAL, @eight);
    check_key($_, $r->{$_}, $TOTAL / 8) for @eight;
}

for my $mode (@MODES) {
    my $srv;
    if ($mode eq 'strict') {            # the main test server
        $port = Apache::Test::vars('port');
        $access_log = Apache::Test::vars('t_logs') . '/access_log';
    }
    else {
        # The main server's process limits (t/run-suite), and its log format.
        $srv = VCServer->new(name => "exact-$mode", mpm_conf => <<'EOF', conf => <<"EOF");
<IfModule mpm_prefork_module>
    StartServers 4
    MinSpareServers 4
    MaxSpareServers 24
    MaxRequestWorkers 24
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 1
    ServerLimit 3
    ThreadLimit 8
    ThreadsPerChild 8
    MaxRequestWorkers 24
</IfModule>
EOF
VisitCountDurability $mode
CustomLog "logs/access_log" "%h %l %u %t \\\"%r\\\" %>s %b"
<Location "/api/visits">
    SetHandler visitcount
</Location>
EOF
        $srv->start or die "the $mode server did not start:\n" . $srv->error_log;
        $port = $srv->port;
        $access_log = $srv->dir . '/logs/access_log';
    }
    $hostport = "127.0.0.1:$port";
    exact($mode);
    $srv->stop if $srv;
}

remove_tree($tmp);
