# Keys as the module takes them from the raw request path: 1-128 bytes of
# [A-Za-z0-9._~/-], percent-decoded by the module, with no empty, "." or
# ".." segments and no leading or trailing '/'.  Anything else is refused
# and nothing is stored.  Requests go over a raw socket so the exact bytes
# reach the server, without a client library normalising or escaping them.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use VCTest qw(raw_request json_of snapshot stored_keys);

# Valid spellings: request target => the key the module must use.
my @valid = (
    ['/api/visits/keys-A.b_c~d-e/F9'     => 'keys-A.b_c~d-e/F9'],
    ['/api/visits/keys-' . 'k' x 123     => 'keys-' . 'k' x 123],
    ['/api/visits/keys-%41'              => 'keys-A'],
    ['/api/visits/keys-a%2eb'            => 'keys-a.b'],
    ['/api/visits/keys-%7e%2D%5f'        => 'keys-~-_'],
    ['/api/visits/keys-x/...'            => 'keys-x/...'],
    ['/api/visits/keys-x/.a'             => 'keys-x/.a'],
    ['/api/visits/keys-x/a..'            => 'keys-x/a..'],
    ['/api/vis%69ts/keys-m'              => 'keys-m'],
    ['/counters/inner/keys-n/o'          => 'keys-n/o'],
    ['/api/visits/keys-Case'             => 'keys-Case'],
    ['/api/visits/keys-case'             => 'keys-case'],
);

# Refused by the module itself: 400 with a JSON error.
my @refused = (
    '/api/visits/keys-' . 'k' x 124,               # 129 bytes
    '/api/visits/keys-' . '%6b' x 124,             # 129 bytes once decoded
    '/api/visits/keys-d/..',
    '/api/visits/keys-a/../keys-b',
    '/api/visits/keys-e/%2e%2e',
    '/api/visits/keys-e/%2E%2e/keys-f',
    '/api/visits/./keys-g',
    '/api/visits/keys-g/.',
    '/api/visits/keys-k/./keys-l',
    '/api/visits/keys-k/%2e/keys-l',
    '/api/visits/keys-h//keys-i',
    '/api/visits/keys-j/',
    '/api/visits//keys-lead',
    "/api/visits/keys-\xc3\xa9",
    '/api/visits/keys-%C3%A9',
    "/api/visits/keys-\xff",
    '/api/visits/keys-a%20b',
    '/api/visits/keys-a%09b',
    '/api/visits/keys-a%0D%0Ab',
    '/api/visits/keys-%22q%22',
    '/api/visits/keys-"q"',
    "/api/visits/keys-'q'",
    '/api/visits/keys-a%5Cb',
    '/api/visits/keys-a\\b',
    '/api/visits/keys-<script>',
    '/api/visits/keys-a+b',
    '/api/visits/keys-a:b',
    '/api/visits/keys-a;b',
    '/api/visits/keys-a*b',
    '/api/visits/keys-a=b',
    '/api//visits/keys-m',                         # not the mount, raw
    '/counters/keys-p/../inner/keys-q',
    '/counters/inner/../keys-r',
);

# Refused by httpd before the module runs (bad escapes, encoded '/' or NUL,
# paths that leave the mount): any 4xx will do, but nothing may be stored.
my @refused_by_httpd = (
    '/api/visits/..',
    '/api/visits/%2e%2e',
    '/api/visits/keys-a%2Fb',
    '/api/visits/keys-a%2fb',
    '/api/visits/keys-a%00b',
    '/api/visits/keys-%zz',
    '/api/visits/keys-a%',
    '/api/visits/keys-a%4',
    '/api/visits/keys-a b',
);

# Reads of bad keys are refused too, not answered with a count of 0.
my @refused_reads = (
    [GET  => '/api/visits/keys-d/..'],
    [GET  => '/api/visits/keys-' . 'k' x 124],
    [GET  => '/api/visits/keys-a%20b'],
    [HEAD => '/api/visits/keys-j/'],
);

plan tests => 2 * @valid + 3 + 3 * @refused + 2 * @refused_by_httpd
            + 2 * @refused_reads + 2;

for my $case (@valid) {
    my ($target, $key) = @$case;
    my $res = raw_request(POST => $target);
    ok t_cmp($res->code, 200, "POST $target: 200");
    my $data = json_of($res);
    ok t_cmp($data ? $data->{key} : undef, $key, "POST $target: key '$key'");
}
ok t_cmp(length $valid[1][1], 128, 'the longest valid key has 128 bytes');

my $res = raw_request(POST => '/api/visits/keys-' . '%6b' x 123);
ok t_cmp(json_of($res)->{count}, 2,
         'a 128-byte key spelled with escapes is the same key');
ok t_cmp(stored_keys('keys-'),
         [sort map { $_->[1] } @valid],
         'exactly the valid keys were stored, each under its decoded name');

my $before = snapshot('keys-');
my $everything = join ' ', @{ stored_keys('') || [] };

for my $target (@refused) {
    my $printable = printable($target);
    $res = raw_request(POST => $target);
    ok t_cmp($res->code, 400, "POST $printable: 400");
    ok t_cmp(json_of($res), { error => qr/\w/ }, "POST $printable: a JSON error");
    ok t_cmp(snapshot('keys-'), $before, "POST $printable: nothing stored");
}

for my $target (@refused_by_httpd) {
    my $printable = printable($target);
    $res = raw_request(POST => $target);
    ok t_cmp($res->code, qr/^4\d\d$/, "POST $printable: refused with a 4xx");
    ok t_cmp(snapshot('keys-'), $before, "POST $printable: nothing stored");
}

for my $case (@refused_reads) {
    my ($method, $target) = @$case;
    $res = raw_request($method => $target);
    ok t_cmp($res->code, 400, "$method $target: 400, not a count of 0");
    ok t_cmp($res->header('Content-Type'), 'application/json',
             "$method $target: a JSON error");
}

ok t_cmp(join(' ', @{ stored_keys('') || [] }), $everything,
         'no refused request stored any key anywhere in the store');
ok t_cmp(snapshot('keys-'), $before, 'no refused request changed a count');

# Test names are printed: show raw bytes above ASCII as \xNN.
sub printable {
    my $s = shift;
    $s =~ s/([^\x21-\x7e])/sprintf '\\x%02X', ord $1/ge;
    return $s;
}
