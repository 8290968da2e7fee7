# CORS: with an allow-list every reply, errors included, says Vary: Origin
# and only a listed origin (compared case-insensitively) is answered with
# Access-Control-Allow-Origin, in its configured spelling; with "*" every
# reply allows any origin; preflights get the methods, the requested
# headers when they are plain header names, and a max age.  Without
# VisitCountAllowOrigin no CORS header is sent at all.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD);
use Apache::TestUtil;
use VCTest qw(request raw_request json_of admin_counts);

my $site = 'https://example.com';

# Origins the /cors allow-list must refuse.
my @foreign = (
    'https://evil.com',
    'null',
    'https://example.com, https://evil.com',
    'https://example.com.evil.com',
    'https://evil.com/https://example.com',
    'http://example.com',
    'https://example.com:8443',
    'https://example.com/',
    'https://sub.example.com',
    'http://localhost:8081',
    '',
);

# Replies of every kind under /cors: [name, request] (raw where the path
# must reach the server as written).
my @replies = (
    ['GET'          => sub { GET '/cors/cors-a', @_ }],
    ['HEAD'         => sub { HEAD '/cors/cors-a', @_ }],
    ['POST'         => sub { POST '/cors/cors-b', @_ }],
    ['304'          => sub { GET '/cors/cors-a', @_,
                                 'If-None-Match' => '*' }],
    ['400 bad key'  => sub { raw_request(GET => '/cors/cors-a%20b',
                                         headers => [@_]) }],
    ['405'          => sub { request(DELETE => '/cors/cors-a',
                                     headers => [@_]) }],
    ['413'          => sub { POST '/cors/cors-b', @_,
                                  content => 'x' x 1025 }],
    ['OPTIONS'      => sub { request(OPTIONS => '/cors/cors-a',
                                     headers => [@_]) }],
);

plan tests => 4 * @replies + 2 * @foreign + 2 + 22 + 4 * 3 + 9;

# ---- the allow-list: every kind of reply ---------------------------------

for my $case (@replies) {
    my ($name, $send) = @$case;
    my $res = $send->(Origin => $site);
    ok t_cmp($res->header('Vary'), qr/\bOrigin\b/,
             "/cors $name from $site: Vary: Origin");
    ok t_cmp($res->header('Access-Control-Allow-Origin'), $site,
             "/cors $name from $site: allowed");
    $res = $send->(Origin => 'https://evil.com');
    ok t_cmp($res->header('Vary'), qr/\bOrigin\b/,
             "/cors $name from another origin: Vary: Origin");
    ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
             "/cors $name from another origin: not allowed");
}

# ---- the allow-list: which origins match ---------------------------------

for my $origin (@foreign) {
    my $res = GET '/cors/cors-a', Origin => $origin;
    ok t_cmp($res->code, 200, "/cors from '$origin': still answered");
    ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
             "/cors from '$origin': no Access-Control-Allow-Origin");
}

my $res = GET '/cors/cors-a', Origin => 'https://EXAMPLE.com';
ok t_cmp($res->header('Access-Control-Allow-Origin'), $site,
         '/cors from https://EXAMPLE.com: the configured spelling is echoed');
$res = GET '/cors/cors-a', Origin => 'http://localhost:8080';
ok t_cmp($res->header('Access-Control-Allow-Origin'), 'http://localhost:8080',
         '/cors: the second listed origin is allowed too');

# ---- preflight -------------------------------------------------------------

$res = request(OPTIONS => '/cors/cors-a', headers => [
    Origin                           => $site,
    'Access-Control-Request-Method'  => 'POST',
    'Access-Control-Request-Headers' => 'content-type',
]);
ok t_cmp($res->code, 204, 'preflight from the site: 204');
ok t_cmp($res->content, '', 'preflight from the site: no body');
ok t_cmp($res->header('Access-Control-Allow-Origin'), $site,
         'preflight from the site: Access-Control-Allow-Origin');
ok t_cmp($res->header('Access-Control-Allow-Methods'), 'GET, HEAD, POST',
         'preflight from the site: Access-Control-Allow-Methods');
ok t_cmp($res->header('Access-Control-Allow-Headers'), 'content-type',
         'preflight from the site: the requested header is allowed');
ok t_cmp($res->header('Access-Control-Max-Age'), 600,
         'preflight from the site: Access-Control-Max-Age 600');
ok t_cmp($res->header('Vary'), qr/\bOrigin\b/, 'preflight from the site: Vary');
ok t_cmp($res->header('Allow'), 'GET, HEAD, POST, OPTIONS',
         'preflight from the site: Allow');

$res = request(OPTIONS => '/cors/cors-a', headers => [
    Origin                           => $site,
    'Access-Control-Request-Method'  => 'GET',
    'Access-Control-Request-Headers' => 'content-type, x-requested-with',
]);
ok t_cmp($res->header('Access-Control-Allow-Headers'),
         'content-type, x-requested-with',
         'preflight: a list of header names is allowed as asked');

for my $unsafe ('x-a;b', 'x-a, <script>', 'x-a:1') {
    $res = request(OPTIONS => '/cors/cors-a', headers => [
        Origin                           => $site,
        'Access-Control-Request-Method'  => 'POST',
        'Access-Control-Request-Headers' => $unsafe,
    ]);
    ok t_cmp($res->code, 204, "preflight asking for '$unsafe': 204");
    ok t_cmp($res->header('Access-Control-Allow-Headers'), undef,
             "preflight asking for '$unsafe': not echoed");
}

$res = request(OPTIONS => '/cors/cors-a', headers => [
    Origin                           => 'https://evil.com',
    'Access-Control-Request-Method'  => 'POST',
    'Access-Control-Request-Headers' => 'content-type',
]);
ok t_cmp($res->code, 204, 'preflight from another origin: 204');
ok t_cmp(join(',', grep { /^Access-Control-/i } $res->header_field_names),
         '', 'preflight from another origin: no Access-Control-* header');
ok t_cmp($res->header('Vary'), qr/\bOrigin\b/,
         'preflight from another origin: Vary: Origin');

$res = request(OPTIONS => '/cors/cors-a', headers => [Origin => $site]);
ok t_cmp($res->header('Access-Control-Allow-Origin'), $site,
         'OPTIONS without Access-Control-Request-Method: origin allowed');
ok t_cmp($res->header('Access-Control-Allow-Methods'), undef,
         'OPTIONS without Access-Control-Request-Method: not a preflight');

ok t_cmp(admin_counts('cors-a'), '0/0', 'nothing above counted cors-a');
ok t_cmp(admin_counts('cors-b'), '2/0', 'the two POSTs counted, whatever their origin');

# ---- the wildcard ----------------------------------------------------------

for my $origin (undef, $site, 'https://evil.com') {
    my @h = defined $origin ? (Origin => $origin) : ();
    my $from = defined $origin ? $origin : 'no origin';
    ok t_cmp(GET('/cors-any/cors-w', @h)->header('Access-Control-Allow-Origin'),
             '*', "/cors-any GET from $from: *");
    ok t_cmp(POST('/cors-any/cors-w', @h)->header('Access-Control-Allow-Origin'),
             '*', "/cors-any POST from $from: *");
    ok t_cmp(request(PUT => '/cors-any/cors-w', headers => [@h])
                 ->header('Access-Control-Allow-Origin'),
             '*', "/cors-any 405 from $from: *");
    ok t_cmp(raw_request(GET => '/cors-any/cors-w/', headers => [@h])
                 ->header('Access-Control-Allow-Origin'),
             '*', "/cors-any 400 from $from: *");
}

# ---- no CORS configured ----------------------------------------------------

$res = GET '/api/visits/cors-n', Origin => $site;
ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
         '/api/visits from the site: no Access-Control-Allow-Origin');
ok t_cmp($res->header('Vary'), undef, '/api/visits from the site: no Vary');
$res = POST '/api/visits/cors-n', Origin => $site;
ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
         '/api/visits POST from the site: no Access-Control-Allow-Origin');
$res = request(OPTIONS => '/api/visits/cors-n', headers => [
    Origin                          => $site,
    'Access-Control-Request-Method' => 'POST',
]);
ok t_cmp($res->code, 204, '/api/visits preflight: 204 (Allow only)');
ok t_cmp(join(',', grep { /^Access-Control-/i } $res->header_field_names),
         '', '/api/visits preflight: no Access-Control-* header');
ok t_cmp($res->header('Allow'), 'GET, HEAD, POST, OPTIONS',
         '/api/visits preflight: Allow');
$res = GET '/admin/cors-n', Origin => $site;
ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
         '/admin from the site: no Access-Control-Allow-Origin');
ok t_cmp(json_of(GET '/admin/cors-n'),
         { key => 'cors-n', count => 1, unique => 0 },
         'cors-n: the POST counted');
ok t_cmp(admin_counts('cors-w'), '3/0', 'cors-w: the three POSTs counted');
