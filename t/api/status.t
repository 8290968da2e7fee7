# mod_status's section: with mod_status loaded, /server-status?auto has one
# "VisitCount...: N" line per figure and the HTML page a table.  The
# figures move by exactly what was sent: hits counted, duplicates, robots,
# prefetches and ignored requests, each over a connection of its own,
# while reads move nothing; the store's keys match the admin listing.
# A private server whose processes each serve two connections and exit
# shows that the figures are shared by its processes (hits served by
# several, per its access log, all added up), that they survive a
# graceful restart, and that they start at zero when httpd starts.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil;
use VCMonitor qw(parse_auto @AUTO_NAMES);
use VCServer;
use VCTest qw(raw_request stored_keys);

plan tests => @AUTO_NAMES + 26;

my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $googlebot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

sub auto { parse_auto(GET('/server-status?auto')->content) }

sub hit {
    my ($path, @headers) = @_;
    return raw_request(POST => $path, headers => [@headers])->code;
}

# ---- the suite's server ---------------------------------------------------
my $before = auto();
ok t_cmp(exists $before->{$_} ? 'present' : 'missing', 'present', "?auto has $_")
    for @AUTO_NAMES;
ok t_cmp(join(' ', grep { /^bad: / } keys %$before), '',
         'every VisitCount line is NAME: N');

my @codes = (
    (map { hit('/api/visits/status/a') } 1 .. 3),                 # counted
    (map { hit('/visitors-30m/status/dup', 'User-Agent' => $chrome) } 1 .. 3),
    (map { hit('/visitors-30m/status/bot', 'User-Agent' => $googlebot) } 1 .. 2),
    hit('/visitors-30m/status/pf', 'User-Agent' => $chrome, 'Sec-Purpose' => 'prefetch'),
    hit('/api/visits/status/ign', 'Cookie' => 'visitcount_ignore=1'),
);
ok t_cmp("@codes", join(' ', (200) x 10), 'ten hits answered 200');
raw_request(GET => '/api/visits/status/a') for 1 .. 2;         # reads
raw_request(HEAD => '/api/visits/status/a');

my $after = auto();
my %delta = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) } @AUTO_NAMES;
ok t_cmp($delta{VisitCountHits}, 4, 'hits: 3 + the first of a visitor');
ok t_cmp($delta{VisitCountNotCountedDuplicate}, 2, 'two duplicates');
ok t_cmp($delta{VisitCountNotCountedBot}, 2, 'two robots');
ok t_cmp($delta{VisitCountNotCountedPrefetch}, 1, 'one prefetch');
ok t_cmp($delta{VisitCountNotCountedIgnored}, 1, 'one ignored');
ok t_cmp($delta{VisitCountNotCountedError}, 0, 'no hit failed');
ok t_cmp($delta{VisitCountStoreErrors}, 0, 'no store error');
ok t_cmp($after->{VisitCountStoreUp}, 1, 'the store is up');
my $keys = stored_keys('');
ok t_cmp($after->{VisitCountKeys}, scalar @{ $keys || [] },
         'VisitCountKeys is the number of keys the admin API lists');
ok t_cmp($after->{VisitCountStoreUsedBytes} > 0 ? 'some' : 'none', 'some',
         'the store uses some bytes');
if (VCServer::suite_store_kind() eq 'lmdb') {
    ok t_cmp($after->{VisitCountStoreSizeBytes}, 16 * 1024 * 1024,
             'LMDB: the size is VisitCountMapSize');
}
else {
    ok t_cmp($after->{VisitCountStoreSizeBytes}, qr/^\d+$/,
             "Redis: the size is its maxmemory (0: none)");
}

my $html = GET('/server-status')->content;
ok t_cmp($html, qr{<h2>mod_visitcount</h2>}, 'the HTML page has our section');
ok t_cmp($html, qr{<th[^>]*>Hits counted</th><td[^>]*>$after->{VisitCountHits}</td>},
         'with the hits counted in its table');

# ---- a private server: two connections per process ------------------------
# Not one: under the threaded MPMs a child that reaches its limit on the
# connection it accepts as it starts can signal its main thread before
# that thread waits for the signal; the child then either dies under the
# request or never exits and holds its scoreboard slot.  From the second
# connection on, the main thread has long been waiting.  (The threaded
# MPMs count a connection once it is done, so a child may take a third
# before it stops: six hits reach two processes at least, not three.)
my $status_conf = <<'EOF';
<Location "/server-status">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
LogFormat "%P %{visitcount}n" pid_note
CustomLog logs/note_log pid_note
EOF
my $srv = VCServer->new(name => 'status-shared', modules => ['status'],
    conf => $VCServer::API . $status_conf,
    mpm_conf => <<'EOC');
MaxConnectionsPerChild 2
<IfModule mpm_prefork_module>
    StartServers 2
    MinSpareServers 1
    MaxSpareServers 3
    MaxRequestWorkers 4
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 2
    ServerLimit 4
    ThreadsPerChild 2
    MinSpareThreads 2
    MaxSpareThreads 6
    MaxRequestWorkers 8
</IfModule>
EOC
sub srv_auto { parse_auto($srv->request(GET => '/server-status?auto')->{content}) }

ok t_cmp($srv->start, 1, 'the private server starts');
my @codes6 = map { $srv->request(POST => "/api/visits/shared/$_")->{status} } 1 .. 6;
ok t_cmp("@codes6", join(' ', (200) x 6), 'six hits, each over a connection of its own')
    or print STDERR map { "# error_log: $_\n" } split /\n/, $srv->error_log;
ok t_cmp(srv_auto()->{VisitCountHits}, 6, 'the figures hold all six hits');
my %pids;
for (split /\n/, VCServer::slurp($srv->dir . '/logs/note_log')) {
    $pids{$1}++ if /^(\d+) counted$/;
}
my $served = 0;
$served += $_ for values %pids;
ok t_cmp($served, 6, 'the note log has six counted hits');
ok t_cmp(scalar(keys %pids) >= 2 ? 'several' : 'one', 'several',
         'served by several processes (' . join(' ', sort keys %pids) . ')');

ok t_cmp($srv->graceful, 1, 'graceful restart');
ok t_cmp(srv_auto()->{VisitCountHits}, 6, 'the figures survive it');
$srv->request(POST => '/api/visits/shared/after');
ok t_cmp(srv_auto()->{VisitCountHits}, 7, 'and the new generation adds to them');

ok t_cmp($srv->stop, 1, 'stop');
ok t_cmp($srv->start, 1, 'and start');
ok t_cmp(srv_auto()->{VisitCountHits}, 0, 'a new httpd starts from zero');
$srv->stop;
