# Crossing UTC midnight without waiting for it: a test build of the module
# (configure --enable-test-hooks) shifts its clock by the seconds in the
# file VISITCOUNT_TEST_CLOCK_FILE names.  The server starts a few seconds
# before a midnight and checks that
#   - a visit that began before midnight still filters repeats after it
#     (yesterday's secret and seen-set serve the window);
#   - after the window, the new day's first visit is a unique visitor again;
#   - the secret and the seen-set survive a restart within the day;
#   - once the longest VisitCountDedupe has passed since midnight, the
#     parent destroys yesterday's secret and seen-set, without a restart;
#   - two days later it destroys today's too, and trims the history to
#     VisitCountHistory;
#   - ?days=N fills the days without hits with zeros.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use HTTP::Tiny ();
use JSON::PP ();
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);
use VCServer;

my ($mdb_stat) = grep { -x } map { "$_/mdb_stat" } split /:/, $ENV{PATH} // '';

plan tests => 22, need { 'mdb_stat is not installed (lmdb-utils)' => $mdb_stat };

my $chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
           . '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
my $json = JSON::PP->new->utf8;

my $srv = VCServer->new(name => 'rotation', conf => <<'CONF');
VisitCountHistory 3
VisitCountBots ignore
VisitCountUnique on
<Location "/short">
    SetHandler visitcount
    VisitCountDedupe 8s
</Location>
<Location "/long">
    SetHandler visitcount
    VisitCountDedupe 30m
</Location>
CONF

# Day D: ten days from now, so nothing here meets the real date.
my $day_d = int(time / 86400) + 10;
my $midnight = $day_d * 86400;
sub date_of { strftime('%Y-%m-%d', gmtime(shift() * 86400)) }

sub call {
    my ($method, $path) = @_;
    my $res = HTTP::Tiny->new(agent => $chrome, timeout => 15)
                        ->request($method, $srv->url($path));
    my $data = eval { $json->decode($res->{content}) } || {};
    $data->{http_status} = $res->{status};
    return $data;
}

sub entries {
    my $db = shift;
    my $out = qx{$mdb_stat -s $db "$srv->{db}" 2>&1};
    return $out =~ /Entries: (\d+)/ ? $1 : "mdb_stat failed: $out";
}

# Its children read the clock file when they start, so the offset is set
# first; should the start itself take more than 3 of the 6 s (a stalled
# machine), it is tried again, since the visit must begin before midnight.
my $started = 0;
for (1 .. 3) {
    $srv->set_clock($midnight - int(time) - 6);
    $started = $srv->start or last;
    last if $srv->server_now < $midnight - 3;
    $srv->stop;
    $started = 0;
}
ok t_cmp($started, 1, 'server starts six seconds before a UTC midnight');
if (!VCServer::test_hooks()) {
    skip('the module was built without --enable-test-hooks', 0) for 2 .. 22;
    exit;
}
my $today = call(GET => '/short/s?days=1')->{daily}[0]{date} // 'none';
ok t_cmp($today, date_of($day_d - 1), 'the server lives on the shifted clock');

# ---- a visit across midnight ----------------------------------------------

my $first = time;
my $d = call(POST => '/short/s');
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [JSON::PP::true, 1, 1],
         'before midnight: the first visit counts');
ok t_cmp($srv->server_now < $midnight ? 1 : 0, 1, '... and it was before midnight');
call(POST => '/long/l');

# (Bounded, so a test clock gone wrong fails the checks instead of waiting.)
sleep 0.05 while $srv->server_now < $midnight + 0.5 && time < $first + 30;
$d = call(POST => '/short/s');
ok t_cmp($d->{reason} // 'counted', 'duplicate',
         'after midnight, inside the visit begun before it: a duplicate');

sleep 0.05 while time < $first + 8.3;
$d = call(POST => '/short/s');
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [JSON::PP::true, 2, 2],
         'after the window: counts, and is the new day\'s unique visitor');
ok t_cmp(call(GET => '/short/s?days=2')->{daily},
         [ { date => date_of($day_d - 1), count => 1, unique => 1 },
           { date => date_of($day_d), count => 1, unique => 1 } ],
         'each day holds its own hit and unique visitor');

ok t_cmp(entries('secrets'), 2, 'two secrets: yesterday\'s and today\'s');

# ---- a restart within the day keeps secret and seen-set --------------------

$srv->stop;
ok t_cmp($srv->start, 1, 'restart within the day');
$d = call(POST => '/long/l');
ok t_cmp($d->{reason} // 'counted', 'duplicate',
         'the visit begun before the restart is still recognised');
ok t_cmp(call(GET => '/long/l')->{count}, 1, 'long/l still counts 1');

# ---- once no visit begun before midnight can run, yesterday's go -----------

# The parent reads the clock file at its next monitor run (about every
# 10 s) and purges without any restart.
sub wait_for {
    my ($db, $want) = @_;
    my $deadline = time + 45;
    sleep 0.5 while time < $deadline && entries($db) ne $want;
    return entries($db);
}
# /long's 30 minutes is the longest VisitCountDedupe configured.
$srv->set_clock($srv->clock_offset + 1800);
ok t_cmp(wait_for('secrets', 1), 1,
         'at 00:30, the end of the longest visit window, yesterday\'s secret is destroyed');
ok t_cmp(entries('seen'), 1, 'and yesterday\'s visitors: only today\'s one is left');
$d = call(POST => '/long/l');
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [JSON::PP::true, 2, 2],
         'the visit begun before midnight is over: a new one, the day\'s unique visitor');

# ---- two days later: maintenance destroys what identifies visitors ---------

my $seen_before = entries('seen');
ok t_cmp($seen_before > 0 ? 1 : 0, 1, "the seen-set holds visitors ($seen_before)");
$srv->set_clock($srv->clock_offset + 2 * 86400);
ok t_cmp(wait_for('secrets', 0), 0, 'the secrets are destroyed within the monitor interval');
ok t_cmp(entries('seen'), 0, 'and the seen-set too');
ok t_cmp(entries('daily'), 2,
         'history trimmed to VisitCountHistory 3: only the buckets of day D remain');

# New children pick up the new date.
$srv->stop;
ok t_cmp($srv->start, 1, 'restart on day D+2');
ok t_cmp(call(GET => '/short/s?days=3')->{daily},
         [ { date => date_of($day_d), count => 1, unique => 1 },
           { date => date_of($day_d + 1), count => 0, unique => 0 },
           { date => date_of($day_d + 2), count => 0, unique => 0 } ],
         'days without hits read as zeros, oldest first');
ok t_cmp(call(GET => '/short/s?days=4')->{http_status}, 400,
         'days beyond VisitCountHistory: 400');
$d = call(POST => '/short/s');
ok t_cmp([$d->{counted}, $d->{count}, $d->{unique}], [JSON::PP::true, 3, 3],
         'the same browser two days later is a new unique visitor');
$srv->stop;
