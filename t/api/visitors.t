# Counting people: a visitor's repeat hits inside VisitCountDedupe do not
# count, distinct visitors (address + User-Agent) per day are "unique",
# robots and prefetches are not counted, nor is anything the administrator
# marks with visitcount-ignore.  Every reply still carries the count.
# Requests come from different loopback addresses (127.0.0.x) to play
# different visitors.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use VCTest qw(raw_request json_of admin_counts);

plan tests => 61;

my $true = JSON::PP::true;
my $false = JSON::PP::false;

my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
my $iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 '
           . '(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

# POST path as a visitor: ua (undef: no User-Agent header), from (source
# address), token (the front end's visitor token, sent in the body), and
# any extra headers.  Returns (status, decoded body).
sub hit {
    my ($path, %v) = @_;
    my @headers = @{ $v{headers} || [] };
    unshift @headers, 'User-Agent' => $v{ua} if defined $v{ua};
    my $res = raw_request(POST => $path, headers => \@headers,
                          from => $v{from} || '127.0.0.1',
                          defined $v{token} ? (content => qq({"visitor":"$v{token}"})) : ());
    return ($res->code, json_of($res) || { unreadable => $res->content });
}

sub counted { my (undef, $d) = @_; return $d->{counted} ? 'counted' : "not counted ($d->{reason})" }

# ---- repeat visits -----------------------------------------------------

my ($code, $d) = hit('/visitors-30m/refresh', ua => $chrome);
ok t_cmp($code, 200, 'first hit: 200');
ok t_cmp($d, { key => 'refresh', count => 1, unique => 1, counted => $true },
         'first hit of a visitor counts, and is a unique visitor');

($code, $d) = hit('/visitors-30m/refresh', ua => $chrome);
ok t_cmp($code, 200, 'a refresh: still 200');
ok t_cmp($d, { key => 'refresh', count => 1, unique => 1, counted => $false,
               reason => 'duplicate' },
         'a refresh inside the visit does not count, and says why');

($code, $d) = hit('/visitors-30m/refresh', ua => $firefox);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 2, 2],
         'same address, another browser: another visitor');

($code, $d) = hit('/visitors-30m/refresh', ua => $chrome, from => '127.0.0.5');
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 3, 3],
         'same browser, another address: another visitor');

($code, $d) = hit('/visitors-30m/refresh', ua => $firefox);
ok t_cmp($d->{reason}, 'duplicate', 'the second visitor refreshing: duplicate');

($code, $d) = hit('/visitors-30m/other-page', ua => $chrome);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 1, 1],
         'the first visitor on another key counts there');

ok t_cmp(admin_counts('refresh'), '3/3', 'stored: 3 hits, 3 unique visitors');

# ---- browser profiles: the front end's visitor token ----------------------

my ($tok_a, $tok_b) = ('0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome, token => $tok_a);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 1, 1],
         'a browser profile with its token: counts');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome, token => $tok_a);
ok t_cmp($d->{reason}, 'duplicate', 'the same profile reloading: duplicate');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome, token => $tok_b);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 2, 2],
         'a second profile of the same browser, same address: another visitor');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 3, 3],
         'the same browser without a token (storage blocked): another visitor');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome);
ok t_cmp($d->{reason}, 'duplicate', 'and without a token it reloads as a duplicate');
($code, $d) = hit('/visitors-30m/profiles', ua => $firefox, token => $tok_a);
ok t_cmp([$d->{counted}, $d->{count}], [$true, 4],
         'a token never joins two User-Agents into one visitor');
($code, $d) = hit('/visitors-30m/profiles', ua => $chrome, token => $tok_a, from => '127.0.0.6');
ok t_cmp([$d->{counted}, $d->{count}], [$true, 5],
         'nor two addresses');
($code, $d) = hit('/visitors-30m/profiles', ua => 'curl/8.5.0', token => $tok_b);
ok t_cmp($d->{reason}, 'bot', 'a robot with a token is still a robot');

# ---- the end of a visit (VisitCountDedupe 2s) ---------------------------

# Two hits meant to be "right after" each other must not be 2 s apart: on
# a machine that stalls that long, the sequence is tried again on a new key
# (at most three times), rather than failing without a bug.
my @w;
for my $try (1 .. 3) {
    my $visit = sub { return (hit("/visitors/window-$try", ua => $iphone))[1] };
    my $t0 = time;
    @w = ($visit->());
    my $t1 = time;
    push @w, $visit->();
    my $quick = time - $t0 < 1.5;
    sleep 0.1 while time < $t1 + 2.3;
    my $t2 = time;
    push @w, $visit->(), $visit->();
    last if $quick && time - $t2 < 1.5;
}
ok t_cmp([@{ $w[0] }{qw(counted count unique)}], [$true, 1, 1], '2s window: first hit counts');
ok t_cmp($w[1]{reason}, 'duplicate', '2s window: a hit right after is a duplicate');
ok t_cmp([@{ $w[2] }{qw(counted count unique)}], [$true, 2, 1],
         'after the window a new visit counts, but it is the same unique visitor today');
ok t_cmp($w[3]{reason}, 'duplicate', 'and the new visit has its own window');

# ---- switches -------------------------------------------------------------

($code, $d) = hit('/visitors-nounique/nounique-k', ua => $chrome);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 1, 0],
         'VisitCountUnique off: counts, unique stays 0');
($code, $d) = hit('/visitors-nounique/nounique-k', ua => $chrome);
ok t_cmp($d->{reason}, 'duplicate', 'VisitCountUnique off: repeat visits are still filtered');
($code, $d) = hit('/visitors-nounique/nounique-k', ua => $firefox);
ok t_cmp([$d->{count}, $d->{unique}], [2, 0], 'VisitCountUnique off: second visitor, unique 0');

for my $n (1 .. 3) {
    ($code, $d) = hit('/visitors-nodedupe/nodedupe-k', ua => $chrome);
}
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 3, 1],
         'VisitCountDedupe off: every hit counts, one unique visitor');
($code, $d) = hit('/visitors-nodedupe/nodedupe-k', ua => $firefox);
ok t_cmp([$d->{count}, $d->{unique}], [4, 2], 'VisitCountDedupe off: a second visitor is unique');

# ---- robots ---------------------------------------------------------------

my @bots = (
    [ 'curl', 'curl/8.5.0' ],
    [ 'wget', 'Wget/1.21.3' ],
    [ 'python-requests', 'python-requests/2.31.0' ],
    [ 'Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' ],
    [ 'Googlebot smartphone', 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) '
      . 'AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 '
      . '(compatible; Googlebot/2.1; +http://www.google.com/bot.html)' ],
    [ 'bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' ],
    [ 'a link preview', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' ],
    [ 'Slack unfurling', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' ],
    [ 'headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
      . 'HeadlessChrome/131.0.0.0 Safari/537.36' ],
    [ 'an empty User-Agent', '' ],
);
for my $b (@bots) {
    my ($name, $ua) = @$b;
    ($code, $d) = hit('/visitors-30m/robots', ua => $ua);
    ok t_cmp([$code, $d->{counted}, $d->{reason}], [200, $false, 'bot'],
             "$name is a robot: not counted");
}
($code, $d) = hit('/visitors-30m/robots');
ok t_cmp($d->{reason}, 'bot', 'no User-Agent header at all: a robot');
ok t_cmp([$d->{key}, $d->{count}, $d->{unique}], ['robots', 0, 0],
         'the robot still gets the current count');
($code, $d) = hit('/visitors-30m/robots', ua => $chrome);
ok t_cmp([$d->{counted}, $d->{count}], [$true, 1], 'then a browser counts 1');
($code, $d) = hit('/visitors-30m/robots', ua => 'curl/8.5.0');
ok t_cmp([$d->{reason}, $d->{count}, $d->{unique}], ['bot', 1, 1],
         'a robot after it reads the count, 1');

# Control: where VisitCountBots is count (the server default of this
# suite), the same robot counts.
($code, $d) = hit('/api/visits/robots-counted', ua => 'curl/8.5.0');
ok t_cmp([$d->{counted}, $d->{count}], [$true, 1], 'VisitCountBots count: curl counts');

# ---- prefetch and prerender ---------------------------------------------

my @prefetch = (
    [ 'Sec-Purpose: prefetch', 'Sec-Purpose' => 'prefetch' ],
    [ 'Sec-Purpose: prefetch;prerender', 'Sec-Purpose' => 'prefetch;prerender' ],
    [ 'Purpose: prefetch', 'Purpose' => 'prefetch' ],
    [ 'X-Moz: prefetch', 'X-Moz' => 'prefetch' ],
    [ 'X-Purpose: preview', 'X-Purpose' => 'preview' ],
);
for my $p (@prefetch) {
    my ($name, @h) = @$p;
    ($code, $d) = hit('/visitors-30m/prefetch', ua => $chrome, headers => \@h);
    ok t_cmp([$code, $d->{counted}, $d->{reason}], [200, $false, 'prefetch'],
             "$name: not counted");
}
($code, $d) = hit('/visitors-30m/prefetch', ua => $chrome);
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [$true, 1, 1],
         'the real visit after the prefetches counts, as the first');

# ---- visitcount-ignore ---------------------------------------------------

($code, $d) = hit('/visitors-30m/owner', ua => $chrome, from => '127.0.0.9');
ok t_cmp([$d->{counted}, $d->{reason}], [$false, 'ignored'],
         'SetEnvIf Remote_Addr ... visitcount-ignore: not counted');
($code, $d) = hit('/visitors-30m/owner', ua => $firefox,
                  headers => [ Cookie => 'theme=dark; visitcount_ignore=1' ]);
ok t_cmp([$d->{counted}, $d->{reason}], [$false, 'ignored'],
         'SetEnvIf Cookie ... visitcount-ignore: not counted');
($code, $d) = hit('/api/visits/owner-bots-counted', ua => 'curl/8.5.0', from => '127.0.0.9');
ok t_cmp($d->{reason}, 'ignored', 'ignored even where robots count');
($code, $d) = hit('/visitors-30m/owner', ua => $firefox,
                  headers => [ Cookie => 'xvisitcount_ignore=1' ]);
ok t_cmp([$d->{counted}, $d->{count}], [$true, 1],
         'a cookie that only ends with the name does not exclude');
ok t_cmp(admin_counts('owner'), '1/1', 'stored: only the one real visit');

# ---- VisitCountIncrementOnGet goes through the same filters ---------------

my $get = raw_request(GET => '/visitors-get/g', headers => [ 'User-Agent' => $chrome ]);
ok t_cmp(json_of($get), { key => 'g', count => 1, unique => 1, counted => $true },
         'IncrementOnGet: a browser GET counts');
$get = raw_request(GET => '/visitors-get/g', headers => [ 'User-Agent' => $chrome ]);
ok t_cmp(json_of($get)->{reason}, 'duplicate', 'IncrementOnGet: a reload is a duplicate');
$get = raw_request(GET => '/visitors-get/g', headers => [ 'User-Agent' => 'Wget/1.21.3' ]);
ok t_cmp(json_of($get)->{reason}, 'bot', 'IncrementOnGet: wget is a robot');
$get = raw_request(HEAD => '/visitors-get/g', headers => [ 'User-Agent' => $firefox ]);
ok t_cmp($get->code, 200, 'IncrementOnGet: HEAD answers');
ok t_cmp(admin_counts('g'), '1/1', 'IncrementOnGet: HEAD never counts');

# ---- replies and headers --------------------------------------------------

my $res = raw_request(POST => '/visitors-30m/refresh', headers => [ 'User-Agent' => $chrome ]);
ok t_cmp($res->header('Cache-Control'), 'no-store', 'a duplicate is not cacheable either');
ok t_cmp($res->header('Content-Type'), 'application/json', 'a duplicate is JSON');
ok t_cmp(admin_counts('refresh'), '3/3', 'after all the refreshes: still 3/3');

# The address and User-Agent are never written to the error log.
my $log = do { local $/; open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log'; <$fh> } // '';
ok t_cmp(scalar(grep { /VC0/ && (/127\.0\.0\.5/ || /Firefox/) } split /\n/, $log), 0,
         'no module log line names a visitor');
