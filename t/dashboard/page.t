# The dashboard (SetHandler visitcount-dashboard) against a real store
# (LMDB, or the suite's Redis in its pass), with 105 keys and a year of
# history imported through the admin tool, and hits counted today:
#   - the page is well-formed (parsed as XML), has a viewport, a
#     prefers-color-scheme style, no script, no reference to another host,
#     and a Content-Security-Policy whose style hash is that of its style;
#   - the totals are the sums of every key; the keys are ranked by count
#     (ties in byte order), 100 of 105 shown, and the page says so;
#   - for 30, 90 and 365 days the chart's table holds, day by day, the sums
#     of the 100 ranked keys' stored series, and the chart has its text
#     alternative;
#   - today's top keys are those with the most visits today;
#   - a key's page shows its own totals and series.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(sha256_base64);
use FindBin ();
use HTTP::Tiny ();
use POSIX qw(strftime);
use XML::LibXML ();

use lib "$FindBin::Bin/../lib";
use VCServer;
use VCTool qw(tool store_args run_tool write_file);

plan tests => 50;
tool();     # dies when the tool is not built

my $srv = VCServer->new(name => 'dashboard', conf => $VCServer::API . <<'EOF');
<Location "/dashboard">
    SetHandler visitcount-dashboard
    Require ip 127.0.0.1
</Location>
EOF
ok t_cmp($srv->start, 1, 'the server starts');
my $http = HTTP::Tiny->new(timeout => 30);

# ---- the data: 105 keys with a history over 400 days -------------------------
sub date_of { strftime('%Y-%m-%d', gmtime(time - $_[0] * 86400)) }

my %keys;   # key => { count, unique, days => { ago => [count, unique] } }
for my $i (0 .. 104) {
    my $key = $i < 5 ? (qw(home blog/post-1 about docs/a~b_c.d contact))[$i]
                     : sprintf 'f/%03d', $i;
    my %days;
    # The first keys have many days, some older than 365 days (kept, since
    # VisitCountHistory is 400, but outside every chart); the others one.
    my @ago = $i < 5 ? grep { ($_ * ($i + 3)) % 7 != 0 } 0 .. 380 : ($i % 8) * 5;
    for my $ago (@ago) {
        my $c = ($ago * 13 + $i * 7) % 23 + 1;
        $days{$ago} = [$c, int($c / 3)];
    }
    my ($count, $unique) = (0, 0);
    for (values %days) { $count += $_->[0]; $unique += $_->[1] }
    # Some keys with the same total, so ties are ranked by key.
    $count += 40 if $i >= 5 && $i < 20;
    $keys{$key} = { count => $count, unique => $unique, days => \%days };
}
my $import = '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}' . "\n";
for my $key (sort keys %keys) {
    my $k = $keys{$key};
    my $days = join ',', map { sprintf '["%s",%d,%d]', date_of($_), @{ $k->{days}{$_} } }
                         sort { $b <=> $a } keys %{ $k->{days} };
    $import .= qq({"key":"$key","count":$k->{count},"unique":$k->{unique},"days":[$days]}\n);
}
write_file($srv->dir . '/in.jsonl', $import);
my ($rc, $out, $err) = run_tool(store_args($srv), 'import', $srv->dir . '/in.jsonl');
ok t_cmp([$rc, $err], [0, qr/imported 105 keys/], 'the history is imported');

# And hits today, through the API, on an imported key and a new one.
for my $key (('live') x 3, ('about') x 2) {
    my $res = $http->post($srv->url("/api/visits/$key"));
    die "a hit on $key: $res->{status}" unless $res->{status} == 200;
}
$keys{live} = { count => 3, unique => 0, days => { 0 => [3, 0] } };
$keys{about}{count} += 2;
$keys{about}{days}{0} = [($keys{about}{days}{0} // [0, 0])->[0] + 2,
                         ($keys{about}{days}{0} // [0, 0])->[1]];

my @ranked = sort { $keys{$b}{count} <=> $keys{$a}{count} || $a cmp $b } keys %keys;
my @top = @ranked[0 .. 99];

# The sums of the top keys' series, n days ending today, oldest first.
sub expected_series {
    my $n = shift;
    return [ map {
        my $ago = $n - 1 - $_;
        my ($c, $u) = (0, 0);
        for my $key (@top) {
            my $d = $keys{$key}{days}{$ago} or next;
            $c += $d->[0];
            $u += $d->[1];
        }
        [date_of($ago), $c, $u];
    } 0 .. $n - 1 ];
}

# ---- the page ------------------------------------------------------------------
sub page {
    my $path = shift;
    my $res = $http->get($srv->url($path));
    my $doc = eval { XML::LibXML->load_xml(string => $res->{content}, no_network => 1) };
    return ($res, $doc, $@);
}
sub texts { my ($doc, $xpath) = @_; [ map { $_->textContent } $doc->findnodes($xpath) ] }
sub rows {
    my ($doc, $xpath) = @_;
    return [ map { [ map { $_->textContent } $_->findnodes('./th|./td') ] }
             $doc->findnodes($xpath) ];
}

my ($res, $doc, $why) = page('/dashboard');
ok t_cmp($res->{status}, 200, 'GET /dashboard: 200');
ok t_cmp($res->{headers}{'content-type'}, 'text/html; charset=utf-8', 'HTML in UTF-8');
ok t_cmp($res->{headers}{'cache-control'}, 'no-store', 'never cached');
ok t_cmp($doc ? 'well-formed' : $why, 'well-formed', 'the page parses as XML');
$doc ||= XML::LibXML::Document->new;
my $html = $res->{content};
ok t_cmp($html =~ /<script/i ? 'a script' : 'none', 'none', 'no script element');
ok t_cmp($html =~ m{(https?:)?//[a-z0-9.-]+}i ? "a reference: $&" : 'none', 'none',
         'no URL of another host (nor any absolute URL)');
ok t_cmp($html =~ /\s(on[a-z]+|src|srcset)=|url\(|\@import|<link|<img|<iframe/i ? "found $&" : 'none',
         'none', 'no event handler, no source, nothing loaded');
ok t_cmp(texts($doc, '//meta[@name="viewport"]/@content'), ['width=device-width, initial-scale=1'],
         'a viewport for phones');
my ($style) = @{ texts($doc, '//style') };
ok t_cmp($style // '', qr/\@media \(prefers-color-scheme: dark\)/, 'a dark scheme for who prefers it');
ok t_cmp($style // '', qr/\.vc-chart\{display:block;width:100%;height:auto\}/, 'charts follow the width');
ok t_cmp($html =~ /\swidth="\d/ ? 'a fixed width' : 'none', 'none', 'no fixed width');
my $csp = $res->{headers}{'content-security-policy'} // '';
ok t_cmp($csp, qr/^default-src 'none';/, 'CSP: nothing by default');
ok t_cmp($csp, qr/script-src 'none'/, 'CSP: no script');
my $hash = sha256_base64($style // '');
$hash .= '=' while length($hash) % 4;
ok t_cmp($csp, qr/style-src 'sha256-\Q$hash\E';/, 'CSP: the style block, by its hash');

# Totals.
my ($count, $unique) = (0, 0);
for (values %keys) { $count += $_->{count}; $unique += $_->{unique} }
ok t_cmp(texts($doc, '//dd[@id="total-keys" or @id="total-visits" or @id="total-unique"]'),
         [scalar keys %keys, $count, $unique], 'totals: keys, visits and unique of every key');

# The ranking.
my $ranked = rows($doc, '//section[@id="ranked"]//tbody/tr');
ok t_cmp([ map { $_->[1] } @$ranked ], \@top, 'keys by count, ties in byte order, the first 100');
ok t_cmp([ map { "$_->[0] $_->[2] $_->[3]" } @$ranked[0, 1, 99] ],
         [ map { ($_ + 1) . " $keys{$top[$_]}{count} $keys{$top[$_]}{unique}" } 0, 1, 99 ],
         'ranks, counts and unique figures');
ok t_cmp(texts($doc, '//section[@id="ranked"]//tbody/tr[1]//a/@href'), ["?key=$top[0]"],
         'each key links to its page');
ok t_cmp(join(' ', @{ texts($doc, '//p[@id="bound"]') }), qr/100 keys with the highest counts, of 106 keys/,
         'the page says the series is bounded');

# Today's top keys.
my @today = grep { $keys{$_}{days}{0} } @top;
@today = sort { $keys{$b}{days}{0}[0] <=> $keys{$a}{days}{0}[0] || $a cmp $b } @today;
splice @today, 10 if @today > 10;
ok t_cmp(scalar @today, 10, 'more than ten keys were visited today');
ok t_cmp(rows($doc, '//section[@id="today"]//tbody/tr'),
         [ map { [$_, @{ $keys{$_}{days}{0} }] } @today ], "today's top keys, with today's figures");

# The series, for each period.
for my $days (30, 90, 365) {
    ($res, $doc, $why) = page("/dashboard?days=$days");
    ok t_cmp([$res->{status}, $doc ? 'well-formed' : $why], [200, 'well-formed'], "days=$days: 200, well-formed");
    $doc ||= XML::LibXML::Document->new;
    ok t_cmp(rows($doc, '//section[@id="series"]//details//tbody/tr'), expected_series($days),
             "days=$days: the table holds the sums of the ranked keys' series");
    my ($svg) = $doc->findnodes('//section[@id="series"]//svg');
    my $labels = $svg ? $svg->getAttribute('aria-labelledby') : '';
    ok t_cmp([ $svg ? $svg->getAttribute('role') : 'no svg',
               map { $doc->findnodes("//svg/*[\@id='$_']")->size } split / /, $labels ],
             ['img', 1, 1], "days=$days: the chart is an image labelled by its title and desc");
    ok t_cmp(texts($doc, '//nav/a[@aria-current="page"]'), ["$days days"], "days=$days: the period is marked");
}
ok t_cmp(rows($doc, '//section[@id="series"]//details//tbody/tr[1]')->[0][0], date_of(364),
         'the year starts 364 days ago; the days before it are not shown');

# One key's page.
($res, $doc, $why) = page('/dashboard?key=docs/a~b_c.d&days=90');
ok t_cmp([$res->{status}, $doc ? 'well-formed' : $why], [200, 'well-formed'], 'a key page: 200, well-formed');
$doc ||= XML::LibXML::Document->new;
ok t_cmp(texts($doc, '//h1'), ['docs/a~b_c.d'], 'a key page is titled by its key');
ok t_cmp(texts($doc, '//dd[@id="total-visits" or @id="total-unique"]'),
         [ @{ $keys{'docs/a~b_c.d'} }{qw(count unique)} ], "its totals");
my $d = $keys{'docs/a~b_c.d'}{days};
ok t_cmp(rows($doc, '//section[@id="series"]//details//tbody/tr'),
         [ map { [date_of(89 - $_), @{ $d->{89 - $_} || [0, 0] }] } 0 .. 89 ],
         'its table: its own stored series');
ok t_cmp(texts($doc, '//nav/a/@href'),
         [ map { "?key=docs/a~b_c.d&days=$_" } 30, 90, 365 ], 'the periods keep the key');
ok t_cmp(texts($doc, '//svg/title'), ['Daily visits of docs/a~b_c.d, last 90 days'], "the chart's title");
ok t_cmp(join('', @{ texts($doc, '//svg/desc') }), qr/^Daily visits .* from \Q${\ date_of(89)}\E to \Q${\ date_of(0)}\E: \d+ visits/,
         "the chart's description");
($res) = page('/dashboard?key=live&days=30');
ok t_cmp([$res->{status}, $res->{content} =~ m{<tr><th scope="row">\Q${\ date_of(0)}\E</th><td>3</td><td>0</td></tr></tbody>} ? 1 : 0],
         [200, 1], 'a key counted today through the API: today holds its hits');

# HEAD: the same headers, no body.
my $get = $http->get($srv->url('/dashboard?days=90'));
my $head = $http->request('HEAD', $srv->url('/dashboard?days=90'));
ok t_cmp([$head->{status}, $head->{content} // '', $head->{headers}{'content-length'}],
         [200, '', length $get->{content}], 'HEAD: 200, no body, the length of the page');

# A store with fewer than 100 keys: no bound to mention, every key ranked.
run_tool(store_args($srv), 'delete', $_) for @ranked[3 .. $#ranked];
($res, $doc) = page('/dashboard');
$doc ||= XML::LibXML::Document->new;
ok t_cmp([ map { $_->[1] } @{ rows($doc, '//section[@id="ranked"]//tbody/tr') } ],
         [ @ranked[0 .. 2] ], 'three keys: all of them ranked');
ok t_cmp($doc->findnodes('//p[@id="bound"]')->size, 0, '... and no bound mentioned');
ok t_cmp(texts($doc, '//dd[@id="total-keys"]'), [3], '... three keys in all');
for my $key (@ranked[0 .. 2]) {
    run_tool(store_args($srv), 'delete', $key);
}
($res, $doc) = page('/dashboard');
$doc ||= XML::LibXML::Document->new;
ok t_cmp([ @{ texts($doc, '//dd[@id="total-keys" or @id="total-visits"]') },
           $doc->findnodes('//p[@id="no-today"]')->size ],
         [0, 0, 1], 'an empty store: zeros, and no visits today');
ok t_cmp($doc->findnodes('//section[@id="series"]//details//tbody/tr')->size, 30,
         '... and a chart of 30 zero days');
