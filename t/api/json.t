# The JSON the module writes: the exact bytes of each kind of reply (member
# order, numbers without exponents, true/null literals, one trailing
# newline), and replies to hostile requests that must still be valid JSON
# and must never echo what the client sent: no markup, quotes, control
# bytes or non-ASCII bytes from the request reach the body.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil;
use VCTest qw(request raw_request json_of admin_put);

# Hostile requests: [method, target, options, a marker the reply must not
# contain, the status expected].
my @hostile = (
    [POST => '/api/visits/json-<script>alert(1)</script>', {}, 'script', 400],
    [POST => '/api/visits/json-%3Cscript%3E', {}, 'script', 400],
    [POST => '/api/visits/json-%22%7D%2C%22count%22%3A9', {}, 'count', 400],
    [POST => '/api/visits/json-%0D%0ASet-Cookie:%20vc=1', {}, 'vc=1', 400],
    [POST => "/api/visits/json-\xe2\x80\xa8x", {}, "\xe2\x80\xa8", 400],
    [POST => "/api/visits/json-\xc3\x28\xff", {}, "\xff", 400],
    [POST => '/api/visits/json-' . 'q' x 3000, {}, 'q' x 129, 400],
    [POST => '/api/visits/json-q?%3Cscript%3E=%22%0A', {}, 'script', 200],
    [POST => '/api/visits/json-q?%3Cscript%3E=%zz', {}, 'script', 400],
    [DESTROY => '/api/visits/json-m', {}, 'DESTROY', 405],
    [GET => '/admin/?prefix=%3Cscript%3E', {}, 'script', 400],
    [GET => '/admin/?after=%22%3E%3Cb%3E', {}, '<b>', 400],
    [GET => '/admin/?limit=%0D%0A1', {}, "\r", 400],
    [GET => '/admin/?%3Cscript%3E=1', {}, 'script', 400],
    [GET => '/admin/json-a?%3Cscript%3E', {}, 'script', 400],
    [GET => '/cors/json-o', { headers => [Origin => '<script>x</script>'] },
     'script', 200],
    (map { [PUT => '/admin/json-p', { content => $_->[0] }, $_->[1], 400] }
         ['{"<script>":1}',                  'script'],
         ['{"count":"</script><script>"}',   'script'],
         [qq({"count":1,"\r\nX-Evil: 1":2}), 'Evil'],
         ['{"count":1,"\u0000":2}',          'u0000'],
         [qq({"\xff\xfe":1}),                "\xff"],
         [qq({"count":1}\x00),               "\x00"],
         ['{"count":1e999999}',              'e999999'],
         ['[' x 500 . ']' x 500,             '[['],
         [qq({"count":1,"unique":"\xe2\x80\xa8"}), "\xe2\x80\xa8"]),
);

plan tests => 12 + 3 * @hostile + 2;

# ---- exact bytes ----------------------------------------------------------

ok t_cmp(POST('/api/visits/json-a')->content,
         qq({"key":"json-a","count":1,"unique":0,"counted":true}\n),
         'POST reply: exact bytes');
ok t_cmp(GET('/api/visits/json-a')->content,
         qq({"key":"json-a","count":1,"unique":0}\n),
         'GET reply: exact bytes');
ok t_cmp(POST('/api/visits/json-AZaz09._~-/x')->content,
         qq({"key":"json-AZaz09._~-/x","count":1,"unique":0,"counted":true}\n),
         'every key character is written as is, "/" unescaped');
ok t_cmp(POST('/api/visits/json-a', content => 'x' x 2000)->content,
         qq({"error":"request body larger than 1 KiB"}\n),
         'error reply: exact bytes');

ok t_cmp(admin_put('json-n', '10000000000', '100')->content,
         qq({"key":"json-n","count":10000000000,"unique":100}\n),
         'PUT reply: exact bytes, numbers in plain decimal');
ok t_cmp(GET('/admin/json-n')->content,
         qq({"key":"json-n","count":10000000000,"unique":100}\n),
         'admin read: exact bytes');
ok t_cmp(admin_put('json-z', '18446744073709551615', '0')->content,
         qq({"key":"json-z","count":18446744073709551615,"unique":0}\n),
         'the largest count is written digit for digit');

admin_put('json-l/a', 1, 0);
admin_put('json-l/b', 2, 1);
ok t_cmp(GET('/admin/?prefix=json-l/')->content,
         '{"keys":[{"key":"json-l/a","count":1,"unique":0},'
         . qq({"key":"json-l/b","count":2,"unique":1}],"next":null}\n),
         'list reply: exact bytes, "next" is null on the last page');
ok t_cmp(GET('/admin/?prefix=json-l/&limit=1')->content,
         qq({"keys":[{"key":"json-l/a","count":1,"unique":0}],"next":"json-l/a"}\n),
         'list reply: "next" is the last key when more follow');
ok t_cmp(GET('/admin/?prefix=json-none/')->content,
         qq({"keys":[],"next":null}\n),
         'list reply: an empty list');
ok t_cmp(request(DELETE => '/admin/json-l/a')->content,
         qq({"key":"json-l/a","deleted":true}\n),
         'DELETE reply: exact bytes');
ok t_cmp(request(DELETE => '/admin/json-l/a')->content,
         qq({"key":"json-l/a","deleted":false}\n),
         'DELETE reply for a missing key: false literal');

# ---- hostile requests -----------------------------------------------------

for my $case (@hostile) {
    my ($method, $target, $opt, $marker, $status) = @$case;
    my $name = printable("$method $target" .
                         (defined $opt->{content} ? " $opt->{content}" : ''));
    my $res = raw_request($method => $target, %$opt);
    my $body = $res->content;

    ok t_cmp($res->code, $status, "$name: $status");
    ok t_cmp(ref json_of($res), 'HASH', "$name: the reply is one JSON object");
    ok t_cmp($body =~ /\A[\x20-\x7e]*\n\z/ && index($body, $marker) < 0
             ? 'clean' : printable($body),
             'clean',
             "$name: printable ASCII on one line, nothing echoed");
}

my $res = raw_request(POST => '/api/visits/json-%0D%0ASet-Cookie:%20vc=1');
ok t_cmp($res->header('Set-Cookie'), undef,
         'an encoded CR LF in the path cannot add a header');
$res = raw_request(GET => '/cors/json-o',
                   headers => [Origin => '<script>x</script>']);
ok t_cmp($res->header('Access-Control-Allow-Origin'), undef,
         'a hostile Origin is not echoed');

# Test names are printed: show bytes outside printable ASCII as \xNN.
sub printable {
    my $s = shift;
    $s = substr($s, 0, 80) . '...' if length $s > 80;
    $s =~ s/([^\x20-\x7e])/sprintf '\\x%02X', ord $1/ge;
    return $s;
}
