# Counting and reading through the public API: POST counts, GET and HEAD
# read without counting, default keys per mount, VisitCountIncrementOnGet,
# query strings, and the 1 KiB request body limit.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD);
use Apache::TestUtil;
use JSON::PP ();
use VCTest qw(raw_request json_of admin_counts stored_keys);

plan tests => 105;

my $true = JSON::PP::true;
my $error = { error => qr/\w/ };

# The count a public read gives for the key at path (a mount or mount/key).
sub count_at {
    my $data = json_of(GET shift);
    return $data ? $data->{count} : 'unreadable';
}

# ---- POST counts, GET and HEAD read -------------------------------------

my $res = POST '/api/visits/hit-a';
ok t_cmp($res->code, 200, 'POST hit-a: 200');
ok t_cmp(json_of($res),
         { key => 'hit-a', count => 1, unique => 0, counted => $true },
         'POST hit-a: the first hit counts 1');
ok t_cmp($res->header('Content-Type'), 'application/json',
         'POST hit-a: Content-Type application/json');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff',
         'POST hit-a: X-Content-Type-Options nosniff');
ok t_cmp($res->header('Cache-Control'), 'no-store',
         'POST hit-a: Cache-Control no-store');

$res = POST '/api/visits/hit-a';
ok t_cmp(json_of($res),
         { key => 'hit-a', count => 2, unique => 0, counted => $true },
         'POST hit-a again: count 2');

my $get = GET '/api/visits/hit-a';
ok t_cmp($get->code, 200, 'GET hit-a: 200');
ok t_cmp(json_of($get), { key => 'hit-a', count => 2, unique => 0 },
         'GET hit-a: reads count 2, no "counted" member');
ok t_cmp($get->header('Cache-Control'), 'no-cache',
         'GET hit-a: Cache-Control no-cache');
ok t_cmp($get->header('Content-Type'), 'application/json',
         'GET hit-a: Content-Type application/json');
ok t_cmp($get->header('X-Content-Type-Options'), 'nosniff',
         'GET hit-a: X-Content-Type-Options nosniff');
ok t_cmp(count_at('/api/visits/hit-a'), 2, 'GET hit-a again: still 2');

my $head = HEAD '/api/visits/hit-a';
ok t_cmp($head->code, 200, 'HEAD hit-a: 200');
ok t_cmp($head->content, '', 'HEAD hit-a: no body');
ok t_cmp($head->header('Content-Type'), 'application/json',
         'HEAD hit-a: Content-Type as GET');
ok t_cmp($head->header('Content-Length'), length($get->content),
         'HEAD hit-a: Content-Length of the GET body');
ok t_cmp($head->header('ETag'), $get->header('ETag'), 'HEAD hit-a: ETag as GET');
ok t_cmp($head->header('Cache-Control'), 'no-cache',
         'HEAD hit-a: Cache-Control no-cache');
ok t_cmp(admin_counts('hit-a'), '2/0', 'hit-a: GET and HEAD did not count');

$res = GET '/api/visits/hit-never';
ok t_cmp($res->code, 200, 'GET of a key never hit: 200');
ok t_cmp(json_of($res), { key => 'hit-never', count => 0, unique => 0 },
         'GET of a key never hit: count 0');
$res = HEAD '/api/visits/hit-never';
ok t_cmp($res->code, 200, 'HEAD of a key never hit: 200');
ok t_cmp(stored_keys('hit-never'), [], 'reading a key never hit stores nothing');

# ---- default keys and mounts --------------------------------------------

my $default = count_at('/api/visits');
ok t_cmp(json_of(GET '/api/visits/')->{key}, 'default',
         'GET /api/visits/ reads the default key');
ok t_cmp(json_of(GET '/api/visits')->{key}, 'default',
         'GET /api/visits reads the default key');
ok t_cmp(json_of(POST '/api/visits'),
         { key => 'default', count => $default + 1, unique => 0,
           counted => $true },
         'POST /api/visits counts the default key');
ok t_cmp(json_of(POST '/api/visits/'),
         { key => 'default', count => $default + 2, unique => 0,
           counted => $true },
         'POST /api/visits/ counts the default key');

my $home = count_at('/counters');
ok t_cmp(json_of(POST '/counters'),
         { key => 'home', count => $home + 1, unique => 0, counted => $true },
         'POST /counters counts VisitCountDefaultKey home');
ok t_cmp(json_of(GET '/counters/'),
         { key => 'home', count => $home + 1, unique => 0 },
         'GET /counters/ reads home');

my $inner = count_at('/counters/inner');
ok t_cmp(json_of(POST '/counters/inner/'),
         { key => 'inner-home', count => $inner + 1, unique => 0,
           counted => $true },
         'POST /counters/inner/ counts the nested mount default inner-home');
ok t_cmp(json_of(GET '/counters/inner'),
         { key => 'inner-home', count => $inner + 1, unique => 0 },
         'GET /counters/inner reads inner-home');
ok t_cmp(count_at('/counters'), $home + 1,
         'hits on the nested mount left home alone');

ok t_cmp(json_of(POST '/counters/inner/hit-x'),
         { key => 'hit-x', count => 1, unique => 0, counted => $true },
         'POST /counters/inner/hit-x: key below the nested mount');
ok t_cmp(json_of(POST '/counters/hit-x'),
         { key => 'hit-x', count => 2, unique => 0, counted => $true },
         'POST /counters/hit-x: same key, same count, from another mount');
ok t_cmp(count_at('/api/visits/hit-x'), 2,
         'GET /api/visits/hit-x: all mounts share one store');
ok t_cmp(json_of(POST '/counters/hit-y/z'),
         { key => 'hit-y/z', count => 1, unique => 0, counted => $true },
         'POST /counters/hit-y/z: a key with a slash');

# ---- VisitCountIncrementOnGet -------------------------------------------

$res = GET '/get-counts/hit-g';
ok t_cmp($res->code, 200, 'GET /get-counts/hit-g: 200');
ok t_cmp(json_of($res),
         { key => 'hit-g', count => 1, unique => 0, counted => $true },
         'GET /get-counts/hit-g: counts');
ok t_cmp($res->header('Cache-Control'), 'no-store',
         'GET /get-counts/hit-g: Cache-Control no-store');
ok t_cmp(json_of(GET '/get-counts/hit-g')->{count}, 2,
         'GET /get-counts/hit-g again: count 2');
$res = HEAD '/get-counts/hit-g';
ok t_cmp($res->code, 200, 'HEAD /get-counts/hit-g: 200');
ok t_cmp(admin_counts('hit-g'), '2/0', 'HEAD /get-counts/hit-g: did not count');
ok t_cmp(json_of(POST '/get-counts/hit-g')->{count}, 3,
         'POST /get-counts/hit-g: counts');
ok t_cmp(count_at('/api/visits/hit-g'), 3,
         'GET /api/visits/hit-g: without the option GET does not count');
ok t_cmp(admin_counts('hit-g'), '3/0', 'hit-g: 3 after all of that');

# ---- query strings ------------------------------------------------------

$res = POST '/api/visits/hit-q?_=123';
ok t_cmp(json_of($res),
         { key => 'hit-q', count => 1, unique => 0, counted => $true },
         'POST hit-q?_=123: a cache buster is ignored');
$res = GET '/api/visits/hit-q?_=456&x&y=';
ok t_cmp(json_of($res), { key => 'hit-q', count => 1, unique => 0 },
         'GET hit-q?_=456&x&y=: unknown parameters are ignored');

for my $query ('%zz', 'a=%00', '=x', 'a=%4', 'a=1&%G1=2') {
    $res = raw_request(POST => "/api/visits/hit-q?$query");
    ok t_cmp($res->code, 400, "POST hit-q?$query: 400");
    ok t_cmp(json_of($res), $error, "POST hit-q?$query: one JSON error");
}
$res = raw_request(GET => '/api/visits/hit-q?%zz');
ok t_cmp($res->code, 400, 'GET hit-q?%zz: 400');
ok t_cmp(json_of($res), $error, 'GET hit-q?%zz: one JSON error');
ok t_cmp(admin_counts('hit-q'), '1/0', 'malformed queries counted nothing');

# ---- request bodies -----------------------------------------------------

# A hit's body is empty or a JSON object; only its "visitor" member means
# anything (t/api/visitors.t), the rest is ignored.
my $body1024 = '{"pad":"' . ('x' x 1014) . '"}';
$res = POST '/api/visits/hit-b', content => $body1024;
ok t_cmp(json_of($res),
         { key => 'hit-b', count => 1, unique => 0, counted => $true },
         'POST hit-b with a 1024-byte JSON body: counts');

$res = POST '/api/visits/hit-b', content => 'x' x 1025;
ok t_cmp($res->code, 413, 'POST hit-b with a 1025-byte body: 413');
ok t_cmp(json_of($res), { error => 'request body larger than 1 KiB' },
         'POST hit-b with a 1025-byte body: JSON error');
ok t_cmp($res->header('Content-Type'), 'application/json',
         'POST hit-b with a 1025-byte body: Content-Type application/json');
ok t_cmp(admin_counts('hit-b'), '1/0', 'the 1025-byte body did not count');

$res = raw_request(POST => '/api/visits/hit-b', content => 'x' x 1025,
                   chunked => 400);
ok t_cmp($res->code, 413, 'POST hit-b, 1025 bytes chunked: 413');
ok t_cmp(json_of($res), { error => 'request body larger than 1 KiB' },
         'POST hit-b, 1025 bytes chunked: JSON error');
ok t_cmp(admin_counts('hit-b'), '1/0', 'the chunked 1025 bytes did not count');

$res = raw_request(POST => '/api/visits/hit-b', content => $body1024,
                   chunked => 400);
ok t_cmp($res->code, 200, 'POST hit-b, 1024 bytes chunked: 200');
ok t_cmp(json_of($res)->{count}, 2, 'POST hit-b, 1024 bytes chunked: counts');

# Refused from the header alone: the server must not wait for the body.
$res = raw_request(POST => '/api/visits/hit-b',
                   headers => ['Content-Length' => 1000000]);
ok t_cmp($res->code, 413, 'POST hit-b announcing 1000000 bytes: 413 at once');
ok t_cmp(json_of($res), { error => 'request body larger than 1 KiB' },
         'POST hit-b announcing 1000000 bytes: JSON error');
ok t_cmp(admin_counts('hit-b'), '2/0', 'hit-b: the refused bodies counted nothing');

for my $ok ('', "  \r\n", '{}', '{"visitor":"0123456789abcdef"}',
            '{"page":"/cv","n":[1,{"a":null}],"visitor":"AbCd-_0123456789"}') {
    $res = POST '/api/visits/hit-body', content => $ok;
    ok t_cmp([$res->code, (json_of($res) || {})->{counted}], [200, $true],
             "POST with the body '$ok': counts");
}
my @bad_bodies = (
    [ 'x' x 20, 'not JSON' ],
    [ '[]', 'an array' ],
    [ '"visitor"', 'a string' ],
    [ '{"visitor":"short"}', 'a token under 16 characters' ],
    [ '{"visitor":"' . ('a' x 65) . '"}', 'a token over 64 characters' ],
    [ '{"visitor":"0123456789abcdef!"}', 'a token with a "!"' ],
    [ '{"visitor":"0123456789\\u0000abcdef"}', 'a token with an escaped NUL' ],
    [ '{"visitor":12345678901234567}', 'a numeric token' ],
    [ '{"visitor":"0123456789abcdef","visitor":"0123456789abcdeg"}', 'two tokens' ],
    [ '{"visitor":"0123456789abcdef"', 'an unterminated object' ],
    [ '{"a":' . ('[' x 40) . (']' x 40) . '}', 'nesting 40 deep' ],
    [ '{"visitor":"0123456789abcdef"} {}', 'two values' ],
    [ "{\"visitor\":\"0123456789abcd\xc3\xa9\"}", 'a token with UTF-8' ],
);
for my $case (@bad_bodies) {
    my ($body, $what) = @$case;
    $res = POST '/api/visits/hit-body', content => $body;
    ok t_cmp($res->code, 400, "POST with $what as its body: 400");
    ok t_cmp(json_of($res), { error => qr/./ }, "POST with $what as its body: a JSON error");
}
ok t_cmp(admin_counts('hit-body'), '5/0', 'hit-body: the refused bodies counted nothing');
