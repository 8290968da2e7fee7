# VisitCountPage: documents served under t/htdocs/pages count a visit to
# their URL path as they are served, through the same filters as the API,
# and SSI prints the count (VISITCOUNT_COUNT, VISITCOUNT_UNIQUE) with no
# JavaScript at all.  Not counted: HEAD, subrequests (SSI includes), error
# responses and their ErrorDocument, directories switched off.  A 304
# revalidation is a real view of the page and counts like a 200.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil;
use VCTest qw(raw_request json_of);

plan tests => 27,
    need_module('include', 'setenvif');

my $n = 0;
# A browser User-Agent of its own for each visitor, so the 30m visit
# window of one step never hides the next.
sub visitor {
    $n++;
    return "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.$n";
}

sub page {
    my ($method, $path, %v) = @_;
    return raw_request($method => $path,
                       headers => [ 'User-Agent' => $v{ua} // visitor(),
                                    @{ $v{headers} || [] } ],
                       from => $v{from} || '127.0.0.1');
}

# "count/unique" of a page key, read through the public API.
sub counts {
    my $d = json_of(GET "/api/visits/" . shift);
    return $d ? "$d->{count}/$d->{unique}" : 'unreadable';
}

# The number SSI printed in a page.
sub shown { my $res = shift; return $res->content =~ /Visitor #(\d*)</ ? $1 : 'no counter' }

# ---- static documents ------------------------------------------------------

my $alice = visitor();
my $res = page(GET => '/pages/hello.html', ua => $alice);
ok t_cmp($res->code, 200, 'GET a static page: 200');
ok t_cmp(counts('pages/hello.html'), '1/1', 'the page counted one visit, keyed by its path');
page(GET => '/pages/hello.html', ua => $alice);
ok t_cmp(counts('pages/hello.html'), '1/1', 'a reload inside the visit does not count');
page(GET => '/pages/hello.html');
ok t_cmp(counts('pages/hello.html'), '2/2', 'another visitor counts');
page(HEAD => '/pages/hello.html');
ok t_cmp(counts('pages/hello.html'), '2/2', 'HEAD does not count');
page(GET => '/pages/hello.html', ua => 'curl/8.5.0');
ok t_cmp(counts('pages/hello.html'), '2/2', 'curl does not count');
page(GET => '/pages/hello.html', headers => [ 'Sec-Purpose' => 'prefetch' ]);
ok t_cmp(counts('pages/hello.html'), '2/2', 'a prefetch does not count');
page(GET => '/pages/hello.html', from => '127.0.0.9');
ok t_cmp(counts('pages/hello.html'), '2/2', 'visitcount-ignore does not count');
$res = page(POST => '/pages/hello.html');
ok t_cmp(counts('pages/hello.html'), '2/2', 'POST to a page does not count (status ' . $res->code . ')');

# A revalidation: the browser shows the page again from its cache.
my $lm = page(GET => '/pages/hello.html', ua => $alice)->header('Last-Modified');
$res = page(GET => '/pages/hello.html', headers => [ 'If-Modified-Since' => $lm ]);
ok t_cmp($res->code, 304, 'a conditional GET: 304');
ok t_cmp(counts('pages/hello.html'), '3/3', 'a 304 revalidation counts as a view');

# ---- SSI: the count printed with no JavaScript ------------------------------

$res = page(GET => '/pages/counter.shtml');
ok t_cmp($res->code, 200, 'SSI page: 200');
ok t_cmp(shown($res), 1, 'SSI prints Visitor #1');
ok t_cmp($res->content, qr/Unique 1</, 'SSI prints the unique visitors');
$res = page(GET => '/pages/counter.shtml');
ok t_cmp(shown($res), 2, 'the next visitor sees Visitor #2');
$res = page(GET => '/pages/counter.shtml', ua => 'Wget/1.21.3');
ok t_cmp(shown($res), 2, 'a robot is not counted but sees the count');

# The directory index: "/pages/" is the page asked for, whatever file
# DirectoryIndex serves.
$res = page(GET => '/pages/');
ok t_cmp(shown($res), 1, 'GET /pages/ serves index.shtml with the count');
ok t_cmp(counts('pages'), '1/1', '... counted under the key "pages"');
ok t_cmp(counts('pages/index.shtml'), '0/0', '... not under the file it served');

# ---- not counted --------------------------------------------------------------

$res = page(GET => '/pages/includer.shtml');
ok t_cmp(shown($res), 1, 'a page with an SSI include counts once');
ok t_cmp($res->content, qr/included by includer/, 'the include was served');
ok t_cmp(counts('pages/included.html'), '0/0', 'the included subrequest is not counted');

$res = page(GET => '/pages/no-such-page.html');
ok t_cmp($res->code, 404, 'a missing page: 404');
ok t_cmp($res->content, qr/No such page/, '... served by its ErrorDocument');
ok t_cmp(counts('pages/no-such-page.html') . ' ' . counts('pages/not-found.html'),
         '0/0 0/0', 'neither the missing page nor the ErrorDocument counts');

page(GET => '/pages/off/page.html');
ok t_cmp(counts('pages/off/page.html'), '0/0', 'VisitCountPage off in a subdirectory');

# The environment variables are only there for counted scopes.
$res = GET '/index.html';
ok t_cmp(counts('index.html'), '0/0', 'pages outside the scope are not counted');
