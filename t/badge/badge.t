# The badge handler (SetHandler visitcount-badge) against the suite's
# server: a well-formed, accessible SVG of the key's count in each style
# and value, ids that differ between badges, parameters that fall back to
# their defaults instead of breaking the image, shields' endpoint JSON,
# the caching of reads (ETag, 304) and of counting fetches (never cached),
# what counts under VisitCountBadgeCount off, camo and on, and the grey
# "n/a" badge of an invalid key.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET HEAD POST);
use Apache::TestUtil;
use VCBadge qw(xml_errors badge_info);
use VCTest qw(request raw_request json_of admin_put admin_counts);

plan tests => 106;

my $BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
my $CAMO = 'github-camo (876de43e)';
my $COUNTING = 'max-age=0, no-cache, no-store, must-revalidate';

sub badge {
    my ($path, @headers) = @_;
    return GET $path, 'User-Agent' => $BROWSER, @headers;
}
sub info { badge_info($_[0]->content) }
sub message { my $t = info($_[0])->{texts}; @$t ? $t->[-1]{text} : '(no text)' }

# ---- a read-only badge ------------------------------------------------------

POST "/api/visits/badge-a" for 1 .. 3;
my $res = badge('/badge/badge-a');
ok t_cmp($res->code, 200, 'GET /badge/badge-a: 200');
ok t_cmp($res->header('Content-Type'), 'image/svg+xml; charset=utf-8',
         'as image/svg+xml');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'nosniff');
ok t_cmp(xml_errors($res->content), '', 'a well-formed XML document');
my $b = info($res);
ok t_cmp($b->{role}, 'img', 'role="img"');
ok t_cmp($b->{aria}, 'visits: 3', 'aria-label "visits: 3"');
ok t_cmp($b->{title}, 'visits: 3', '<title>visits: 3</title>');
ok t_cmp(join(' ', map { $_->{text} } @{ $b->{texts} }), 'visits 3',
         'the label and the count');
ok t_cmp("$b->{height} @{ $b->{rects} }[0,1]", '20 #555 #4b0',
         'flat, 20 px high, grey label, brightgreen count');
ok t_cmp(admin_counts('badge-a'), '3/0', 'reading the badge counted nothing');
ok t_cmp($res->content !~ /\n/ ? 1 : 0, 1, 'one line, as shields writes it');

my $other = info(badge('/badge/badge-b'));
my %a_ids = map { $_ => 1 } @{ $b->{ids} };
ok t_cmp(scalar @{ $b->{ids} } >= 3 ? 1 : 0, 1, 'the badge has ids (gradient, clip, blur)');
ok t_cmp(scalar(grep { $a_ids{$_} } @{ $other->{ids} }), 0,
         'another key\'s badge shares none of its ids');
my $same_key = info(badge('/badge/badge-a?label=other'));
ok t_cmp(scalar(grep { $a_ids{$_} } @{ $same_key->{ids} }), 0,
         'nor does another label\'s badge of the same key');
for my $id (@{ $b->{ids} }) {
    my $uses = () = $res->content =~ /url\(#\Q$id\E\)/g;
    ok t_cmp($uses >= 1 ? 1 : 0, 1, "id $id is used by the badge");
}

$res = badge('/badge');
my $default_count = json_of(GET '/api/visits/')->{count};
ok t_cmp(info($res)->{aria}, "visits: $default_count",
         '/badge shows the default key\'s count');

# ---- styles and values --------------------------------------------------------

my %height = ('flat' => 20, 'flat-square' => 20, 'plastic' => 18, 'for-the-badge' => 28);
for my $style (sort keys %height) {
    $res = badge("/badge/badge-a?style=$style&label=Hits");
    $b = info($res);
    ok t_cmp(xml_errors($res->content), '', "style=$style: well-formed");
    ok t_cmp($b->{height}, $height{$style}, "style=$style: $height{$style} px high");
    my $label = $style eq 'for-the-badge' ? 'HITS' : 'Hits';
    ok t_cmp($b->{aria}, "$label: 3", "style=$style: aria-label \"$label: 3\"");
}
ok t_cmp(badge('/badge/badge-a?style=for-the-badge')->content =~ /font-weight="bold">3</ ? 1 : 0,
         1, 'for-the-badge: the count in bold');
ok t_cmp(badge('/badge/badge-a?style=flat-square')->content =~ /clipPath/ ? 1 : 0,
         0, 'flat-square: no rounded clip');

admin_put('badge-big', 1234567, 4321);
ok t_cmp(message(badge('/badge/badge-big')), '1234567', 'value: the count by default');
ok t_cmp(message(badge('/badge/badge-big?value=count&abbreviated=1')), '1.2M',
         'value=count&abbreviated=1: 1.2M');
ok t_cmp(message(badge('/badge/badge-big?value=unique')), '4321', 'value=unique');
ok t_cmp(message(badge('/badge/badge-big?value=unique&abbreviated=true')), '4.3k',
         'value=unique&abbreviated=true: 4.3k');
ok t_cmp(message(badge('/badge/badge-big?value=today')), '0',
         'value=today: no hits today (the admin set the totals)');
ok t_cmp(message(badge('/badge/badge-a?value=today')), '3',
         'value=today: 3 hits today');
ok t_cmp(message(badge('/badge/badge-big?abbreviated=0')), '1234567',
         'abbreviated=0: the whole number');

# ---- bad parameters fall back ---------------------------------------------------

my %fallback = (
    'color=nonsense'          => [ '#555', '#4b0', 'an unknown colour: the default' ],
    'color=%23ff0000'         => [ '#555', '#ff0000', 'color=#ff0000' ],
    'color=blue&labelColor=abc' => [ '#abc', '#007ec6', 'named and 3-digit hex' ],
    'labelColor=%22%3E%3Cx'   => [ '#555', '#4b0', 'markup as a colour: the default' ],
    'style=social'            => [ '#555', '#4b0', 'an unknown style: flat' ],
    'value=everything'        => [ '#555', '#4b0', 'an unknown value: the count' ],
    'label=%zz&color=red'     => [ '#555', '#4b0', 'a malformed query: the defaults' ],
);
for my $q (sort keys %fallback) {
    my ($left, $right, $name) = @{ $fallback{$q} };
    $res = badge("/badge/badge-a?$q");
    $b = info($res);
    ok t_cmp($res->code . ' ' . xml_errors($res->content), '200 ', "$q: a well-formed badge");
    ok t_cmp("$b->{height} @{ $b->{rects} }[0,1] " . message($res), "20 $left $right 3", "$q: $name");
}
my $long = 'x' x 500;
$b = info(badge("/badge/badge-a?label=$long"));
ok t_cmp($b->{aria}, ('x' x 64) . ': 3', 'a 500-character label is cut to 64');
$res = badge('/badge/badge-a?label=%3Cscript%3Ealert(%27%26%27)%3C/script%3E%22');
ok t_cmp(xml_errors($res->content), '', 'a label of markup: still well-formed');
ok t_cmp(info($res)->{aria}, q{<script>alert('&')</script>": 3},
         'and shown as text, escaped');
ok t_cmp($res->content =~ /<script/ ? 1 : 0, 0, 'no element made of it');
$res = badge('/badge/badge-a?label=a%ff%01b%c3%a9');
ok t_cmp(xml_errors($res->content), '', 'invalid UTF-8 and controls: still well-formed');
ok t_cmp(info($res)->{aria}, "ab\x{c3}\x{a9}: 3", 'they are dropped, UTF-8 kept');
$b = info(badge('/badge/badge-a?label='));
ok t_cmp("$b->{aria} " . scalar @{ $b->{texts} }, '3 1', 'label= : the count alone');

# ---- endpoint JSON ---------------------------------------------------------------

$res = badge('/badge/badge-a?format=shields');
ok t_cmp($res->header('Content-Type'), 'application/json', 'format=shields: JSON');
ok t_cmp(json_of($res), { schemaVersion => 1, label => 'visits', message => '3',
                          color => 'brightgreen' }, 'shields\' endpoint schema');
$res = badge('/badge/badge-a?format=shields&label=hits&color=ABC&labelColor=informational&style=flat-square');
ok t_cmp(json_of($res), { schemaVersion => 1, label => 'hits', message => '3',
                          color => 'abc', labelColor => 'informational',
                          style => 'flat-square' }, 'with label, colours and style');

# ---- caching -------------------------------------------------------------------------

$res = badge('/badge/badge-a');
my $etag = $res->header('ETag');
ok t_cmp($etag, qr/^"[0-9a-f]{16}"$/, 'a read: a strong ETag');
ok t_cmp($res->header('Cache-Control'), 'no-cache', 'and Cache-Control no-cache');
$res = badge('/badge/badge-a', 'If-None-Match' => $etag);
ok t_cmp($res->code . ' ' . $res->content, '304 ', 'If-None-Match: 304, no body');
ok t_cmp(badge('/badge/badge-a?style=plastic', 'If-None-Match' => $etag)->code, 200,
         'another style is another representation: 200');
POST '/api/visits/badge-a';
$res = badge('/badge/badge-a', 'If-None-Match' => $etag);
ok t_cmp($res->code, 200, 'after a hit the old ETag no longer matches');
ok t_cmp($res->header('ETag') ne $etag ? 1 : 0, 1, 'a new ETag');

# ---- HEAD, methods ------------------------------------------------------------------

$res = HEAD '/badge-on/badge-head', 'User-Agent' => $BROWSER;
ok t_cmp($res->code . ' ' . length($res->content), '200 0', 'HEAD: 200, no body');
ok t_cmp($res->header('Content-Length') > 100 ? 1 : 0, 1, 'with the badge\'s length');
HEAD '/badge-on/badge-head', 'User-Agent' => $CAMO for 1 .. 2;
ok t_cmp(admin_counts('badge-head'), '0/0', 'HEAD never counts, even with VisitCountBadgeCount on');
$res = request(OPTIONS => '/badge/badge-a');
ok t_cmp($res->code, 204, 'OPTIONS: 204');
ok t_cmp($res->header('Allow'), 'GET, HEAD, OPTIONS', 'with Allow');
$res = POST '/badge/badge-a';
ok t_cmp($res->code, 405, 'POST: 405');
ok t_cmp($res->header('Allow'), 'GET, HEAD, OPTIONS', 'with Allow');

# ---- VisitCountBadgeCount ----------------------------------------------------------

badge('/badge/badge-off', 'User-Agent' => $CAMO) for 1 .. 2;
ok t_cmp(admin_counts('badge-off'), '0/0', 'off: a camo fetch reads only');

$res = badge('/badge-camo/badge-camo');
ok t_cmp(admin_counts('badge-camo'), '0/0', 'camo: a browser\'s fetch reads only');
ok t_cmp(defined $res->header('ETag') ? 1 : 0, 1, 'and is cached as a read');
$res = GET '/badge-camo/badge-camo', 'User-Agent' => $CAMO;
ok t_cmp(info($res)->{aria}, 'visits: 1', 'camo: the proxy\'s fetch counts, and shows 1');
ok t_cmp($res->header('Cache-Control'), $COUNTING, 'never cached');
ok t_cmp(defined $res->header('ETag') ? 1 : 0, 0, 'no ETag');
$res = GET '/badge-camo/badge-camo', 'User-Agent' => $CAMO, 'If-None-Match' => '*';
ok t_cmp(info($res)->{aria}, 'visits: 2',
         'a second fetch from the same address counts too (no dedupe, no 304)');
ok t_cmp(admin_counts('badge-camo'), '2/0',
         'two views; no unique visitors, which camo hides');
GET '/badge-camo/badge-camo', 'User-Agent' => 'github-camo (1) crawler bot';
ok t_cmp(admin_counts('badge-camo'), '3/0',
         'a User-Agent starting with github-camo passes the robot filter');
GET '/badge-camo/badge-camo', 'User-Agent' => "Googlebot/2.1 $CAMO";
ok t_cmp(admin_counts('badge-camo'), '3/0',
         'a robot naming camo elsewhere in its User-Agent reads only');
$res = raw_request(GET => '/badge-camo/badge-camo', from => '127.0.0.9',
                   headers => [ 'User-Agent' => $CAMO ]);
ok t_cmp($res->code, 200, 'a camo fetch the site ignores (visitcount-ignore): 200');
ok t_cmp(admin_counts('badge-camo'), '3/0', 'and not counted');
GET '/badge-camo/badge-camo', 'User-Agent' => $CAMO, 'Sec-Purpose' => 'prefetch';
ok t_cmp(admin_counts('badge-camo'), '3/0', 'nor is a camo prefetch');

$res = badge('/badge-on/badge-on');
ok t_cmp(info($res)->{aria}, 'visits: 1', 'on: a browser\'s GET counts');
ok t_cmp($res->header('Cache-Control'), $COUNTING, 'never cached');
badge('/badge-on/badge-on');
ok t_cmp(admin_counts('badge-on'), '1/1',
         'the same visitor again inside its visit: not counted again (dedupe), 1 unique');
badge('/badge-on/badge-on', 'User-Agent' => 'Mozilla/5.0 (compatible; Googlebot/2.1)');
ok t_cmp(admin_counts('badge-on'), '1/1', 'a robot: not counted');
GET '/badge-on/badge-on', 'User-Agent' => $CAMO for 1 .. 2;
ok t_cmp(admin_counts('badge-on'), '3/1', 'camo fetches count each time there too');

$res = GET '/badge-limited/badge-limited', 'User-Agent' => $CAMO for 1 .. 3;
ok t_cmp($res->code . ' ' . info($res)->{aria}, '200 visits: 2',
         'over VisitCountRateLimit (per key for camo): not counted, still a 200 badge');
ok t_cmp(admin_counts('badge-limited'), '2/0', 'two of three camo fetches counted');

# ---- n/a ---------------------------------------------------------------------------

for my $bad ('bad%20key', 'a/../b', ('k' x 129), 'trailing/') {
    $res = badge("/badge/$bad");
    $b = info($res);
    ok t_cmp($res->code . ' ' . xml_errors($res->content), '200 ',
             "an invalid key ($bad): a well-formed badge with 200");
    ok t_cmp("$b->{aria} @{ $b->{rects} }[1]", 'visits: n/a #939393', 'saying n/a, in grey');
}
ok t_cmp($res->header('Cache-Control'), $COUNTING, 'an n/a badge is never cached');
$res = badge('/badge/bad%20key?format=shields&color=red');
ok t_cmp(json_of($res), { schemaVersion => 1, label => 'visits', message => 'n/a',
                          color => 'lightgrey', isError => JSON::PP::true },
         'format=shields: isError, lightgrey');
