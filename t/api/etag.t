# Conditional reads: a strong ETag on every read, If-None-Match (exact,
# weak form, lists, "*") answered with 304, and a new ETag after each hit,
# so a browser or proxy revalidates instead of showing a stale count.
# Changes (hits, admin PUT and DELETE) are never conditional.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD);
use Apache::TestUtil;
use VCTest qw(json_of admin_put admin_delete admin_counts);

plan tests => 38;

my $strong = qr/^"[0-9a-f]+"$/;

POST '/api/visits/etag-a';
my $res = GET '/api/visits/etag-a';
my $etag = $res->header('ETag');
ok t_cmp($etag, $strong, 'GET etag-a: a strong ETag, quoted hex');
ok t_cmp($res->header('Cache-Control'), 'no-cache',
         'GET etag-a: Cache-Control no-cache, so caches revalidate');
ok t_cmp(GET('/api/visits/etag-a')->header('ETag'), $etag,
         'GET etag-a again: the same ETag while the count is the same');

my %match = (
    'the ETag itself'         => $etag,
    'its weak form W/'        => "W/$etag",
    'a list holding it'       => qq("0000", $etag),
    'a list, weak, no spaces' => qq(W/"1",W/$etag),
    '*'                       => '*',
);
for my $name (sort keys %match) {
    $res = GET '/api/visits/etag-a', 'If-None-Match' => $match{$name};
    ok t_cmp($res->code, 304, "If-None-Match with $name: 304");
    ok t_cmp($res->content, '', "If-None-Match with $name: no body");
}
$res = GET '/api/visits/etag-a', 'If-None-Match' => $etag;
ok t_cmp($res->header('ETag'), $etag, '304 carries the ETag');
ok t_cmp($res->header('Cache-Control'), 'no-cache', '304 carries Cache-Control');

$res = HEAD '/api/visits/etag-a', 'If-None-Match' => $etag;
ok t_cmp($res->code, 304, 'HEAD with a matching If-None-Match: 304');

my %miss = (
    'another tag'               => '"0123456789abcdef"',
    'the tag without quotes'    => substr($etag, 1, -1),
    'a list without it'         => '"a", W/"b"',
    'a prefix of the tag'       => substr($etag, 0, -2) . '"',
);
for my $name (sort keys %miss) {
    $res = GET '/api/visits/etag-a', 'If-None-Match' => $miss{$name};
    ok t_cmp($res->code, 200, "If-None-Match with $name: 200");
    ok t_cmp(json_of($res), { key => 'etag-a', count => 1, unique => 0 },
             "If-None-Match with $name: the full reply");
}

ok t_cmp(admin_counts('etag-a'), '1/0', 'conditional reads did not count');

# After a hit the representation changed: the old tag no longer matches.
POST '/api/visits/etag-a';
$res = GET '/api/visits/etag-a', 'If-None-Match' => $etag;
ok t_cmp($res->code, 200, 'after a hit, the old ETag: 200');
ok t_cmp(json_of($res)->{count}, 2, 'after a hit, the old ETag: the new count');
my $etag2 = $res->header('ETag');
ok t_cmp($etag2, $strong, 'after a hit: still a strong ETag');
ok t_cmp($etag2 ne $etag, 1, 'after a hit: a different ETag');
ok t_cmp(GET('/api/visits/etag-a', 'If-None-Match' => $etag2)->code, 304,
         'after a hit, the new ETag: 304');

# The tag names the key as well as the counts.
$res = GET '/api/visits/etag-b';
ok t_cmp($res->header('ETag'), $strong, 'a key never hit has an ETag too');
POST '/api/visits/etag-b';
POST '/api/visits/etag-b';
ok t_cmp(GET('/api/visits/etag-b')->header('ETag') ne $etag2, 1,
         'two keys with the same counts have different ETags');
ok t_cmp(GET('/api/visits/etag-b', 'If-None-Match' => $etag2)->code, 200,
         "one key's ETag does not validate another key");

# ---- changes ignore conditional headers -----------------------------------

my $tag_c = GET('/api/visits/etag-c')->header('ETag');
$res = POST '/api/visits/etag-c', 'If-None-Match' => $tag_c;
ok t_cmp([$res->code, json_of($res)->{count}], [200, 1],
         'a hit with If-None-Match of the current ETag: counts, no 304');
$res = POST '/api/visits/etag-c', 'If-None-Match' => '*';
ok t_cmp([$res->code, json_of($res)->{count}], [200, 2],
         'a hit with If-None-Match *: counts, no 412');
$res = POST '/api/visits/etag-c', 'If-Match' => '"not-the-tag"';
ok t_cmp([$res->code, json_of($res)->{count}], [200, 3],
         'a hit with a stale If-Match: counts, no 412');
$res = admin_put('etag-c', 10, undef, 'If-Match' => '"not-the-tag"');
ok t_cmp([$res->code, admin_counts('etag-c')], [200, '10/0'],
         'an admin PUT with a stale If-Match: sets the count');
$res = admin_delete('etag-c', 'If-None-Match' => '*');
ok t_cmp([$res->code, json_of($res)->{deleted} ? 1 : 0], [200, 1],
         'an admin DELETE with If-None-Match *: deletes');
