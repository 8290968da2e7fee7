# The demo resume in a real headless browser: its script POSTs a hit and
# shows "Visitor #N" in the footer; without the API the counter stays
# hidden.  Skipped when Chromium is not installed (scripts/deps installs
# it).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(make_path);
use FindBin ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);

use lib "$FindBin::Bin/../lib";
use VCServer;

my ($chromium) = grep { -x } map { my $d = $_; map { "$d/$_" } qw(chromium chromium-browser) }
                 split /:/, $ENV{PATH} // '';

plan tests => 18,
    need { 'chromium is not installed (scripts/deps installs it)' => $chromium };

my $log = qq{CustomLog "logs/access_log" "%m %U %>s"\n};
my $api = <<'EOF';
<Location "/api/visits">
    SetHandler visitcount
</Location>
EOF

my $srv = VCServer->new(name => 'browser', docroot => VCServer::top() . '/htdocs',
                        conf => $log . $api);
my $runs = 0;

# Loads $url in headless Chromium and returns the DOM after its scripts ran.
sub browse {
    my $url = shift;
    my $dir = $srv->dir . "/chromium-" . ++$runs;
    make_path($dir);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();     # its own group, so a hung browser is killed whole
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/dom.html";
        open STDERR, '>', "$dir/stderr";
        local $ENV{HOME} = $dir;
        { exec $chromium, qw(--headless --no-sandbox --disable-gpu --disable-quic
                             --no-first-run --disable-background-networking
                             --disable-component-update --disable-sync),
               "--user-data-dir=$dir/profile", '--virtual-time-budget=5000',
               '--dump-dom', $url }
        POSIX::_exit(127);
    }
    my $deadline = time + 60;
    sleep 0.1 while waitpid($pid, POSIX::WNOHANG()) == 0 && time < $deadline;
    if (time >= $deadline) {
        kill 'KILL', -$pid;
        waitpid $pid, 0;
        return "chromium timed out after 60 s";
    }
    kill 'KILL', -$pid;      # helpers it may have left behind
    return VCServer::slurp("$dir/dom.html");
}

# The counter element: (attributes, text content), or () when absent.
sub counter {
    my $dom = shift;
    $dom =~ m{<p\b([^>]*\bid="visitor-counter"[^>]*)>(.*?)</p>}s or return;
    my ($attrs, $html) = ($1, $2);
    (my $text = $html) =~ s/<[^>]*>//g;
    return ($attrs, $text);
}

# An attribute's value ('' when it has none), undef when it is absent.
sub attr { $_[0] =~ /(?:^|\s)\Q$_[1]\E(?:="([^"]*)")?(?=\s|$)/ ? $1 // '' : undef }

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

sub api_count {
    my $res = $srv->request(GET => '/api/visits');
    return $res->{status} == 200 ? JSON::PP->new->decode($res->{content})->{count}
                                 : "HTTP $res->{status}";
}

ok t_cmp($srv->start, 1, 'a private server with the demo htdocs and the API');
my ($served) = counter($srv->request(GET => '/')->{content});
ok t_cmp(attr($served // '', 'hidden'), '', 'the page as served has the counter hidden');

for my $n (1, 2) {
    my ($attrs, $text) = counter(browse($srv->url('/')));
    ok t_cmp(defined $attrs ? 1 : 0, 1, "load $n: the DOM has the counter element");
    $attrs //= 'hidden';
    ok t_cmp(attr($attrs, 'hidden'), undef, "load $n: the counter is shown");
    ok t_cmp(attr($attrs, 'data-count'), $n, "load $n: data-count=\"$n\"");
    ok t_cmp($text // '', "Visitor #$n", "load $n: it reads \"Visitor #$n\"");
}
ok t_cmp(api_count(), 2, 'the server counted the two page loads');
ok t_cmp(logged(qr{^POST /api/visits 200$}m, 2), 2, 'with one POST each');

# Without the API the script's POST gets a 404: nothing is shown.
$srv->set_conf(conf => $log);
ok t_cmp($srv->graceful, 1, 'graceful restart without the API location');
ok t_cmp($srv->request(GET => '/api/visits')->{status}, 404,
         'the API now answers 404');
my ($attrs, $text) = counter(browse($srv->url('/')));
ok t_cmp(logged(qr{^POST /api/visits 404$}m, 1), 1, "the page's script POSTed and got 404");
ok t_cmp(defined $attrs ? 1 : 0, 1, 'without the API: the counter element is there');
ok t_cmp(attr($attrs // '', 'hidden'), '', 'but stays hidden');
ok t_cmp($text // 'missing', '', 'and empty');

$srv->stop;
