# The request note "visitcount": every hit, from the API or a page counted
# by VisitCountPage, carries its outcome (counted, duplicate, bot,
# prefetch, ignored; error is shown by t/api/metrics.t), so that
# LogFormat's %{visitcount}n logs it; reads, refused requests and pages
# outside VisitCountPage carry none ("-").  The suite's server logs
# "TAG NOTE" lines, TAG being the request's VC-Test-Tag header.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use VCMonitor qw(note_lines);
use VCTest qw(raw_request);

plan tests => 13;

my $log = Apache::Test::vars('t_logs') . '/visitcount_note_log';
my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $bot = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
my $n = 0;

# Sends a request tagged with a tag of its own; returns the notes logged
# for that tag.
sub note_of {
    my ($method, $path, @headers) = @_;
    my $tag = "note-$$-" . ++$n;
    raw_request($method => $path, headers => ['VC-Test-Tag' => $tag, @headers]);
    return join ' ', note_lines($log, $tag);
}

ok t_cmp(note_of(POST => '/api/visits/note/a'), 'counted', 'a hit: counted');
ok t_cmp(note_of(POST => '/visitors-30m/note/dup', 'User-Agent' => $chrome),
         'counted', "a visitor's first hit: counted");
ok t_cmp(note_of(POST => '/visitors-30m/note/dup', 'User-Agent' => $chrome),
         'duplicate', 'the same again: duplicate');
ok t_cmp(note_of(POST => '/visitors-30m/note/bot', 'User-Agent' => $bot),
         'bot', 'a robot: bot');
ok t_cmp(note_of(POST => '/visitors-30m/note/pf', 'User-Agent' => $chrome,
                 'Purpose' => 'prefetch'), 'prefetch', 'a prefetch: prefetch');
ok t_cmp(note_of(POST => '/api/visits/note/ign', 'Cookie' => 'visitcount_ignore=1'),
         'ignored', 'visitcount-ignore: ignored');
ok t_cmp(note_of(GET => '/pages/note.html', 'User-Agent' => $chrome),
         'counted', 'a page counted by VisitCountPage: counted');
ok t_cmp(note_of(GET => '/pages/note.html', 'User-Agent' => $chrome),
         'duplicate', 'the same page again: duplicate');
ok t_cmp(note_of(GET => '/api/visits/note/a'), '-', 'a read: no note');
ok t_cmp(note_of(HEAD => '/api/visits/note/a'), '-', 'a HEAD: no note');
ok t_cmp(note_of(POST => '/api/visits/bad!key'), '-', 'a refused key (400): no note');
ok t_cmp(note_of(PUT => '/api/visits/note/a'), '-', 'a refused method (405): no note');
ok t_cmp(note_of(GET => '/index.html'), '-', 'a page outside VisitCountPage: no note');
