package VCBrowser;
# Headless Chromium for the tests that look at a page as a browser shows
# it.  Chromium is optional: a test plans with
#     plan tests => N, need VCBrowser::need_chromium();
# and is skipped, saying why, where it is not installed (scripts/deps
# installs it).
#
# VCBrowser->new(dir => D) runs it in D/chromium-1, D/chromium-2, ... (one
# directory a run, its HOME, holding its stdout and stderr); run($url,
# %options) loads one page and returns a hashref:
#     out    its standard output (the DOM with dump_dom);
#     err    its standard error;
#     dir    the run's directory;
#     error  'chromium timed out after 60 s' when it had to be killed
#            (out and err hold what it wrote until then), else undef.
# Options:
#     profile      its user data directory, kept from run to run as a
#                  person's browser keeps its storage (default: a new
#                  one in the run's directory);
#     nojs         JavaScript disabled in the profile (when the profile
#                  has no preferences yet);
#     ua           the User-Agent (default: Chromium's own, which says
#                  HeadlessChrome);
#     dump_dom     print the DOM after the page's scripts ran;
#     screenshot   save the page as dir/screenshot.png;
#     window_size  'W,H' in pixels;
#     flags        more command-line flags, as an array;
#     timeout      seconds before it is killed (default 60).
# Chromium runs in a session of its own, so a hung browser and the helper
# processes it leaves behind are killed whole.
use strict;
use warnings FATAL => 'all';

use File::Path qw(make_path);
use POSIX ();
use Time::HiRes qw(sleep time);
use VCServer ();

# The flags of every run: headless, and nothing reaching beyond the page.
my @BASE = qw(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
              --disable-background-networking --disable-component-update --disable-sync);

# The chromium (or chromium-browser) binary on PATH, or undef.
sub binary {
    for my $d (split /:/, $ENV{PATH} // '') {
        for my $name (qw(chromium chromium-browser)) {
            return "$d/$name" if -x "$d/$name";
        }
    }
    return undef;
}

# The condition for Apache::Test's need(): skips the test, saying why,
# when Chromium is not installed.
sub need_chromium {
    return { 'chromium is not installed (scripts/deps installs it)' => binary() };
}

sub new {
    my ($class, %args) = @_;
    my $dir = $args{dir} or die "VCBrowser->new: dir is required";
    my $bin = binary() or die "VCBrowser->new: chromium is not installed";
    return bless { dir => $dir, bin => $bin, runs => 0 }, $class;
}

sub run {
    my ($self, $url, %opt) = @_;
    my $dir = "$self->{dir}/chromium-" . ++$self->{runs};
    my $profile = $opt{profile} // "$dir/profile";
    my $timeout = $opt{timeout} // 60;
    make_path($dir, "$profile/Default");
    if ($opt{nojs} && !-e "$profile/Default/Preferences") {
        open my $fh, '>', "$profile/Default/Preferences" or die "$profile: $!";
        print $fh '{"profile":{"default_content_setting_values":{"javascript":2}}}';
        close $fh or die "$profile: $!";
    }
    my @cmd = ($self->{bin}, @BASE, "--user-data-dir=$profile",
               ($opt{ua} ? "--user-agent=$opt{ua}" : ()),
               ($opt{window_size} ? "--window-size=$opt{window_size}" : ()),
               ($opt{screenshot} ? "--screenshot=$dir/screenshot.png" : ()),
               ($opt{dump_dom} ? '--dump-dom' : ()),
               @{ $opt{flags} || [] }, $url);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/stdout";
        open STDERR, '>', "$dir/stderr";
        $ENV{HOME} = $dir;
        { exec @cmd }
        POSIX::_exit(127);
    }
    my $deadline = time + $timeout;
    my $hung;
    sleep 0.1 while ($hung = waitpid($pid, POSIX::WNOHANG()) == 0) && time < $deadline;
    kill 'KILL', -$pid;      # a hung browser, or helpers it left behind
    waitpid $pid, 0 if $hung;
    return { out => VCServer::slurp("$dir/stdout"),
             err => VCServer::slurp("$dir/stderr"), dir => $dir,
             error => $hung ? "chromium timed out after $timeout s" : undef };
}

1;
