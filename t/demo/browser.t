# The demo resume in a real headless browser, with the module's default
# filters and the demo's own configuration blocks (from conf/demo.conf):
# its script POSTs a hit and shows "Visitor #N" with a 30-day chart in the
# footer; reloading does not move the number, a second browser profile or
# a second User-Agent does, and the headless browser's own User-Agent is a
# robot's.  The about page counts itself with JavaScript disabled, through
# VisitCountPage and SSI.  Without the API the counter stays hidden.
# Skipped when Chromium is not installed (scripts/deps installs it).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Encode ();
use FindBin ();
use JSON::PP ();
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCBrowser;
use VCServer;

plan tests => 43, need VCBrowser::need_chromium();

# A desktop Chrome, as a person's browser sends it (headless Chromium's own
# says "HeadlessChrome", which the module rightly takes for a robot).
my $chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $edge = "$chrome Edg/131.0.0.0";

# The demo's blocks for the API and the SSI page, exactly as shipped.
my $demo_conf = VCServer::slurp(VCServer::top() . '/conf/demo.conf');
my ($api) = $demo_conf =~ m{^(<Location "/api/visits">.*?^</Location>\n)}ms;
my ($about) = $demo_conf =~ m{^(<Files "about.shtml">.*?^</Files>\n)}ms;
my $log = qq{CustomLog "logs/access_log" "%m %U%q %>s"\n};

my $srv = VCServer->new(name => 'browser', docroot => VCServer::top() . '/htdocs',
                        module_defaults => 1, modules => ['include'],
                        conf => $log . ($api // '') . ($about // ''));
my $browser = VCBrowser->new(dir => $srv->dir);

# Loads $url in headless Chromium with the profile $profile (a directory
# kept between loads, as a person's browser keeps its storage) and returns
# the DOM after its scripts ran.  Options: ua (the User-Agent; default
# Chromium's own), nojs (JavaScript disabled in the profile).
sub browse {
    my ($url, $profile, %opt) = @_;
    my $run = $browser->run($url, %opt, profile => $srv->dir . "/profile-$profile",
                            flags => ['--virtual-time-budget=5000'], dump_dom => 1);
    return $run->{error} // Encode::decode('UTF-8', $run->{out});
}

# An element by id: (attributes, text content without the chart's hover
# titles, inner HTML), or () when absent.
sub element {
    my ($dom, $id) = @_;
    $dom =~ m{<p\b([^>]*\bid="\Q$id\E"[^>]*)>(.*?)</p>}s or return;
    my ($attrs, $html) = ($1, $2);
    (my $text = $html) =~ s{<title>.*?</title>}{}gs;
    $text =~ s/<[^>]*>//g;
    $text =~ s/\s+/ /g;
    $text =~ s/^ | $//g;
    return ($attrs, $text, $html);
}

# An attribute's value ('' when it has none), undef when it is absent.
sub attr { $_[0] =~ /(?:^|\s)\Q$_[1]\E(?:="([^"]*)")?(?=[\s>\/]|$)/ ? $1 // '' : undef }

# The access log lines "METHOD /path status" that match $re; httpd logs a
# request just after its reply, so wait a moment for $want of them.
sub logged {
    my ($re, $want) = @_;
    my ($n, $until) = (0, time + 3);
    while (1) {
        $n = () = VCServer::slurp($srv->dir . "/logs/access_log") =~ /$re/mg;
        return $n if $n >= $want || time > $until;
        sleep 0.1;
    }
}

sub api_counts {
    my $key = shift // '';
    my $res = $srv->request(GET => "/api/visits/$key");
    return "HTTP $res->{status}" unless $res->{status} == 200;
    my $d = JSON::PP->new->decode($res->{content});
    return "$d->{count}/$d->{unique}";
}

# Loads the resume and checks what its footer shows.
sub resume_shows {
    my ($name, $profile, $ua, $count, $unique) = @_;
    my ($attrs, $text) = element(browse($srv->url('/'), $profile, ua => $ua),
                                 'visitor-counter');
    $attrs //= 'hidden';
    my $people = $unique == 1 ? 'unique visitor' : 'unique visitors';
    ok t_cmp(attr($attrs, 'hidden'), undef, "$name: the counter is shown");
    ok t_cmp(attr($attrs, 'data-count'), $count, "$name: data-count=\"$count\"");
    ok t_cmp($text // '', "Visitor #$count \x{b7} $unique $people",
             "$name: it reads \"Visitor #$count \x{b7} $unique $people\"");
}

ok t_cmp(defined $api && defined $about ? 1 : 0, 1,
         'conf/demo.conf has the API location and the about.shtml block');
ok t_cmp($srv->start, 1, 'a private server with the demo htdocs and configuration');
my ($served) = element(Encode::decode('UTF-8', $srv->request(GET => '/')->{content}),
                       'visitor-counter');
ok t_cmp(attr($served // '', 'hidden'), '', 'the page as served has the counter hidden');

# ---- the resume's counter ---------------------------------------------------

resume_shows('first visit', 'a', $chrome, 1, 1);
resume_shows('the same browser reloading', 'a', $chrome, 1, 1);
ok t_cmp(logged(qr{^POST /api/visits 200$}m, 2), 2, 'both loads POSTed a hit');
resume_shows('a second profile of the same browser', 'b', $chrome, 2, 2);
resume_shows('a second User-Agent', 'c', $edge, 3, 3);
resume_shows('the second profile reloading', 'b', $chrome, 3, 3);

my ($attrs, $text, $html) = element(browse($srv->url('/'), 'headless'), 'visitor-counter');
ok t_cmp($text // '', "Visitor #3 \x{b7} 3 unique visitors",
         "headless Chromium's own User-Agent reads the count but does not add to it");
ok t_cmp(api_counts(), '3/3', 'the server counted three visitors');
ok t_cmp(logged(qr{^POST /api/visits 200$}m, 6), 6, 'from six page loads, one POST each');

# The chart: the last 30 days from GET ?days=30, one bar each, today last.
my ($svg) = ($html // '') =~ m{(<svg\b[^>]*>)}s;
ok t_cmp(defined $svg ? 1 : 0, 1, 'the counter has an inline SVG chart');
$svg //= '';
ok t_cmp(attr($svg, 'class'), 'visitor-sparkline', 'with the sparkline class');
ok t_cmp(attr($svg, 'role'), 'img', 'marked as an image');
ok t_cmp(attr($svg, 'aria-label'), 'Visits per day over the last 30 days: 3 in all',
         'and described for screen readers');
my @series = split /,/, attr($svg, 'data-series') // '';
ok t_cmp(scalar @series, 30, 'thirty days in the series');
ok t_cmp(join(',', @series), join(',', (0) x 29, 3), 'no visits before today, three today');
my @bars = ($html // '') =~ /<rect\b/g;
ok t_cmp(scalar @bars, 30, 'one bar per day');
ok t_cmp(logged(qr{^GET /api/visits\?days=30 (?:200|304)$}m, 6), 6,
         'read with GET ?days=30 (304 when the browser revalidates its copy)');

# ---- the about page, counted by the server, JavaScript disabled -------------

sub about_shows {
    my ($name, $profile, $ua, $count, $unique) = @_;
    my ($a, $t) = element(browse($srv->url('/about.shtml'), $profile, ua => $ua, nojs => 1),
                          'page-counter');
    my $people = $unique == 1 ? 'unique visitor' : 'unique visitors';
    ok t_cmp($t // 'missing', "Visit #$count \x{b7} $unique $people",
             "about.shtml, $name: \"Visit #$count \x{b7} $unique $people\"");
}

about_shows('first view without JavaScript', 'nojs', $chrome, 1, 1);
about_shows('reloaded', 'nojs', $chrome, 1, 1);
about_shows('another User-Agent', 'nojs-2', $edge, 2, 2);
ok t_cmp(api_counts('about.shtml'), '2/2', 'the API reads the page key about.shtml');
my ($nojs) = element(browse($srv->url('/'), 'nojs', ua => $chrome, nojs => 1),
                     'visitor-counter');
ok t_cmp(attr($nojs // '', 'hidden'), '', 'the resume without JavaScript: counter hidden');
ok t_cmp(logged(qr{^POST /api/visits 200$}m, 6), 6, 'and no POST was sent');
ok t_cmp(api_counts(), '3/3', 'the resume count is unchanged');

# ---- without the API -----------------------------------------------------------

# The script's POST gets a 404: nothing is shown.
$srv->set_conf(conf => $log . $about);
ok t_cmp($srv->graceful, 1, 'graceful restart without the API location');
ok t_cmp($srv->request(GET => '/api/visits')->{status}, 404,
         'the API now answers 404');
($attrs, $text) = element(browse($srv->url('/'), 'd', ua => $chrome), 'visitor-counter');
ok t_cmp(logged(qr{^POST /api/visits 404$}m, 1), 1, "the page's script POSTed and got 404");
ok t_cmp(defined $attrs ? 1 : 0, 1, 'without the API: the counter element is there');
ok t_cmp(attr($attrs // '', 'hidden'), '', 'but stays hidden');
ok t_cmp($text // 'missing', '', 'and empty');

$srv->stop;
