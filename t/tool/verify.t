# visitcount verify finds records that break the store's rules, written
# behind the module's back (LMDB: with mdb_load; Redis: with redis-cli):
# more unique visitors than hits, a record of the wrong size, a daily
# bucket outside the history, records no key accounts for.  It exits 1 with one line naming how many
# problems there are and the first; a sound store exits 0.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use POSIX ();

use lib "$FindBin::Bin/../lib";
use VCServer;
use VCTool qw(tool store_args run_tool write_file);

my $lmdb = VCServer::suite_store_kind() eq 'lmdb';
plan tests => 7;
tool();     # dies when the tool is not built
my $writer = $lmdb ? 'mdb_load' : 'redis-cli';
!system("command -v $writer >/dev/null") or die "$writer is not installed (scripts/deps)\n";

my $srv = VCServer->new(name => 'toolverify', conf => $VCServer::API);
ok t_cmp($srv->start, 1, 'the server starts');
my @s = store_args($srv);
$srv->request('POST', '/api/visits/v/ok') for 1 .. 3;

my ($rc, $out, $err) = run_tool(@s, 'verify');
ok t_cmp([$rc, $out, $err], [0, qr/no problems found/, ''], 'a sound store: exit 0');

# redis-cli on the suite's Redis, its answer discarded; true on success.
sub rcli {
    my ($sock) = $srv->store =~ m{^redis\+unix://([^?]+)} or die 'the suite\'s Redis is on a socket';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', '/dev/null' or die;
        exec 'redis-cli', '-s', $sock, @_ or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return $? == 0;
}

# Writes raw records: LMDB's "counts" database (little-endian count and
# unique, as the module stores them), or fields of a Redis hash.
sub corrupt {
    my ($key, %f) = @_;
    if ($lmdb) {
        my $file = $srv->dir . '/load.txt';
        my $rec = join '', map { sprintf '\\%02x', $_ } unpack 'C*', $f{raw};
        write_file($file, "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n $key\n $rec\nDATA=END\n");
        return system("mdb_load -s counts -f '$file' '$srv->{db}' 2>/dev/null") == 0;
    }
    return rcli('HSET', $srv->prefix . "{$key}", %f) && rcli('ZADD', $srv->prefix . 'keys', 0, $key);
}

my $ok = $lmdb ? corrupt('v/bad', raw => pack('Q<Q<', 1, 5))
               : corrupt('v/bad', count => 1, unique => 5);
($rc, $out, $err) = run_tool(@s, 'verify');
ok t_cmp([$ok, $rc, $err], [1, 1, qr/^visitcount: .*: 1 problem; the first: more unique visitors than hits \((record|key) "v\/bad"\)\n\z/],
         'unique above count: exit 1, one line naming it');

$ok = $lmdb ? corrupt('v/short', raw => 'xy')
            : corrupt('v/old', count => 9, unique => 0, 'd:10' => '1 0');
($rc, $out, $err) = run_tool(@s, 'verify');
ok t_cmp([$ok, $rc, $err], [1, 1, qr/: 2 problems; the first: /],
         ($lmdb ? 'a record of the wrong size' : 'a bucket outside the history') . ': 2 problems');

$ok = $lmdb ? corrupt('v/bad', raw => pack('Q<Q<', 5, 1))
            : corrupt('v/bad', unique => 1, count => 5);
$ok &&= $lmdb ? corrupt('v/short', raw => pack('Q<Q<', 2, 1))
              : corrupt('v/old', count => 9, unique => 0, 'd:10' => '0 0')
                && rcli('HDEL', $srv->prefix . '{v/old}', 'd:10');
($rc, $out, $err) = run_tool(@s, 'verify');
ok t_cmp([$ok, $rc, $out], [1, 0, qr/no problems found/], 'repaired: exit 0 again');
# Records the keys do not account for: LMDB, a daily bucket of a key
# without totals; Redis, a key's hash the index does not list and a day's
# visitors without an expiry.
if ($lmdb) {
    my $file = $srv->dir . '/load.txt';
    my $day = int(time / 86400);
    my $k = join '', map { sprintf '\\%02x', $_ } unpack('C*', "v/orphan\0" . pack('N', $day));
    my $v = join '', map { sprintf '\\%02x', $_ } unpack('C*', pack('Q<Q<', 1, 0));
    write_file($file, "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n $k\n $v\nDATA=END\n");
    $ok = system("mdb_load -s daily -f '$file' '$srv->{db}' 2>/dev/null") == 0;
    ($rc, $out, $err) = run_tool(@s, 'verify');
    ok t_cmp([$ok, $rc, $err], [1, 1, qr/1 problem; the first: daily buckets of a key that has no totals \(record "v\/orphan"\)/],
             'a daily bucket of a key without totals is found');
}
else {
    $ok = rcli('HSET', $srv->prefix . '{v/orphan}', 'count', 1, 'unique', 0)
       && rcli('HSET', $srv->prefix . '{v/ok}:s:20000', 'x', 1);
    ($rc, $out, $err) = run_tool(@s, 'verify');
    ok t_cmp([$ok, $rc, $err], [1, 1, qr/2 problems; the first: (a record the index of keys does not list|a day's visitors or secret that never expires)/],
             'a record the index does not list and visitors that never expire are found');
}
ok t_cmp($srv->request('POST', '/api/visits/v/ok')->{status}, 200, 'the server counted on throughout');
