# Method routing: the public API takes GET, HEAD, POST and OPTIONS; the
# admin collection GET, HEAD and OPTIONS; an admin key GET, HEAD, PUT,
# DELETE and OPTIONS.  Any other method gets 405 with a JSON error and the
# matching Allow header, and changes nothing; OPTIONS gets 204 and Allow.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST HEAD);
use Apache::TestUtil;
use VCTest qw(request json_of admin_put admin_counts stored_keys);

my $public = 'GET, HEAD, POST, OPTIONS';
my $collection = 'GET, HEAD, OPTIONS';
my $item = 'GET, HEAD, PUT, DELETE, OPTIONS';

# [method, path, the Allow header expected]
my @refused = (
    (map { [$_ => '/api/visits/methods-a', $public] }
         qw(PUT DELETE PATCH BREW PROPFIND MKCOL LOCK get)),
    [PUT    => '/api/visits',            $public],
    [DELETE => '/counters/inner',        $public],
    [PUT    => '/get-counts/methods-a',  $public],
    [DELETE => '/cors/methods-a',        $public],
    (map { [$_ => '/admin/', $collection] } qw(POST PUT DELETE PATCH)),
    [DELETE => '/admin',                 $collection],
    (map { [$_ => '/admin/methods-b', $item] } qw(POST PATCH BREW)),
);

# [path, the Allow header expected]
my @options = (
    ['/api/visits/methods-a',   $public],
    ['/api/visits',             $public],
    ['/counters/inner/',        $public],
    ['/admin/',                 $collection],
    ['/admin',                  $collection],
    ['/admin/methods-b',        $item],
);

plan tests => 4 * @refused + 3 * @options + 8;

my $default_before = admin_counts('default');
admin_put('methods-b', 7, 1);

for my $case (@refused) {
    my ($method, $path, $allow) = @$case;
    my $res = request($method => $path, content => '{"count":5}');
    ok t_cmp($res->code, 405, "$method $path: 405");
    ok t_cmp($res->header('Allow'), $allow, "$method $path: Allow: $allow");
    ok t_cmp(json_of($res), { error => qr/\w/ }, "$method $path: a JSON error");
    ok t_cmp($res->header('Cache-Control'), 'no-store',
             "$method $path: Cache-Control no-store");
}

for my $case (@options) {
    my ($path, $allow) = @$case;
    my $res = request(OPTIONS => $path);
    ok t_cmp($res->code, 204, "OPTIONS $path: 204");
    ok t_cmp($res->header('Allow'), $allow, "OPTIONS $path: Allow: $allow");
    ok t_cmp($res->content, '', "OPTIONS $path: no body");
}

ok t_cmp(stored_keys('methods-a'), [], 'refused methods stored nothing');
ok t_cmp(admin_counts('methods-b'), '7/1', 'refused admin methods changed nothing');
ok t_cmp(admin_counts('default'), $default_before,
         'refused methods on a mount left its default key alone');

# The allowed methods are allowed.
ok t_cmp(POST('/api/visits/methods-c')->code, 200, 'POST on a key: 200');
ok t_cmp(GET('/api/visits/methods-c')->code, 200, 'GET on a key: 200');
ok t_cmp(HEAD('/api/visits/methods-c')->code, 200, 'HEAD on a key: 200');
ok t_cmp(HEAD('/admin/')->code, 200, 'HEAD on the admin collection: 200');
ok t_cmp(HEAD('/admin/methods-b')->content, '', 'HEAD on an admin key: no body');
