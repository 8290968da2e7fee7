# The admin API: listing in byte order with prefix, after and limit, and
# pagination that visits every key once; setting counts with PUT and a
# strict JSON body; DELETE; reads with caching headers; exact 64-bit
# counts up to the maximum; and access through httpd's own authorization.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD);
use Apache::TestUtil;
use JSON::PP ();
use VCTest qw(request raw_request json_of admin_put admin_delete
              admin_counts stored_keys);

my $true = JSON::PP::true;
my $false = JSON::PP::false;
my $error = { error => qr/\w/ };

# Keys whose byte order differs from any case-insensitive or natural order.
my @list_keys = map { "admin-l/$_" }
                qw(- .x 0 9 A Z _ a a.b a/b ab z ~);
my @expected = map { { key => $list_keys[$_], count => $_ + 1,
                       unique => $_ % 3 } } 0 .. $#list_keys;

my @bad_queries = (
    'limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'limit=', 'limit=1.5',
    'limit=%2B5', 'limit=%205', 'limit=99999999999999999999999', 'foo=1',
    'prefix=a&prefix=b', 'limit=1&limit=2', 'after=a&after=b',
    'prefix=a%20b', 'prefix=%3C', 'prefix=%C3%A9', 'prefix=a%5Cb',
    'prefix=' . 'p' x 129, 'after=a//b', 'after=/x', 'after=x/',
    'after=../x', 'after=x/./y', 'after=' . 'a' x 129, 'after=%C3%A9',
    '%zz', '=x', 'prefix=%00',
);

my @bad_bodies = (
    '{"count":-1}', '{"count":1.0}', '{"count":1.5}', '{"count":1e3}',
    '{"count":01}', '{"count":00}', '{"count":+1}', '{"count":0x10}',
    '{"count":18446744073709551616}', '{"count":99999999999999999999999}',
    '{"count":1,"unique":18446744073709551616}', '{"count":"5"}',
    '{"count":true}', '{"count":null}', '{"count":{"n":1}}', '{"count":[1]}',
    '{"count":1,"extra":2}', '{"count":1,"count":2}',
    '{"count":1,"unique":1,"unique":2}', '{"Count":1}', '{"unique":3}', '{}',
    '', ' ', '[]', '[{"count":1}]', '5', 'null', '"count"',
    '{"count":1', '{"count":1,}', '{"count":1}x', '{"count":1}{"count":2}',
    "{'count':1}", '{count:1}', '{"count":1,"unique":-0}', '{"count":-0}',
    '{"count":1,"unique":2.0}', "{\"count\":1}\x00", '{"count":1,"unique":2}',
);

plan tests => 30 + 2 * @bad_queries        # listing
            + 16 + 3 * @bad_bodies + 11     # PUT
            + 8 + 11 + 11 + 8;              # reads, DELETE, 64 bits, access

# ---- listing ---------------------------------------------------------------

my @codes = map { admin_put($list_keys[$_], $_ + 1, $_ % 3)->code }
            0 .. $#list_keys;
ok t_cmp("@codes", join(' ', (200) x @list_keys), 'PUT the listing keys: 200s');

my $res = GET '/admin/?prefix=admin-l/';
ok t_cmp($res->code, 200, 'list admin-l/: 200');
ok t_cmp($res->header('Content-Type'), 'application/json',
         'list admin-l/: Content-Type application/json');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff',
         'list admin-l/: X-Content-Type-Options nosniff');
ok t_cmp(json_of($res), { keys => \@expected, next => undef },
         'list admin-l/: every key with its counts, in byte order');
ok t_cmp([map { $_->{key} } @expected], [sort @list_keys],
         '(the expected order is byte order)');

$res = GET '/admin?prefix=admin-l/';
ok t_cmp(json_of($res), { keys => \@expected, next => undef },
         'list at /admin without the slash: the same');
$res = HEAD '/admin/?prefix=admin-l/';
ok t_cmp($res->code, 200, 'HEAD list: 200');
ok t_cmp($res->content, '', 'HEAD list: no body');

ok t_cmp(page('prefix=admin-l/a'),
         [[map { "admin-l/$_" } qw(a a.b a/b ab)], undef],
         'prefix admin-l/a: the key itself and every key starting so');
ok t_cmp(page('prefix=admin-l/A'), [['admin-l/A'], undef],
         'prefix admin-l/A: prefixes are case-sensitive');

# Pagination: following "next" visits every key exactly once.
for my $limit (1, 2, 5, 12, 13, 14, 1000) {
    ok t_cmp(walk('admin-l/', $limit), [\@list_keys, 'no repeats'],
             "pages of $limit: every key once, in order, then next null");
}

ok t_cmp(page('prefix=admin-l/&limit=5'), [[@list_keys[0 .. 4]], $list_keys[4]],
         'limit 5: the first five, next names the fifth');
ok t_cmp(page("prefix=admin-l/&limit=5&after=$list_keys[4]"),
         [[@list_keys[5 .. 9]], $list_keys[9]],
         'after the fifth: the next five, after is exclusive');
ok t_cmp(page('prefix=admin-l/&limit=13'), [\@list_keys, undef],
         'limit equal to the number of keys: next is null');
ok t_cmp(page('prefix=admin-l/&after=admin-l/a.a'),
         [[@list_keys[8 .. 12]], undef],
         'after a key that does not exist: from the next one up');
ok t_cmp(page("prefix=admin-l/&after=$list_keys[-1]"), [[], undef],
         'after the last key: an empty page, next null');
ok t_cmp(page('prefix=admin-l/&after=admin-l'), [\@list_keys, undef],
         'after a key below the prefix: the whole prefix');
ok t_cmp(page('prefix=admin-l/nothing'), [[], undef],
         'a prefix no key has: an empty list');

# The default page size is 100.
my @many = map { sprintf 'admin-m/%03d', $_ } 0 .. 100;
@codes = map { admin_put($_, 1)->code } @many;
ok t_cmp("@codes", join(' ', (200) x @many), 'PUT 101 keys: 200s');
ok t_cmp(page('prefix=admin-m/'), [[@many[0 .. 99]], $many[99]],
         'no limit: the first 100 keys, next names the 100th');
ok t_cmp(page("prefix=admin-m/&after=$many[99]"), [[$many[100]], undef],
         'after the 100th: the last key');
ok t_cmp(page('prefix=admin-m/&limit=1000'), [\@many, undef],
         'limit 1000: all 101 keys');
ok t_cmp(walk('admin-m/', 7), [\@many, 'no repeats'],
         'pages of 7 over 101 keys: every key once');

for my $query (@bad_queries) {
    $res = raw_request(GET => "/admin/?$query");
    my $name = length $query > 40 ? substr($query, 0, 40) . '...' : $query;
    ok t_cmp($res->code, 400, "list ?$name: 400");
    ok t_cmp(json_of($res), $error, "list ?$name: a JSON error");
}

# ---- PUT -------------------------------------------------------------------

$res = admin_put('admin-p', 5, 2);
ok t_cmp($res->code, 200, 'PUT admin-p {5,2}: 200');
ok t_cmp(json_of($res), { key => 'admin-p', count => 5, unique => 2 },
         'PUT admin-p {5,2}: the counts set');
ok t_cmp(json_of(GET '/admin/admin-p'),
         { key => 'admin-p', count => 5, unique => 2 },
         'GET /admin/admin-p: the counts set');
ok t_cmp(json_of(GET '/api/visits/admin-p'),
         { key => 'admin-p', count => 5, unique => 2 },
         'GET /api/visits/admin-p: the public API reads them too');
ok t_cmp(json_of(POST '/api/visits/admin-p'),
         { key => 'admin-p', count => 6, unique => 2, counted => $true },
         'a hit after a PUT counts on from the count set');
ok t_cmp(json_of(admin_put('admin-p', 7)),
         { key => 'admin-p', count => 7, unique => 0 },
         'PUT without unique: unique 0');
$res = request(PUT => '/admin/admin-p',
               content => qq( {\n "unique" : 1 ,\t"count" : 8 }\n));
ok t_cmp(json_of($res), { key => 'admin-p', count => 8, unique => 1 },
         'PUT with whitespace and members in another order');
ok t_cmp(json_of(admin_put('admin-p', 0, 0)),
         { key => 'admin-p', count => 0, unique => 0 }, 'PUT count 0');

admin_put('admin-p', 9, 3);
my $padded = '{"count":10,"unique":4}';
$res = request(PUT => '/admin/admin-p',
               content => $padded . ' ' x (1025 - length $padded));
ok t_cmp($res->code, 413, 'PUT with a 1025-byte body: 413');
ok t_cmp(json_of($res), { error => 'request body larger than 1 KiB' },
         'PUT with a 1025-byte body: JSON error');
ok t_cmp(admin_counts('admin-p'), '9/3', 'PUT with a 1025-byte body: unchanged');

for my $body (@bad_bodies) {
    my $name = $body;
    $name =~ s/([^\x20-\x7e])/sprintf '\\x%02X', ord $1/ge;
    $res = request(PUT => '/admin/admin-p', content => $body);
    ok t_cmp($res->code, 400, "PUT body '$name': 400");
    ok t_cmp(json_of($res), $error, "PUT body '$name': a JSON error");
    ok t_cmp(admin_counts('admin-p'), '9/3', "PUT body '$name': unchanged");
}

$res = request(PUT => '/admin/admin-p',
               content => $padded . ' ' x (1024 - length $padded));
ok t_cmp($res->code, 200, 'PUT with a 1024-byte body: 200');
ok t_cmp(admin_counts('admin-p'), '10/4', 'PUT with a 1024-byte body: set');
$res = request(PUT => '/admin/admin-p?x=1', content => '{"count":1}');
ok t_cmp($res->code, 400, 'PUT with a query: 400');
ok t_cmp(json_of($res), $error, 'PUT with a query: a JSON error');
ok t_cmp(admin_counts('admin-p'), '10/4', 'PUT with a query: unchanged');

for my $target ('/admin/admin-x/../y', '/admin/admin-x//y', '/admin/admin-x/',
                '/admin/admin-x%20y', '/admin/admin-x<y>') {
    $res = raw_request(PUT => $target, content => '{"count":1}');
    ok t_cmp($res->code, 400, "PUT $target: 400");
    ok t_cmp(json_of($res), $error, "PUT $target: a JSON error");
}
ok t_cmp(stored_keys('admin-x'), [], 'PUTs to bad keys stored nothing');

# ---- reads -----------------------------------------------------------------

$res = GET '/admin/admin-p';
ok t_cmp($res->header('Cache-Control'), 'private, no-cache',
         'GET /admin/admin-p: Cache-Control private, no-cache');
ok t_cmp($res->header('ETag'), qr/^"[0-9a-f]+"$/, 'GET /admin/admin-p: ETag');
ok t_cmp($res->content, GET('/api/visits/admin-p')->content,
         'GET /admin/admin-p: the same body as the public read');
ok t_cmp(GET('/admin/admin-p', 'If-None-Match' => $res->header('ETag'))->code,
         304, 'GET /admin/admin-p with its ETag: 304');
$res = GET '/admin/admin-p?x=1';
ok t_cmp($res->code, 400, 'GET /admin/admin-p?x=1: 400');
ok t_cmp(json_of($res), $error, 'GET /admin/admin-p?x=1: a JSON error');
ok t_cmp(json_of(GET '/admin/admin-never'),
         { key => 'admin-never', count => 0, unique => 0 },
         'GET /admin/ of a key never set: count 0');
ok t_cmp(stored_keys('admin-never'), [], 'reading it stored nothing');

# ---- DELETE ----------------------------------------------------------------

admin_put('admin-d', 3, 1);
$res = admin_delete('admin-d');
ok t_cmp($res->code, 200, 'DELETE admin-d: 200');
ok t_cmp(json_of($res), { key => 'admin-d', deleted => $true },
         'DELETE admin-d: deleted true');
ok t_cmp(json_of(admin_delete('admin-d')), { key => 'admin-d', deleted => $false },
         'DELETE admin-d again: deleted false');
ok t_cmp(json_of(GET '/api/visits/admin-d'),
         { key => 'admin-d', count => 0, unique => 0 },
         'after DELETE the public read gives 0');
ok t_cmp(stored_keys('admin-d'), [], 'after DELETE the key is not listed');
ok t_cmp(json_of(POST '/api/visits/admin-d')->{count}, 1,
         'a hit after DELETE starts from 1');
$res = request(DELETE => '/admin/admin-d?x');
ok t_cmp($res->code, 400, 'DELETE with a query: 400');
ok t_cmp(admin_counts('admin-d'), '1/0', 'DELETE with a query: not deleted');
ok t_cmp(json_of(admin_delete('admin-never')),
         { key => 'admin-never', deleted => $false },
         'DELETE of a key never set: deleted false');
ok t_cmp(stored_keys('admin-never'), [], 'DELETE of a key never set stores nothing');
ok t_cmp(stored_keys('admin-l/'), \@list_keys, 'other keys were left alone');

# ---- 64-bit counts ---------------------------------------------------------

ok t_cmp(admin_put('admin-big', '4294967296')->code, 200, 'PUT 2^32: 200');
$res = POST '/api/visits/admin-big';
ok t_cmp($res->content, qr/"count":4294967297[,}]/,
         'a hit on 2^32: 4294967297 exactly');
ok t_cmp(admin_put('admin-max', '18446744073709551614')->content,
         qr/"count":18446744073709551614[,}]/, 'PUT 2^64-2: set exactly');
$res = POST '/api/visits/admin-max';
ok t_cmp($res->content, qr/"count":18446744073709551615[,}]/,
         'a hit on 2^64-2: 2^64-1 exactly');
$res = POST '/api/visits/admin-max';
ok t_cmp($res->code, 507, 'a hit on 2^64-1: 507');
ok t_cmp(json_of($res), $error, 'a hit on 2^64-1: a JSON error');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'a hit on 2^64-1: no-store');
ok t_cmp(admin_counts('admin-max'), '18446744073709551615/0',
         'a hit on 2^64-1: the count stays at the maximum');
$res = GET '/get-counts/admin-max';
ok t_cmp($res->code, 507, 'a counting GET on 2^64-1: 507');
ok t_cmp(admin_counts('admin-max'), '18446744073709551615/0',
         'a counting GET on 2^64-1: unchanged');
ok t_cmp(json_of(GET '/api/visits/admin-max')->{count}, '18446744073709551615',
         'the public read of the maximum is exact');

# ---- httpd authorization ---------------------------------------------------

$res = GET '/admin-locked/admin-p';
ok t_cmp($res->code, 403, '/admin-locked without X-Api-Key: 403');
$res = GET '/admin-locked/admin-p', 'X-Api-Key' => 'wrong';
ok t_cmp($res->code, 403, '/admin-locked with a wrong X-Api-Key: 403');
$res = GET '/admin-locked/admin-p', 'X-Api-Key' => 'test-secret';
ok t_cmp($res->code, 200, '/admin-locked with the key: 200');
ok t_cmp(json_of($res), { key => 'admin-p', count => 10, unique => 4 },
         '/admin-locked with the key: the counts');
$res = request(PUT => '/admin-locked/admin-p', content => '{"count":1}');
ok t_cmp($res->code, 403, 'PUT /admin-locked without X-Api-Key: 403');
$res = request(DELETE => '/admin-locked/admin-p');
ok t_cmp($res->code, 403, 'DELETE /admin-locked without X-Api-Key: 403');
ok t_cmp(admin_counts('admin-p'), '10/4', 'the refused PUT and DELETE changed nothing');
$res = request(PUT => '/admin-locked/admin-p', content => '{"count":11}',
               headers => ['X-Api-Key' => 'test-secret']);
ok t_cmp(json_of($res), { key => 'admin-p', count => 11, unique => 0 },
         'PUT /admin-locked with the key: set');

# The keys and "next" of one list page: [[keys...], next].
sub page {
    my $data = json_of(GET '/admin/?' . shift);
    return 'unreadable' unless $data;
    return [[map { $_->{key} } @{ $data->{keys} }], $data->{next}];
}

# Follows "next" from the start with the given page size: [[keys in the
# order visited], 'no repeats' or what went wrong].
sub walk {
    my ($prefix, $limit) = @_;
    my (@seen, %count, $after);
    for my $pages (1 .. 1000) {
        my $query = "prefix=$prefix&limit=$limit";
        $query .= "&after=$after" if defined $after;
        my $data = json_of(GET "/admin/?$query");
        return [\@seen, "page $pages unreadable"] unless $data;
        my @keys = map { $_->{key} } @{ $data->{keys} };
        return [\@seen, "page $pages has " . @keys . " keys"] if @keys > $limit;
        push @seen, @keys;
        $count{$_}++ for @keys;
        if (!defined $data->{next}) {
            my @twice = grep { $count{$_} > 1 } sort keys %count;
            return [\@seen, @twice ? "repeated: @twice" : 'no repeats'];
        }
        return [\@seen, "next is not the page's last key"]
            unless @keys && $data->{next} eq $keys[-1];
        $after = $data->{next};
    }
    return [\@seen, 'no end after 1000 pages'];
}
