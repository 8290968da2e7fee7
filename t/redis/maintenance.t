# The daily maintenance with the Redis store: the httpd parent trims the
# daily history of every key, hit or not, to VisitCountHistory, from its
# monitor; the daily secret and the records of visitors need no trimming
# (they expire by themselves).  The module's clock is moved days ahead
# through VISITCOUNT_TEST_CLOCK_FILE (a test build's hook), which the
# parent reads at each monitor call and a child when it starts.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use Time::HiRes qw(sleep time);

use lib "$FindBin::Bin/../lib";
use VCRedis;
use VCServer;

plan tests => 10;

my $redis = VCRedis->new(name => 'maintenance');
$redis->start or die "redis-server did not start:\n" . $redis->log;
my $srv = VCServer->new(name => 'maintenance', store => $redis->url, conf => <<'EOF' . $VCServer::API);
VisitCountHistory 3
LogLevel visitcount:debug
EOF
$srv->set_clock(0);
ok t_cmp($srv->start ? 1 : 0, 1, 'the server starts');

my $http = HTTP::Tiny->new(timeout => 30);
my $json = JSON::PP->new;
sub hit { $json->decode($http->post($srv->url("/api/visits/$_[0]"))->{content}) }
sub buckets { my $h = $redis->command('HGETALL', "vc-maintenance:{$_[0]}") // [];
              my %f = @$h; return join ' ', sort grep { /^d:/ } keys %f }

my $today = int(time / 86400);
ok t_cmp(hit('busy')->{count}, 1, 'a hit today');
ok t_cmp(hit('idle')->{count}, 1, 'on two keys');
ok t_cmp(buckets('idle'), "d:$today", "each has today's bucket");

# Ten days on, the parent's monitor trims the history of every key,
# including one nobody hits any more.  (Children read the clock when they
# start: a graceful restart makes them all count in the new day.)
my $log_before = length $srv->error_log;
$srv->set_clock(10 * 86400);
ok t_cmp($srv->graceful ? 1 : 0, 1, 'a graceful restart in the new clock');
my $until = time + 20;
sleep 0.2 while buckets('idle') ne '' && time < $until;
ok t_cmp(buckets('idle'), '', 'ten days later, the idle key has no bucket left');
ok t_cmp(substr($srv->error_log, $log_before),
         qr/VC0005: maintenance removed 0 secrets, 0 visitor records and [12] daily buckets/,
         'the maintenance says what it removed');
my $busy = hit('busy');
ok t_cmp($busy->{count}, 2, 'the totals are kept');
ok t_cmp(buckets('busy'), 'd:' . ($today + 10), "and a hit that day leaves that day's bucket only");
ok t_cmp($json->decode($http->get($srv->url('/api/visits/idle?days=3'))->{content})->{count}, 1,
         'the idle key still reads its count');
$srv->stop;
$redis->stop;
