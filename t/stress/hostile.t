# Hostile input, against the main test server: for each request below the
# right status (a JSON error wherever the module answers, httpd's own page
# where httpd refuses first), no count changed, and at the end no child
# crashed.  The cases: over-long keys and request lines, NUL and control
# bytes, invalid UTF-8, dot segments plain and encoded, huge and broken
# chunked bodies, odd methods, Origins that must never be reflected, admin
# PUT bodies that are malformed, negative, overflowing, huge or deeply
# nested, absurd query values, and a half-sent body, which must not hold
# up other hits (the write lock is never held while reading from a client).
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest ();
use Apache::TestUtil;
use IO::Socket::INET ();
use POSIX ();
use HTTP::Tiny ();
use Time::HiRes qw(sleep);
use VCTest qw(raw_request json_of admin_put snapshot);

my $long = 'k' x 129;
my @cases = (
    # [what, method, target, headers, body, expected status, who answers:
    #  1 the module (a JSON error), 0 httpd before it (an HTML page), undef either]
    ['a 129-byte key', POST => "/api/visits/hostile-$long", [], undef, 400, 1],
    ['an 8,000-byte path', POST => '/api/visits/hostile-' . ('a/' x 4000), [], undef, 400, 1],
    ['a request line over LimitRequestLine', GET => '/api/visits/' . ('x' x 9000), [], undef, 414, 0],
    ['an encoded NUL', POST => '/api/visits/hostile-a%00b', [], undef, 404, 0],
    ['an encoded control byte', POST => '/api/visits/hostile-a%01b', [], undef, 400, 1],
    ['an encoded DEL', POST => '/api/visits/hostile-a%7Fb', [], undef, 400, 1],
    ['an encoded newline', POST => '/api/visits/hostile-a%0D%0Ab', [], undef, 400, 1],
    ['invalid UTF-8', POST => '/api/visits/hostile-%FF%FE', [], undef, 400, 1],
    ['a truncated UTF-8 sequence', POST => '/api/visits/hostile-%C3', [], undef, 400, 1],
    ['valid UTF-8 (not a key character)', POST => '/api/visits/hostile-caf%C3%A9', [], undef, 400, 1],
    ['a dot-dot segment', POST => '/api/visits/hostile/../x', [], undef, 400, 1],
    ['an encoded dot-dot segment', POST => '/api/visits/hostile/%2e%2e/x', [], undef, 400, 1],
    ['a half-encoded dot-dot segment', POST => '/api/visits/hostile/.%2E/x', [], undef, 400, 1],
    ['a dot segment', POST => '/api/visits/hostile/./x', [], undef, 400, 1],
    ['an encoded slash', POST => '/api/visits/hostile%2Fx', [], undef, 404, 0],
    ['a broken escape', POST => '/api/visits/hostile-%zz', [], undef, 400, 0],
    ['a body announced as 10^12 bytes', POST => '/api/visits/hostile-body',
        ['Content-Length' => '1000000000000'], undef, 413, 1],
    ['a negative Content-Length', POST => '/api/visits/hostile-body',
        ['Content-Length' => '-1'], undef, 400, 0],
    ['a broken chunk size', POST => '/api/visits/hostile-body',
        ['Transfer-Encoding' => 'chunked'], "zz\r\nabc\r\n0\r\n\r\n", 400, undef],
    ['PATCH', PATCH => '/api/visits/hostile-m', [], undef, 405, 1],
    ['an unknown method', FROBNICATE => '/api/visits/hostile-m', [], undef, 405, 1],
    ['a lower-case method', post => '/api/visits/hostile-m', [], undef, 405, 1],
    ['TRACE', TRACE => '/api/visits/hostile-m', [], undef, 405, 1],
    ['TRACE on the admin API', TRACE => '/admin/hostile-put', [], undef, 405, 1],
    ['days=0', GET => '/api/visits/hostile-q?days=0', [], undef, 400, 1],
    ['days=-1', GET => '/api/visits/hostile-q?days=-1', [], undef, 400, 1],
    ['days beyond VisitCountHistory', GET => '/api/visits/hostile-q?days=61', [], undef, 400, 1],
    ['days=10^25', GET => '/api/visits/hostile-q?days=10000000000000000000000000', [], undef, 400, 1],
    ['days=1e3', GET => '/api/visits/hostile-q?days=1e3', [], undef, 400, 1],
    ['days=%00', GET => '/api/visits/hostile-q?days=%00', [], undef, 400, 1],
    ['days twice', GET => '/api/visits/hostile-q?days=3&days=3', [], undef, 400, 1],
    ['a POST with days=0', POST => '/api/visits/hostile-q?days=0', [], undef, 400, 1],
    ['an admin limit of 0', GET => '/admin/?limit=0', [], undef, 400, 1],
    ['an admin limit of 10^30', GET => '/admin/?limit=' . ('9' x 30), [], undef, 400, 1],
    ['an admin prefix of 200 bytes', GET => '/admin/?prefix=' . ('p' x 200), [], undef, 400, 1],
    ['an admin after that is no key', GET => '/admin/?after=../x', [], undef, 400, 1],
    ['an unknown admin parameter', GET => '/admin/?drop=1', [], undef, 400, 1],
);

my @puts = (
    ['malformed JSON', '{"count":'],
    ['a negative count', '{"count":-5}'],
    ['a count of 2^64', '{"count":18446744073709551616}'],
    ['a count of 10^40', '{"count":' . ('1' . '0' x 40) . '}'],
    ['a fractional count', '{"count":1.5}'],
    ['a string count', '{"count":"5"}'],
    ['a nested count', '{"count":{"n":5}}'],
    ['deep nesting', '[' x 500 . ']' x 500],
    ['an unknown member', '{"count":5,"admin":true}'],
    ['a duplicate member', '{"count":5,"count":6}'],
    ['two objects', '{"count":5}{"count":6}'],
    ['a NUL inside', qq({"count":5\0}) ],
    ['invalid UTF-8', qq({"co\xffunt":5})],
    ['an empty body', ''],
);

my @origins = (
    ['a comma list', 'https://example.com, https://evil.example'],
    ['null', 'null'],
    ['a listed origin with a path', 'https://example.com/x'],
    ['a listed origin with a trailing dot', 'https://example.com.'],
    ['a listed origin with a vertical tab', "https://example.com\x0b"],
    ['a listed origin and a space', 'https://example.com evil'],
    ['folded over two lines', "https://example.com\r\n evil"],
    ['with a bare CR', "https://example.com\revil"],
);

plan tests => 3 * @cases + 3 * @puts + 2 * @origins + 2 + 8;

# Everything starts from here; nothing below may change it.
admin_put('hostile-put', 7, 3);
my $before = snapshot('hostile');
ok t_cmp($before, qr/hostile-put=7\/3/, 'the starting state is known');

for my $c (@cases) {
    my ($what, $method, $target, $headers, $body, $status, $json) = @$c;
    my $res = raw_request($method => $target, headers => $headers,
                          defined $body ? (content => $body, raw_body => 1) : ());
    ok t_cmp($res->code, $status, "$what: $status");
    if ($json) {
        ok t_cmp(json_of($res), { error => qr/\w/ }, "$what: a JSON error");
    }
    elsif (defined $json) {
        # httpd refused it before the module saw it: its own HTML page.
        ok t_cmp($res->header('Content-Type') // '', qr{^text/html\b}, "$what: httpd's own page");
    }
    else {
        # Which of the two answers depends on when httpd's filters read the body.
        ok t_cmp($res->header('Content-Type') // '', qr{^(application/json|text/html)\b},
                 "$what: a JSON error or httpd's own page");
    }
    ok t_cmp(snapshot('hostile'), $before, "$what: nothing changed");
}

for my $p (@puts) {
    my ($what, $body) = @$p;
    my $res = raw_request(PUT => '/admin/hostile-put', content => $body,
                          headers => ['Content-Type' => 'application/json']);
    ok t_cmp($res->code, 400, "admin PUT with $what: 400");
    ok t_cmp(json_of($res), { error => qr/\w/ }, "admin PUT with $what: a JSON error");
    ok t_cmp(snapshot('hostile'), $before, "admin PUT with $what: nothing changed");
}
my $res = raw_request(PUT => '/admin/hostile-put', content => '{"count":' . ('1' x 2000) . '}');
ok t_cmp($res->code, 413, 'admin PUT with a 2 KiB body: 413');

# httpd itself refuses a header with control bytes or folded over lines
# (400); either way nothing may be reflected.
for my $o (@origins) {
    my ($what, $origin) = @$o;
    my $r = raw_request(GET => '/cors/hostile-cors', headers => [Origin => $origin]);
    ok t_cmp($r->code, qr/^(200|400)$/, "Origin $what: answered");
    ok t_cmp($r->header('Access-Control-Allow-Origin'), undef,
             "Origin $what: never reflected");
}

# ---- a half-sent body ---------------------------------------------------------

# One client sends the headers and half the body of a POST, then stops
# until the 20 hits on another key below have all been answered; only then
# does it send the rest.  Were the write lock held while a body is read,
# those hits would wait for it, and never be answered before it resumed:
# the first would time out (after 10 s) instead.  No clock is read.
my $hostport = Apache::TestRequest::hostport();
pipe my $go_r, my $go_w or die "pipe: $!";
pipe my $sent_r, my $sent_w or die "pipe: $!";
my $pid = fork // die "fork: $!";
if (!$pid) {
    close $go_w;
    close $sent_r;
    my $s = IO::Socket::INET->new(PeerAddr => $hostport) or POSIX::_exit(1);
    my $body = '{"visitor":"0123456789abcdef0123456789abcdef"}';
    my $half = int(length($body) / 2);
    $s->autoflush(1);
    print $s "POST /api/visits/hostile-slow HTTP/1.1\r\nHost: $hostport\r\n"
           . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n"
           . substr($body, 0, $half);
    syswrite $sent_w, "1";
    sysread $go_r, my $go, 1;           # the hits are done (or given up)
    print $s substr($body, $half);
    my $reply = do { local $/; <$s> } // '';
    POSIX::_exit($reply =~ m{^HTTP/1\.1 200 } ? 0 : 3);
}
close $go_r;
close $sent_w;
sysread $sent_r, my $sent, 1;           # half the body is on its way
sleep 0.3;                              # and in the module's hands
my $ok = 0;
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
for (1 .. 20) {
    last unless $http->post("http://$hostport/api/visits/hostile-fast")->{status} == 200;
    $ok++;
}
my $slow_done = waitpid($pid, POSIX::WNOHANG()) == $pid;
syswrite $go_w, "1";
waitpid $pid, 0 unless $slow_done;
ok t_cmp($ok, 20, '20 hits while a POST body is only half sent: all answered 200');
ok t_cmp($slow_done ? 1 : 0, 0, 'and the half-sent hit was still waiting for its body');
ok t_cmp($? >> 8, 0, 'which counted once its body arrived');
my $after = snapshot('hostile');
ok t_cmp($after, qr/hostile-fast=20\/0/, 'hostile-fast counted 20');
ok t_cmp($after, qr/hostile-slow=1\/0/, 'hostile-slow counted 1');
ok t_cmp($after, qr/hostile-put=7\/3/, 'hostile-put is still 7/3');

# ---- no child crashed ----------------------------------------------------------
my $log = do { local $/; open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log'; <$fh> } // '';
ok t_cmp(scalar(() = $log =~ /exit signal|Segmentation fault|AddressSanitizer|runtime error:/g), 0,
         'no child crashed and no sanitizer report in the error log');
ok t_cmp(json_of(raw_request(GET => '/api/visits/hostile-put')), { key => 'hostile-put',
         count => 7, unique => 3 }, 'the server still answers normally');
