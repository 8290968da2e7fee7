# Daily history through ?days=N: the series ends today (UTC), runs oldest
# first, fills days without hits with zeros, and N is bounded by
# VisitCountHistory (60 in this suite).  Bad values get a 400 and change
# nothing.  Gaps across days and the history bound on disk are tested
# with a shifted clock in t/store/rotation.t.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil;
use POSIX qw(strftime);
use VCTest qw(raw_request json_of admin_counts admin_delete);

plan tests => 24;

my $chrome = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

sub date_of { strftime('%Y-%m-%d', gmtime shift) }

# The expected series: n days ending today, zeros except today.
sub series {
    my ($n, $count, $unique) = @_;
    my $now = time;
    return [ map {
        { date => date_of($now - ($n - 1 - $_) * 86400),
          count => $_ == $n - 1 ? $count : 0,
          unique => $_ == $n - 1 ? $unique : 0 }
    } 0 .. $n - 1 ];
}

my $res = GET '/api/visits/history-none?days=1';
ok t_cmp($res->code, 200, 'days=1 on a key never hit: 200');
ok t_cmp(json_of($res), { key => 'history-none', count => 0, unique => 0,
                          daily => series(1, 0, 0) },
         'days=1: one zero day, today');

POST '/api/visits/history-a' for 1 .. 3;
$res = GET '/api/visits/history-a?days=7';
ok t_cmp(json_of($res), { key => 'history-a', count => 3, unique => 0,
                          daily => series(7, 3, 0) },
         'days=7: seven days, oldest first, today holds the 3 hits');
ok t_cmp($res->header('Cache-Control'), 'no-cache', 'a series is a read: no-cache');
my $etag = $res->header('ETag');
ok t_cmp($etag, qr/^"[0-9a-f]{16}"$/, 'a series has a strong ETag');
$res = GET '/api/visits/history-a?days=7', 'If-None-Match' => $etag;
ok t_cmp($res->code, 304, 'the same series revalidates: 304');
$res = GET '/api/visits/history-a?days=6', 'If-None-Match' => $etag;
ok t_cmp($res->code, 200, 'another length is another representation: 200');
$res = GET '/api/visits/history-a', 'If-None-Match' => $etag;
ok t_cmp($res->code, 200, 'without days: another representation');

my $d = json_of(GET '/api/visits/history-a?days=60');
ok t_cmp(scalar @{ $d->{daily} || [] }, 60, 'days=60 (VisitCountHistory) gives 60 days');
ok t_cmp($d->{daily}[0]{date}, date_of(time - 59 * 86400), '... starting 59 days ago');

# Unique visitors per day, through a location that tracks them.
raw_request(POST => '/visitors-30m/history-u', headers => [ 'User-Agent' => $chrome ]);
raw_request(POST => '/visitors-30m/history-u', headers => [ 'User-Agent' => $chrome ]);
raw_request(POST => '/visitors-30m/history-u', headers => [ 'User-Agent' => $chrome ],
            from => '127.0.0.5');
$d = json_of(GET '/api/visits/history-u?days=2');
ok t_cmp($d, { key => 'history-u', count => 2, unique => 2, daily => series(2, 2, 2) },
         'the day holds counted hits and unique visitors, not duplicates');

# ---- bad values: 400, nothing stored or counted ---------------------------

for my $bad ('0', '61', '-1', 'abc', '1e3', '', '7.5', '99999999999999999999999') {
    $res = GET "/api/visits/history-a?days=$bad";
    my $e = json_of($res);
    ok t_cmp([$res->code, ref $e eq 'HASH' && $e->{error} ? 'error' : 'no error'],
             [400, 'error'], "days=$bad: 400 with a JSON error");
}
$res = GET '/api/visits/history-a?days=61';
ok t_cmp(json_of($res)->{error}, qr/1 to 60/, 'the error names the bound');
$res = GET '/api/visits/history-a?days=2&days=3';
ok t_cmp($res->code, 400, 'days twice: 400');
$res = POST '/api/visits/history-a?days=abc';
ok t_cmp($res->code, 400, 'POST with a bad days: 400');
ok t_cmp(admin_counts('history-a'), '3/0', '... and the hit was not counted');

# Deleting a key deletes its history.
admin_delete('history-a');
$d = json_of(GET '/api/visits/history-a?days=3');
ok t_cmp($d->{daily}, series(3, 0, 0), 'after DELETE the history reads zeros');
