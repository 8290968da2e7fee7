# The CountAPI-compatible routes (SetHandler visitcount-countapi): GET
# /hit/NS/KEY counts through the visitor filters and answers {"value":N},
# GET /get/NS/KEY reads, both on the counter NS/KEY the public API reads
# too; a key without a namespace is in "default"; a never counted key is
# 404 {"value":null}.  Every answer, errors too, carries
# Access-Control-Allow-Origin: *; hits are never cached, reads carry an
# ETag.  JSONP only for a strict callback name; bad keys 400, other routes
# 404, other methods 405, none of them storing anything; a store that is
# down answers 503 JSON.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use JSON::PP ();
use VCMonitor qw(note_lines);
use VCServer;
use VCTest qw(request raw_request json_of admin_counts snapshot);

plan tests => 129;

my $chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 '
            . 'Firefox/133.0';
my $bot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
my $error = { error => qr/\w/ };
my $notes = Apache::Test::vars('t_logs') . '/visitcount_note_log';
my $n = 0;

sub get { raw_request(GET => $_[0], headers => [@_[1 .. $#_]]) }

# The count the public API reads for key.
sub api_count {
    my $data = json_of(get("/api/visits/$_[0]"));
    return $data ? $data->{count} : 'unreadable';
}

# The value /get answers for key, or "HTTP status" when it answers none.
sub value_of {
    my $res = get("/countapi/get/$_[0]");
    my $data = json_of($res);
    return $res->code == 200 && $data ? $data->{value} : 'HTTP ' . $res->code;
}

# The hit outcomes of the server's figures, as "counted bot duplicate
# prefetch ignored" counts from /metrics.
sub figures {
    my $text = get('/metrics')->content;
    my %v = map { /^visitcount_(?:hits_total|not_counted_total\{reason="(\w+)"\}) (\d+)$/
                  ? (($1 // 'counted') => $2) : () } split /\n/, $text;
    return join ' ', map { $v{$_} // 'none' } qw(counted bot duplicate prefetch ignored);
}

# The difference of two figures() strings, field by field.
sub delta {
    my @a = split ' ', shift;
    my @b = split ' ', shift;
    return join ' ', map { $b[$_] - $a[$_] } 0 .. $#a;
}

# A hit tagged for the note log; returns (response, notes logged for it).
sub tagged_hit {
    my ($path, @headers) = @_;
    my $tag = "capi-$$-" . ++$n;
    my $res = get($path, 'VC-Test-Tag' => $tag, @headers);
    return ($res, join ' ', note_lines($notes, $tag));
}

# ---- a hit counts and answers the value; a read reads it ---------------

my ($res, $note) = tagged_hit('/countapi/hit/site.example/visits');
ok t_cmp($res->code, 200, 'hit: 200');
ok t_cmp(json_of($res), { value => 1 }, 'hit: {"value":1}');
ok t_cmp($res->content, qq({"value":1}\n), 'hit: exactly that body');
ok t_cmp($res->header('Content-Type'), 'application/json', 'hit: JSON');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'hit: nosniff');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'hit: no-store');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', 'hit: ACAO *');
ok t_cmp($res->header('ETag'), undef, 'hit: no ETag');
ok t_cmp($note, 'counted', 'hit: its outcome in the note');
ok t_cmp(json_of(get('/countapi/hit/site.example/visits')), { value => 2 },
         'a second hit: 2');
ok t_cmp(api_count('site.example/visits'), 2,
         'the public API reads the same counter NS/KEY: 2');
ok t_cmp(admin_counts('site.example/visits'), '2/0', 'the admin API too');

$res = get('/countapi/get/site.example/visits');
ok t_cmp($res->code, 200, 'get: 200');
ok t_cmp(json_of($res), { value => 2 }, 'get: {"value":2}, not counted');
ok t_cmp($res->header('Cache-Control'), 'no-cache', 'get: no-cache');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', 'get: ACAO *');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'get: nosniff');
my $etag = $res->header('ETag');
ok t_cmp($etag, qr/^"[0-9a-f]{16}"$/, 'get: a strong ETag');
ok t_cmp(value_of('site.example/visits'), 2, 'a get again: still 2');
$res = get('/countapi/get/site.example/visits', 'If-None-Match' => $etag);
ok t_cmp($res->code, 304, 'get with its ETag: 304');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', '304: ACAO *');
ok t_cmp($res->header('ETag'), $etag, '304: the same ETag');

ok t_cmp(request(POST => '/api/visits/site.example/visits')->code, 200,
         'a hit through the public API');
$res = get('/countapi/get/site.example/visits', 'If-None-Match' => $etag);
ok t_cmp($res->code, 200, 'after it, the old ETag no longer matches');
ok t_cmp(json_of($res), { value => 3 }, 'get: {"value":3}');

# HEAD reads, on both routes, and never counts.
$res = raw_request(HEAD => '/countapi/hit/site.example/visits');
ok t_cmp($res->code, 200, 'HEAD hit: 200');
ok t_cmp($res->content, '', 'HEAD hit: no body');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'HEAD hit: no-store');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', 'HEAD hit: ACAO *');
$res = raw_request(HEAD => '/countapi/get/site.example/visits');
ok t_cmp($res->code, 200, 'HEAD get: 200');
ok t_cmp($res->content, '', 'HEAD get: no body');
ok t_cmp(api_count('site.example/visits'), 3, 'HEAD counted nothing');

# One trailing '/' is the same counter.
ok t_cmp(json_of(get('/countapi/hit/site.example/visits/')), { value => 4 },
         'a trailing / : the same counter');
ok t_cmp(json_of(get('/countapi/get/site.example/visits/?_=1')), { value => 4 },
         'get with a trailing / and a cache buster');

# A subrequest (an SSI include) reads without counting.
ok t_cmp(json_of(get('/countapi/hit/ssi.example/visits')), { value => 1 },
         'a hit on the key a page includes');
ok t_cmp(get('/ssi-countapi/page.shtml')->content, qr{<p id="value">\{"value":1\}\n</p>},
         'the page includes the value');
ok t_cmp(value_of('ssi.example/visits'), 1, 'the include did not count');

# ---- no namespace: "default" -----------------------------------------------

ok t_cmp(json_of(get('/countapi/hit/capi-home')), { value => 1 },
         '/hit/KEY counts');
ok t_cmp(api_count('default/capi-home'), 1, 'on the counter default/KEY');
ok t_cmp(json_of(get('/countapi/hit/default/capi-home')), { value => 2 },
         '/hit/default/KEY is the same counter');
ok t_cmp(json_of(get('/countapi/get/capi-home')), { value => 2 },
         '/get/KEY reads it');

# ---- a key never counted ---------------------------------------------------

my $before = snapshot('');
$res = get('/countapi/get/site.example/never');
ok t_cmp($res->code, 404, 'get of a key never counted: 404');
ok t_cmp(json_of($res), { value => undef }, 'get of it: {"value":null}');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', '404: ACAO *');
ok t_cmp($res->header('ETag'), undef, '404: no ETag');
$res = get('/countapi/get/site.example/never?callback=cb');
ok t_cmp($res->code, 200, 'as JSONP: 200, so the script runs');
ok t_cmp($res->content, qq(cb({"value":null});\n), 'as JSONP: cb({"value":null});');
$res = raw_request(HEAD => '/countapi/hit/site.example/never');
ok t_cmp($res->code, 404, 'HEAD hit of it: 404, not counted');
ok t_cmp(snapshot(''), $before, 'none of these stored anything');
request(PUT => '/admin/site.example/zero', content => '{"count":0,"unique":0}');
ok t_cmp(json_of(get('/countapi/get/site.example/zero')), { value => 0 },
         'a key set to 0 by the admin API: {"value":0}');

# ---- the visitor filters ---------------------------------------------------

my $f = '/countapi-filtered/hit/filtered.example/visits';
my $figures = figures();
ok t_cmp($figures, qr/^\d+ \d+ \d+ \d+ \d+$/, 'the figures can be read');
($res, $note) = tagged_hit($f, 'User-Agent' => $chrome);
ok t_cmp(json_of($res), { value => 1 }, "a visitor's first hit counts");
ok t_cmp($note, 'counted', 'note: counted');
($res, $note) = tagged_hit($f, 'User-Agent' => $chrome);
ok t_cmp(json_of($res), { value => 1 }, 'the same visitor again: value unchanged');
ok t_cmp($note, 'duplicate', 'note: duplicate');
($res, $note) = tagged_hit($f, 'User-Agent' => $bot);
ok t_cmp($res->code, 200, 'a robot: 200');
ok t_cmp(json_of($res), { value => 1 }, 'a robot: value unchanged');
ok t_cmp($note, 'bot', 'note: bot');
($res, $note) = tagged_hit($f, 'User-Agent' => $firefox, 'Sec-Purpose' => 'prefetch');
ok t_cmp(json_of($res), { value => 1 }, 'a prefetch: value unchanged');
ok t_cmp($note, 'prefetch', 'note: prefetch');
($res, $note) = tagged_hit($f, 'User-Agent' => $firefox,
                           Cookie => 'visitcount_ignore=1');
ok t_cmp(json_of($res), { value => 1 }, 'visitcount-ignore: value unchanged');
ok t_cmp($note, 'ignored', 'note: ignored');
($res, $note) = tagged_hit($f, 'User-Agent' => $firefox);
ok t_cmp(json_of($res), { value => 2 }, 'another visitor counts');
ok t_cmp(api_count('filtered.example/visits'), 2,
         'the public API reads the same 2');
($res, $note) = tagged_hit('/countapi-filtered/hit/filtered.example/robots',
                           'User-Agent' => $bot);
ok t_cmp(json_of($res), { value => 0 }, "a robot's hit on a new key: 0");
ok t_cmp(get('/countapi/get/filtered.example/robots')->code, 404,
         'and the key was not created');
ok t_cmp(delta($figures, figures()), '2 2 1 1 1',
         'the figures: 2 counted, 2 robots, 1 duplicate, prefetch, ignored');

# ---- JSONP -----------------------------------------------------------------

$res = get('/countapi/hit/jsonp.example/visits?callback=cb');
ok t_cmp($res->code, 200, 'JSONP hit: 200');
ok t_cmp($res->content, qq(cb({"value":1});\n), 'JSONP hit: cb({"value":1});');
ok t_cmp($res->header('Content-Type'), 'application/javascript',
         'JSONP: application/javascript');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'JSONP: nosniff');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'JSONP hit: no-store');
ok t_cmp($res->header('Access-Control-Allow-Origin'), '*', 'JSONP: ACAO *');
$res = get('/countapi/get/jsonp.example/visits?_=9&callback=window.app.%24counter');
ok t_cmp($res->content, qq(window.app.\$counter({"value":1});\n),
         'JSONP get with a dotted name and a $');
ok t_cmp($res->header('ETag'), qr/^"[0-9a-f]{16}"$/, 'JSONP get: an ETag');
ok t_cmp($res->header('ETag') ne $etag, 1, 'naming its own bytes');

my @bad_callbacks = (
    ['alert(1)//'           => 'a call and a comment'],
    ['alert%281%29%2F%2F'   => 'the same, escaped'],
    ['a-b'                  => "a '-'"],
    [''                     => 'empty'],
    ['a' x 65               => 'a part of 65 characters'],
    [join('.', ('abcdefghijklmnop') x 8) . 'q' => 'over 128 characters'],
    ['%C3%A9t%C3%A9'        => 'non-ASCII letters'],
    ['cb%E2%80%A8'          => 'U+2028'],
    ['1cb'                  => 'a leading digit'],
    ['delete'               => 'a reserved word'],
    ['a.b%3Bc'              => "a ';'"],
    ['cb%0A'                => 'a newline'],
    ['a+b'                  => 'a space'],
    ['cb&callback=cb2'      => 'callback twice'],
);
$before = snapshot('');
for my $case (@bad_callbacks) {
    my ($cb, $what) = @$case;
    $res = get("/countapi/hit/jsonp.example/visits?callback=$cb");
    ok t_cmp([$res->code, $res->header('Content-Type'),
              $res->header('Access-Control-Allow-Origin'), json_of($res)],
             [400, 'application/json', '*', $error],
             "callback refused ($what): 400 JSON with ACAO *");
}
ok t_cmp(snapshot(''), $before, 'no refused callback counted');
ok t_cmp(value_of('jsonp.example/visits'), 1, 'the value is unchanged');

# ---- bad namespaces and keys -----------------------------------------------

my @bad_keys = (
    '/countapi/hit/a/b/c'            => 'three segments',
    '/countapi/hit/bad!ns/visits'    => "a '!'",
    '/countapi/hit/./visits'         => "a '.' namespace",
    '/countapi/get/ns/..'            => "a '..' key",
    '/countapi/hit/ns//visits'       => 'an empty segment',
    '/countapi/hit/ns/visits//'      => "two trailing '/'",
    '/countapi/hit/'                 => 'no key',
    '/countapi/get'                  => 'no key on get',
    '/countapi/hit/%C3%A9t%C3%A9/x'  => 'non-ASCII',
    '/countapi/hit/ns/' . ('k' x 126) => '129 bytes',
);
$before = snapshot('');
while (my ($path, $what) = splice @bad_keys, 0, 2) {
    $res = get($path);
    ok t_cmp([$res->code, $res->header('Access-Control-Allow-Origin'),
              $res->header('Cache-Control'), json_of($res)],
             [400, '*', 'no-store', $error], "bad key ($what): 400 JSON");
}
# httpd itself refuses an encoded '/' or NUL before the module runs, with
# its own page (without CORS headers): any 4xx, nothing stored.
for my $path ('/countapi/hit/ns%2Fkey', '/countapi/hit/ns/a%00b') {
    ok t_cmp(get($path)->code, qr/^4\d\d$/, "$path: refused by httpd");
}
ok t_cmp(snapshot(''), $before, 'no bad key stored anything');
ok t_cmp(json_of(get('/countapi/hit/ns/' . ('k' x 125))), { value => 1 },
         'a key of 128 bytes counts');

# ---- other routes ----------------------------------------------------------

my @routes = ('/countapi/set/site.example/visits?value=99',
              '/countapi/update/site.example/visits?amount=5',
              '/countapi/create?namespace=site.example&key=x',
              '/countapi/info/site.example/visits', '/countapi/stats',
              '/countapi/', '/countapi', '/countapi/HIT/site.example/visits',
              '/countapi/hits/site.example/visits');
$before = snapshot('');
for my $path (@routes) {
    $res = get($path);
    ok t_cmp([$res->code, $res->header('Access-Control-Allow-Origin'),
              $res->header('Content-Type'), json_of($res)],
             [404, '*', 'application/json',
              { error => qr{GET /hit/NAMESPACE/KEY.*GET /get/NAMESPACE/KEY} }],
             "unknown route $path: 404 JSON naming the routes");
}
ok t_cmp(snapshot(''), $before, 'no unknown route stored anything');
ok t_cmp(value_of('site.example/visits'), 4, 'set and update changed nothing');

# ---- methods ---------------------------------------------------------------

for my $method (qw(POST PUT DELETE PATCH)) {
    $res = raw_request($method => '/countapi/hit/site.example/visits',
                       content => '');
    ok t_cmp([$res->code, $res->header('Allow'),
              $res->header('Access-Control-Allow-Origin'), json_of($res)],
             [405, 'GET, HEAD, OPTIONS', '*', $error],
             "$method: 405 with Allow and ACAO *");
}
ok t_cmp(value_of('site.example/visits'), 4, 'none of them counted');
$res = raw_request(OPTIONS => '/countapi/hit/site.example/visits');
ok t_cmp([$res->code, $res->header('Allow'),
          $res->header('Access-Control-Allow-Origin')],
         [204, 'GET, HEAD, OPTIONS', '*'], 'OPTIONS: 204 with Allow and ACAO *');
$res = raw_request(OPTIONS => '/countapi/hit/site.example/visits',
                   headers => [Origin => 'https://anysite.example',
                               'Access-Control-Request-Method' => 'GET']);
ok t_cmp([$res->code, $res->header('Access-Control-Allow-Origin'),
          $res->header('Access-Control-Allow-Methods')],
         [204, '*', 'GET, HEAD'], 'a preflight from any origin: allowed');
ok t_cmp(value_of('site.example/visits'), 4, 'OPTIONS counted nothing');

# ---- the store down --------------------------------------------------------

my $dir = Apache::Test::vars('serverroot') . '/var/countapi-down';
my $srv = VCServer->new(name => 'countapi-down',
                        store => "redis+unix://$dir/no-such.sock",
                        conf => <<'EOF');
<Location "/countapi">
    SetHandler visitcount-countapi
</Location>
EOF
ok t_cmp($srv->start, 1, 'a server whose store is down starts');
for my $path ('/countapi/hit/ns/key', '/countapi/get/ns/key',
              '/countapi/hit/ns/key?callback=cb') {
    my $r = $srv->request(GET => $path);
    ok t_cmp([$r->{status}, $r->{headers}{'content-type'},
              $r->{headers}{'access-control-allow-origin'},
              $r->{headers}{'retry-after'},
              eval { JSON::PP->new->decode($r->{content}) }],
             [503, 'application/json', '*', qr/^\d+$/, $error],
             "$path: 503 JSON with Retry-After and ACAO *");
}
$srv->stop;
