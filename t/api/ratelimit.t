# Flood control, VisitCountRateLimit, on private servers whose clients
# seem to come from many addresses: mod_remoteip takes each request's
# client address from X-Forwarded-For (127.0.0.1 being a trusted proxy).
# The server's clock is set by the test (VISITCOUNT_TEST_CLOCK_FILE) to
# just after an hour that begins a day, so the windows are known and
# expire without waiting.  Checked:
#   - N hits count, the next one does not: {"counted":false,
#     "reason":"ratelimited"} with the counts; reads are never limited;
#   - the limit is the address's, over every key of the scope; other
#     addresses are not limited; IPv4 is limited per /32, IPv6 per /64;
#   - VisitCountRateLimitStatus 429 answers 429 with Retry-After, the
#     seconds left of the window;
#   - VisitCountPage's counting goes through the same limit (the page is
#     served all the same);
#   - the note "visitcount", ?auto's VisitCountNotCountedRatelimited and
#     the metrics' reason="ratelimited" say so;
#   - the table survives a graceful restart, and a new window starts
#     afresh;
#   - bad values stop httpd with a clear error;
#   - concurrent clients of one address under prefork (several processes),
#     worker and event (processes and threads): exactly N of M attempts
#     count.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use HTTP::Tiny ();
use JSON::PP ();
use VCLoad qw(run_clients distinct);
use VCMonitor qw(parse_auto parse_prom note_lines);
use VCServer;

plan tests => 63, need_fork;

my $json = JSON::PP->new->utf8;
my $N = 3;

my $conf = <<"CONF";
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
LogFormat "%{VC-Test-Tag}i %{visitcount}n" vcnote
CustomLog "logs/note_log" vcnote
<Location "/api/visits">
    SetHandler visitcount
    VisitCountRateLimit $N per 1h
</Location>
<Location "/strict">
    SetHandler visitcount
    VisitCountRateLimit 2 per 1h
    VisitCountRateLimitStatus 429
</Location>
<Location "/free">
    SetHandler visitcount
</Location>
<Location "/capi">
    SetHandler visitcount-countapi
    VisitCountRateLimit 2 per 1h
    VisitCountRateLimitStatus 429
</Location>
<Location "/pages">
    VisitCountPage on
    VisitCountRateLimit 2 per 1h
</Location>
<Location "/server-status">
    SetHandler server-status
</Location>
<Location "/metrics">
    SetHandler visitcount-metrics
</Location>
CONF
my $srv = VCServer->new(name => 'ratelimit', conf => $conf,
                        modules => [qw(remoteip status)]);
make_path($srv->dir . '/htdocs/pages');
open my $page, '>', $srv->dir . '/htdocs/pages/p.html' or die "$!";
print $page "<p>a page</p>\n";
close $page;

# The server's clock: ten days ahead, one second into the day.
$srv->set_clock((int(time / 86400) + 10) * 86400 + 1 - int(time));

my $tag = 0;
my $notes = $srv->dir . '/logs/note_log';

# One request from client address $from (X-Forwarded-For); returns the
# HTTP::Tiny reply, with {tag} set to the tag its note was logged under.
sub call {
    my ($method, $path, $from) = @_;
    my $t = "rl-$$-" . ++$tag;
    my $res = HTTP::Tiny->new(keep_alive => 0, timeout => 30)->request(
        $method, $srv->url($path),
        { headers => { 'X-Forwarded-For' => $from, 'VC-Test-Tag' => $t } });
    $res->{tag} = $t;
    return $res;
}
sub body { my $d = eval { $json->decode($_[0]{content}) }; $d // { bad => $_[0]{content} } }
sub outcome {
    my $d = body(shift);
    return defined $d->{counted}
        ? ($d->{counted} ? 'counted' : "not counted: $d->{reason}") . " $d->{count}"
        : "no JSON: $_[0]{status}";
}
sub hits {
    my ($path, $from, $n) = @_;
    return join ', ', map { outcome(call(POST => $path, $from)) } 1 .. $n;
}
# The notes logged for the requests of @tags, in order, waiting for each
# (the log line is written once the reply has gone).
sub notes_of {
    my @tags = @_;
    my $deadline = time + 10;
    my @n;
    while (1) {
        @n = map { my @l = note_lines($notes, $_); @l ? @l : ('none') } @tags;
        last if !grep({ $_ eq 'none' } @n) || time > $deadline;
        select undef, undef, undef, 0.05;
    }
    return join ' ', @n;
}
sub auto_figure { parse_auto($srv->request(GET => '/server-status?auto')->{content})
                      ->{VisitCountNotCountedRatelimited} // 'missing' }

ok t_cmp($srv->start ? 'started' : $srv->error_log, 'started',
         'the server starts with VisitCountRateLimit');
my $auto_before = auto_figure();
ok t_cmp($auto_before, 0, '?auto: VisitCountNotCountedRatelimited 0 to begin with');

# ---- the limit ------------------------------------------------------------
ok t_cmp(hits('/api/visits/rl/a', '192.0.2.1', $N),
         join(', ', map { "counted $_" } 1 .. $N), "$N hits from one address count");
my $over = call(POST => '/api/visits/rl/a', '192.0.2.1');
ok t_cmp($over->{status}, 200, 'the next one answers 200');
ok t_cmp($over->{content}, qr/^\{"key":"rl\/a","count":$N,"unique":\d+,"counted":false,"reason":"ratelimited"\}\n\z/,
         'with counted false, reason ratelimited, and the counts');
ok t_cmp(notes_of($over->{tag}), 'ratelimited',
         'the note "visitcount" is ratelimited');
ok t_cmp(join(' ', map { my $r = call(GET => '/api/visits/rl/a', '192.0.2.1');
                         "$r->{status}:" . body($r)->{count} } 1 .. 5),
         join(' ', ("200:$N") x 5), 'reads from that address are never limited');
ok t_cmp(hits('/api/visits/rl/b', '192.0.2.1', 1), 'not counted: ratelimited 0',
         "the limit is the address's over every key of the scope");
ok t_cmp(hits('/free/rl/a', '192.0.2.1', 1), 'counted ' . ($N + 1),
         'a scope without VisitCountRateLimit counts it');
ok t_cmp(hits('/api/visits/rl/a', '192.0.2.2', 1), 'counted ' . ($N + 2),
         'another IPv4 address (/32) is not limited');

# ---- IPv6: one /64 is one client ----------------------------------------------
ok t_cmp(hits('/api/visits/rl/v6', '2001:db8::1', $N),
         join(', ', map { "counted $_" } 1 .. $N), "$N hits from 2001:db8::1 count");
ok t_cmp(hits('/api/visits/rl/v6', '2001:db8::2', 1), "not counted: ratelimited $N",
         '2001:db8::2, in the same /64, is limited');
ok t_cmp(hits('/api/visits/rl/v6', '2001:db8::ffff:ffff:ffff:fffe', 1),
         "not counted: ratelimited $N", 'and so is the end of that /64');
ok t_cmp(hits('/api/visits/rl/v6', '2001:db8:0:1::1', 1), 'counted ' . ($N + 1),
         '2001:db8:0:1::1, another /64, is not');

# ---- 429 -------------------------------------------------------------------------
ok t_cmp(hits('/strict/rl/s', '192.0.2.9', 2), 'counted 1, counted 2',
         'VisitCountRateLimitStatus 429: 2 count');
my $r429 = call(POST => '/strict/rl/s', '192.0.2.9');
my $left = 3600 - $srv->server_now % 3600;
ok t_cmp($r429->{status}, 429, 'the 3rd answers 429');
ok t_cmp($r429->{content}, qr/"count":2,.*"counted":false,"reason":"ratelimited"/,
         'with the same body');
my $retry = $r429->{headers}{'retry-after'} // 'none';
ok t_cmp($retry =~ /^\d+$/ && $retry >= 1 && $retry <= 3600 && abs($retry - $left) <= 2
         ? 'the window\'s end' : $retry, 'the window\'s end',
         "Retry-After: the seconds left of the window ($retry, about $left)");
ok t_cmp($r429->{headers}{'cache-control'}, 'no-store', 'never cached');
ok t_cmp(call(GET => '/strict/rl/s', '192.0.2.9')->{status}, 200, 'a read is still 200');

# ---- VisitCountPage ------------------------------------------------------------
my @page = map { call(GET => '/pages/p.html', '192.0.2.50') } 1 .. 3;
ok t_cmp(join(' ', map { $_->{status} } @page), '200 200 200',
         'VisitCountPage: the page is served every time');
ok t_cmp(notes_of(map { $_->{tag} } @page),
         'counted counted ratelimited', 'but its 3rd view is ratelimited');
ok t_cmp(body(call(GET => '/free/pages/p.html', '192.0.2.50'))->{count}, 2,
         'and not counted');

# ---- the figures -----------------------------------------------------------------
# Limited so far: rl/a 1, rl/b 1, v6 2, strict 1, page 1.
ok t_cmp(auto_figure() - $auto_before, 6, '?auto: VisitCountNotCountedRatelimited moved by 6');
my $prom = parse_prom($srv->request(GET => '/metrics')->{content});
ok t_cmp($prom->{'visitcount_not_counted_total{reason="ratelimited"}'}, 6,
         'metrics: visitcount_not_counted_total{reason="ratelimited"} 6');

# ---- CountAPI's routes ----------------------------------------------------------
my @capi = map { call(GET => '/capi/hit/rl/c', '192.0.2.60') } 1 .. 3;
ok t_cmp(join(' ', map { "$_->{status} $_->{content}" } @capi),
         qq{200 {"value":1}\n 200 {"value":2}\n 429 {"value":2}\n},
         'CountAPI hits: 2 count, the 3rd answers 429 with the value');
my $capi_retry = $capi[2]{headers}{'retry-after'} // 'none';
ok t_cmp($capi_retry =~ /^\d+$/ && $capi_retry >= 1 && $capi_retry <= 3600 ? 'seconds' : $capi_retry,
         'seconds', "with Retry-After ($capi_retry)");
ok t_cmp(call(GET => '/capi/get/rl/c', '192.0.2.60')->{status}, 200,
         'a CountAPI read is still 200');

# ---- restarts and windows -------------------------------------------------------
ok t_cmp($srv->graceful, 1, 'a graceful restart');
ok t_cmp(hits('/api/visits/rl/a', '192.0.2.1', 1), "not counted: ratelimited " . ($N + 2),
         'keeps the table: the address is still limited');
$srv->set_clock($srv->clock_offset + 3600);
ok t_cmp($srv->graceful, 1, 'an hour later (test clock)');
ok t_cmp(hits('/api/visits/rl/a', '192.0.2.1', $N + 1),
         join(', ', (map { 'counted ' . ($N + 2 + $_) } 1 .. $N),
              'not counted: ratelimited ' . (2 * $N + 2)),
         "a new window: $N count again, then the limit");
$srv->stop;
ok t_cmp($srv->start, 1, 'the server stopped and started again');
ok t_cmp(hits('/api/visits/rl/a', '192.0.2.1', 1), 'counted ' . (2 * $N + 3),
         'a full restart forgets the table (as documented)');
$srv->stop;

# ---- configuration errors -----------------------------------------------------------
my %bad = (
    'VisitCountRateLimit 0 per 1m'     => qr/VisitCountRateLimit: '0' is not a number of attempts from 1 to 65535/,
    'VisitCountRateLimit x per 1m'     => qr/VisitCountRateLimit: 'x' is not a number of attempts/,
    'VisitCountRateLimit 65536 per 1m' => qr/VisitCountRateLimit: '65536' is not a number of attempts/,
    'VisitCountRateLimit 5 per 0'      => qr/VisitCountRateLimit: '0' is not a duration from 1s to 24h/,
    'VisitCountRateLimit 5 per 1x'     => qr/VisitCountRateLimit: '1x' is not a duration/,
    'VisitCountRateLimit 5 per 25h'    => qr/VisitCountRateLimit: '25h' is not a duration/,
    'VisitCountRateLimit 5 every 1m'   => qr/VisitCountRateLimit: expected off or N per DURATION/,
    'VisitCountRateLimit 5'            => qr/VisitCountRateLimit: expected off or N per DURATION/,
    'VisitCountRateLimit 5 per'        => qr/VisitCountRateLimit takes one or three arguments/,
    'VisitCountRateLimitStatus 503'    => qr/VisitCountRateLimitStatus: '503' is not 200 or 429/,
);
for my $line (sort keys %bad) {
    my $cfg = VCServer->new(name => 'ratelimit-bad', conf => "$VCServer::API$line\n");
    my ($rc, $out) = $cfg->config_test;
    ok t_cmp("$rc: $out", qr/^[1-9]\d*: .*$bad{$line}/s,
             "$line: a clear start-up error");
}
my $off = VCServer->new(name => 'ratelimit-off', conf => <<"CONF");
$VCServer::API
<Location "/api/visits/off">
    VisitCountRateLimit off
</Location>
CONF
ok t_cmp(($off->config_test)[0], 0, 'VisitCountRateLimit off is accepted');

# ---- concurrent clients of one address --------------------------------------------
# 8 clients send 200 hits each from one address; whatever process or
# thread serves them, exactly LIMIT count.
my $LIMIT = 40;
for my $mpm (qw(prefork worker event)) {
    my $load = VCServer->new(name => "ratelimit-$mpm", mpm => $mpm,
                             modules => [qw(remoteip)], conf => <<"CONF", mpm_conf => <<'MPM');
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
# Keep-alive connections that never end mid-run: a connection the
# server closes after its last request would leave a hit unanswered.
MaxKeepAliveRequests 0
KeepAliveTimeout 60
LogFormat "%P %{visitcount}n" vcpid
CustomLog "logs/pid_log" vcpid
<Location "/api/visits">
    SetHandler visitcount
    VisitCountRateLimit $LIMIT per 1d
</Location>
CONF
<IfModule mpm_prefork_module>
    StartServers 6
    MinSpareServers 6
    MaxSpareServers 8
    MaxRequestWorkers 8
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 2
    MinSpareThreads 8
    ServerLimit 2
    ThreadsPerChild 4
    MaxRequestWorkers 8
</IfModule>
MPM
    ok t_cmp($load->start ? 'started' : $load->error_log, 'started', "$mpm: a server");
    my $dir = $load->dir . '/clients';
    make_path($dir);
    my $r = run_clients(port => $load->port, keys => ['rl/load'], clients => 8,
                        per_key => 1600, seconds => 120, dir => $dir,
                        headers => ['X-Forwarded-For: 198.51.100.7']);
    my $k = $r->{'rl/load'};
    # The event MPM may close a kept-alive connection as a request arrives
    # on it, which then never reached httpd's handler: the log shows it.
    my %why;
    $why{ $_ =~ /"counted":false,"reason":"ratelimited"/ ? 'ratelimited' : $_ }++
        for @{ $k->{failures} };
    my $served = () = VCServer::slurp($load->dir . '/logs/pid_log') =~ /^\d+ (?:counted|ratelimited)$/mg;
    ok t_cmp(join(' ', scalar @{ $k->{counts} }, distinct(@{ $k->{counts} })),
             "$LIMIT $LIMIT", "$mpm: 1600 parallel attempts, exactly $LIMIT counted, each count once");
    ok t_cmp(join(', ', map { "$_ $why{$_}" } sort keys %why),
             'ratelimited ' . ($served - $LIMIT),
             "$mpm: every other attempt httpd served (" . ($served) . ' of 1600, '
             . scalar(@{ $k->{unknown} }) . ' closed before a reply) is ratelimited');
    ok t_cmp($served + @{ $k->{unknown} }, 1600, "$mpm: and no attempt is missing");
    my $stored = HTTP::Tiny->new->get($load->url('/api/visits/rl/load'))->{content};
    ok t_cmp($stored, qr/"count":$LIMIT,/, "$mpm: the store holds $LIMIT");
    my %pids;
    $pids{$_}++ for VCServer::slurp($load->dir . '/logs/pid_log') =~ /^(\d+) (?:counted|ratelimited)$/mg;
    ok t_cmp(scalar(keys %pids) >= 2 ? 'several' : scalar(keys %pids), 'several',
             "$mpm: served by several processes (" . join(', ', map { "$_: $pids{$_}" } sort keys %pids) . ')');
    $load->stop;
}
