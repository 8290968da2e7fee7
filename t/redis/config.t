# Setting up the Redis store: what a user gets wrong, and what they are
# told.  Bad VisitCountStore and VisitCountRedis* values stop `apache2 -t`
# with the file, line and directive (and never repeat a password); a
# password file that cannot be read, or settings that contradict each
# other, stop the start; directives the chosen store ignores get a notice.
# Passwords (from a file, for the default user and for an ACL user), the
# database number, key prefixes and VisitCountMaxKeys work as documented;
# a Redis that could lose acknowledged hits gets one warning per child
# saying what to set; and a module built without hiredis refuses a Redis
# store at start, saying so.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCRedis;
use VCServer;

plan tests => 42;

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 30);
my $API = $VCServer::API . $VCServer::ADMIN;

sub post {
    my ($srv, $path, $body) = @_;
    my $res = $http->request(defined $body ? 'PUT' : 'POST', $srv->url($path),
                             defined $body ? { content => $body } : {});
    $res->{json} = eval { $json->decode($res->{content}) } || {};
    return $res;
}

my $redis = VCRedis->new(name => 'config', password => 's3cret-default',
                         extra => "user alice on >alice-pw ~* +\@all\n");
$redis->start or die "redis-server did not start:\n" . $redis->log;
my $port = $redis->port;

# ---- values that stop apache2 -t ---------------------------------------------

my @bad = (
    [ 'VisitCountStore redis://:hunter2@127.0.0.1:99999/0', qr/port must be a number/ ],
    [ 'VisitCountStore mysql://127.0.0.1/', qr/not lmdb, redis:/ ],
    [ 'VisitCountStore redis+unix://relative.sock', qr/absolute path/ ],
    [ 'VisitCountStore redis-sentinel://127.0.0.1:26379', qr/master's name is missing/ ],
    [ 'VisitCountStore redis://127.0.0.1/99999', qr/database must be a number/ ],
    [ 'VisitCountRedisPrefix "a{b}"', qr/without spaces, '\{' or '\}'/ ],
    [ 'VisitCountRedisCommandTimeout 0', qr/number of milliseconds from 1 to 60000/ ],
    [ 'VisitCountRedisPoolSize 5000', qr/number of connections from 1 to 1024/ ],
    [ 'VisitCountRedisFailFast 2h', qr/off or a duration up to 1h/ ],
    [ 'VisitCountRedisWait 99', qr/number of replicas from 1 to 16/ ],
);
my $srv = VCServer->new(name => 'config-bad', store => 'lmdb');
for my $case (@bad) {
    my ($directive, $why) = @$case;
    $srv->set_conf(conf => "$directive\n$API");
    my ($status, $out) = $srv->config_test;
    my ($name) = $directive =~ /^(\S+)/;
    ok t_cmp($status != 0 && $out =~ /line \d+ of .*httpd\.conf/ && $out =~ /\Q$name\E: / ? $out : "status $status: $out",
             qr/$why/, "apache2 -t refuses '$directive', naming the directive and the line");
}
my (undef, $out) = do { $srv->set_conf(conf => "$bad[0][0]\n$API"); $srv->config_test };
ok t_cmp($out !~ /hunter2/ ? 1 : 0, 1, 'and never repeats the password');
$srv->set_conf(conf => "<Location /x>\n    VisitCountStore lmdb\n</Location>\n$API");
ok t_cmp(($srv->config_test)[0] != 0 ? 1 : 0, 1, 'a store inside <Location> is refused');

# ---- values that stop the start ------------------------------------------------

$srv->set_conf(conf => "VisitCountStore redis://127.0.0.1:$port/0\n"
                     . "VisitCountRedisPasswordFile /nonexistent/redis-pass\n$API");
ok t_cmp($srv->start ? 'started' : $srv->error_log,
         qr{VC0009: VisitCountRedisPasswordFile /nonexistent/redis-pass: cannot read it},
         'an unreadable password file stops the start, naming the directive and the file');
$srv->set_conf(conf => "VisitCountStore redis://127.0.0.1:$port/0\nVisitCountRedisWait 1 2000\n$API");
ok t_cmp($srv->start ? 'started' : $srv->error_log, qr/VC0009: VisitCountRedisWait waits 2000 ms/,
         'a WAIT longer than the command timeout stops the start');
$srv->set_conf(conf => "VisitCountStore redis://alice\@127.0.0.1:$port/0\n$API");
ok t_cmp($srv->start ? 'started' : $srv->error_log, qr/VC0009: VisitCountStore names a Redis user but no password/,
         'a user without a password stops the start');

# ---- passwords ------------------------------------------------------------------

my $pass = $srv->dir . '/redis-pass';
sub write_file { open my $fh, '>', $_[0] or die "$!"; print $fh $_[1]; close $fh }
write_file($pass, "s3cret-default\n");
chmod 0600, $pass;
$srv->set_conf(conf => "VisitCountStore redis://127.0.0.1:$port/0\n"
                     . "VisitCountRedisPasswordFile $pass\nVisitCountMapSize 1M\n$API");
ok t_cmp($srv->start ? 1 : 0, 1, 'with a password file, httpd starts');
ok t_cmp(post($srv, '/api/visits/pw')->{json}{count}, 1, 'and counts: Redis took the password');
ok t_cmp($srv->error_log, qr/VC0008: the store is Redis: ignoring VisitCountDB VisitCountMapSize/,
         'the LMDB directives are ignored with a notice');
ok t_cmp($srv->error_log =~ /s3cret/ ? 'logged' : 'not logged', 'not logged', 'the password is never logged');
$srv->stop;

write_file($pass, "wrong\n");
$srv->set_conf(conf => "VisitCountStore redis://127.0.0.1:$port/0\nVisitCountRedisPasswordFile $pass\n$API");
$srv->start;
my $res = post($srv, '/api/visits/pw');
ok t_cmp($res->{status}, 503, 'a wrong password: 503');
ok t_cmp($srv->error_log, qr/VC0403: Redis at 127\.0\.0\.1:\d+ refused AUTH: WRONGPASS/,
         'and the error log says Redis refused AUTH');
$srv->stop;

write_file($pass, "alice-pw\n");
$srv->set_conf(conf => "VisitCountStore redis://alice\@127.0.0.1:$port/0\n"
                     . "VisitCountRedisPasswordFile $pass\n$API");
$srv->start;
ok t_cmp(post($srv, '/api/visits/pw')->{json}{count}, 2, 'an ACL user with its password counts on');
$srv->stop;

$srv->set_conf(conf => "VisitCountStore redis://:s3cret-default\@127.0.0.1:$port/7\n$API");
$srv->start;
ok t_cmp(post($srv, '/api/visits/pw')->{json}{count}, 1, 'a password in the URL works, and db 7 is another database');
$srv->stop;

# ---- prefixes keep sites apart; the key bound -----------------------------------------

$redis->set_password(undef);
my %site;
for my $name (qw(one two)) {
    $site{$name} = VCServer->new(name => "config-$name", store => "redis://127.0.0.1:$port/1",
                                 prefix => "$name:", conf => "VisitCountMaxKeys 3\n$API");
    $site{$name}->start or die "config-$name did not start:\n" . $site{$name}->error_log;
}
post($site{one}, '/api/visits/home') for 1 .. 3;
post($site{two}, '/api/visits/home');
ok t_cmp(post($site{one}, '/api/visits/home')->{json}{count}, 4, 'site one counts its own home');
ok t_cmp(post($site{two}, '/api/visits/home')->{json}{count}, 2, 'site two, under another prefix, its own');
post($site{one}, "/api/visits/k$_") for 1 .. 2;
$res = post($site{one}, '/api/visits/k3');
ok t_cmp($res->{status}, 507, 'a new key past VisitCountMaxKeys answers 507');
ok t_cmp($res->{json}{error}, qr/VisitCountMaxKeys/, 'naming the directive');
ok t_cmp(post($site{one}, '/admin/k4', '{"count":5}')->{status}, 507, 'as does an admin PUT of a new key');
ok t_cmp(post($site{one}, '/api/visits/k1')->{json}{count}, 2, 'existing keys still count');
ok t_cmp(post($site{two}, '/api/visits/k3')->{status}, 200, 'the other site has room of its own');
$http->request(DELETE => $site{one}->url('/admin/k2'));
ok t_cmp(post($site{one}, '/api/visits/k3')->{json}{count}, 1, 'deleting a key makes room');
my $list = $json->decode($http->get($site{one}->url('/admin/'))->{content});
ok t_cmp(join(' ', map { "$_->{key}=$_->{count}" } @{ $list->{keys} }), 'home=4 k1=2 k3=1',
         'the admin list holds exactly the keys left, in order');
$_->stop for values %site;

# ---- settings that could lose hits: one warning per child ---------------------------

my $loose = VCRedis->new(name => 'config-loose',
                         conf => { appendonly => 'no', 'maxmemory-policy' => 'allkeys-lru' });
$loose->start or die "redis-server did not start:\n" . $loose->log;
$srv->set_conf(conf => "VisitCountStore " . $loose->url . "\n$API");
$srv->start;
post($srv, '/api/visits/loose') for 1 .. 20;
my @warnings = grep { /VC0405/ } split /\n/, $srv->error_log;
my $children = () = VCServer::children($srv->pid);
ok t_cmp($warnings[0] // 'none', qr/VC0405: Redis at 127\.0\.0\.1:\d+ can lose or evict acknowledged hits \(appendonly no, .*maxmemory-policy allkeys-lru\): set appendonly yes, appendfsync always, maxmemory-policy noeviction/,
         'a Redis without appendonly and with eviction gets a warning saying what to set');
ok t_cmp(@warnings >= 1 && @warnings <= 4 ? 1 : 0, 1,
         'once per child, not per hit (' . scalar(@warnings) . " lines, $children children now)");
$srv->stop;
$loose->stop;
$srv->set_conf(conf => "VisitCountStore " . $redis->url . "\n$API");
my $mark = length $srv->error_log;
$srv->start;
post($srv, '/api/visits/durable');
ok t_cmp(scalar(grep { /VC0405/ } split /\n/, substr($srv->error_log, $mark)), 0,
         'a Redis with appendonly, appendfsync always and noeviction gets none');
$srv->stop;

# ---- the other way round, and a module without Redis -------------------------------

$srv->set_conf(store => 'lmdb', conf => "VisitCountRedisPrefix x:\nVisitCountRedisPoolSize 4\n$API");
$srv->start;
ok t_cmp($srv->error_log, qr/VC0008: the store is LMDB: ignoring VisitCountRedis\*/,
         'with LMDB, the Redis directives are ignored with a notice');
$srv->stop;

my $noredis = VCServer::top() . '/t/noredis/.libs/mod_visitcount.so';
ok t_cmp(-f $noredis ? 1 : 0, 1, "the module built without Redis exists ($noredis, built by make check)");
my $conf = VCServer::slurp($srv->conf_file);
$conf =~ s{LoadModule visitcount_module "[^"]+"}{LoadModule visitcount_module "$noredis"};
write_file($srv->conf_file, $conf . "VisitCountStore redis://127.0.0.1:$port/0\n");
my ($status, $text) = $srv->config_test;
ok t_cmp($status != 0 ? 1 : 0, 1, 'that module refuses a Redis store');
ok t_cmp($text, qr/VisitCountStore: this mod_visitcount was built without Redis support/,
         'saying so, with the directive');
write_file($srv->conf_file, $conf);
ok t_cmp(($srv->config_test)[0], 0, 'and takes the same configuration with lmdb');
ok t_cmp($srv->start ? 1 : 0, 1, 'it starts with LMDB');
ok t_cmp(post($srv, '/api/visits/noredis')->{json}{count}, 1, 'and counts');
$srv->stop;
$redis->stop;
