# Moving from LMDB to Redis as visitcount(8) describes it: export an LMDB
# store with its history, import it into a private redis-server (with a
# password read from a file), and read the same counts and history there,
# through the tool and through an httpd that counts in that Redis.  Then
# the way back, Redis to a new LMDB directory, gives the same again.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use JSON::PP ();
use POSIX qw(strftime);

use lib "$FindBin::Bin/../lib";
use VCRedis;
use VCServer;
use VCTool qw(tool run_tool write_file);

plan tests => 11;
tool();     # dies when the tool is not built
!system('command -v redis-server >/dev/null') or die "redis-server is not installed (scripts/deps)\n";

my $lmdb = VCServer->new(name => 'toolmove', store => 'lmdb', conf => $VCServer::API);
ok t_cmp($lmdb->start, 1, 'an httpd counting in LMDB starts');
my $dir = $lmdb->dir;
my @l = ('-d', "$lmdb->{db}");
$lmdb->request('POST', "/api/visits/$_") for qw(home home home blog/x);
sub day { strftime('%Y-%m-%d', gmtime(time - $_[0] * 86400)) }
write_file("$dir/old.jsonl", join "\n",
           '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}',
           '{"key":"old/page","count":9,"unique":4,"days":[["' . day(10) . '",6,3],["' . day(2) . '",3,1]]}', '');
my ($rc, $out, $err) = run_tool(@l, 'import', '--mode', 'add', "$dir/old.jsonl");
ok t_cmp($rc, 0, 'LMDB: history imported');
my $export = "$dir/counts.jsonl";
($rc) = run_tool(@l, 'export', '--days', '-o', $export);
ok t_cmp($rc, 0, 'LMDB: export --days');

my $redis = VCRedis->new(name => 'toolmove', password => 'm0ve-secret');
ok t_cmp($redis->start, 1, 'a private redis-server with a password starts');
write_file("$dir/redis.pw", "m0ve-secret\n");
my @r = ('-s', $redis->url, '-p', 'moved:', '--password-file', "$dir/redis.pw");
($rc, $out, $err) = run_tool(@r, 'import', $export);
ok t_cmp([$rc, $err], [0, qr/imported 3 keys/], 'Redis: the LMDB export imports');

sub body { my $t = shift; $t =~ s/\A[^\n]*\n//; $t }
my ($rc2, $from_redis) = run_tool(@r, 'export', '--days');
my ($rc3, $from_lmdb) = run_tool(@l, 'export', '--days');
ok t_cmp(body($from_redis), body($from_lmdb), 'Redis holds the same counts and history as LMDB');
($rc, $out) = run_tool(@r, 'verify');
ok t_cmp($rc, 0, 'Redis verifies clean');

my $red = VCServer->new(name => 'toolmove-redis', store => $redis->url, prefix => 'moved:',
                        conf => $VCServer::API . "VisitCountRedisPasswordFile $dir/redis.pw\n");
ok t_cmp($red->start, 1, 'an httpd counting in that Redis starts');
my $json = JSON::PP->new;
my $d = $json->decode($red->request('GET', '/api/visits/home')->{content});
ok t_cmp($d->{count}, 3, 'it reads the count LMDB had');

# And back: Redis to a new LMDB directory.
($rc) = run_tool(@r, 'export', '--days', '-o', "$dir/back.jsonl");
($rc, $out, $err) = run_tool('-d', "$dir/newdb", 'import', "$dir/back.jsonl");
ok t_cmp($rc, 0, 'a new LMDB directory is created by import');
my (undef, $back) = run_tool('-d', "$dir/newdb", 'export', '--days');
ok t_cmp(body($back), body($from_redis), 'and holds the same again');
