# visitcount's single-key and whole-store commands against the store of a
# running server (LMDB, or the suite's Redis in its pass): stats, list
# with --prefix and --limit, get, set with and without UNIQUE, delete,
# verify, and the counts the server and the tool see being the same; exit
# status 1 for errors (no such key, no database) and 2 for usage errors,
# each with one line on stderr; --help and --version.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCServer;
use VCTool qw(tool store_args run_tool);

plan tests => 35;
tool();     # dies when the tool is not built

my $srv = VCServer->new(name => 'toolcmd', conf => $VCServer::API);
ok t_cmp($srv->start, 1, 'the server starts');
my @s = store_args($srv);
my $json = JSON::PP->new;

sub hit { $srv->request('POST', "/api/visits/$_[0]")->{status} }
sub api_count { $json->decode($srv->request('GET', "/api/visits/$_[0]")->{content})->{count} }

hit('home') for 1 .. 3;
hit('blog/a');
my ($rc, $out, $err) = run_tool(@s, 'get', 'home');
ok t_cmp([$rc, $out], [0, "home\t3\t0\n"], 'get: the hits the server counted');

($rc, $out) = run_tool(@s, 'set', 'blog/b', '7', '2');
ok t_cmp($rc, 0, 'set KEY COUNT UNIQUE: exit 0');
ok t_cmp(api_count('blog/b'), 7, 'the server reads the count the tool set');
($rc, $out) = run_tool(@s, 'set', 'blog/b', '1');
($rc, $out) = run_tool(@s, 'get', 'blog/b');
ok t_cmp($out, "blog/b\t1\t1\n", 'set without UNIQUE keeps unique, lowered to the count');

($rc, $out) = run_tool(@s, 'list');
ok t_cmp([$rc, $out], [0, "blog/a\t1\t0\nblog/b\t1\t1\nhome\t3\t0\n"],
         'list: every key in byte order');
($rc, $out) = run_tool(@s, 'list', '--prefix', 'blog/');
ok t_cmp($out, "blog/a\t1\t0\nblog/b\t1\t1\n", 'list --prefix');
($rc, $out) = run_tool(@s, 'list', '--prefix', 'blog/', '--limit', '1');
ok t_cmp($out, "blog/a\t1\t0\n", 'list --limit');

($rc, $out) = run_tool(@s, 'stats');
ok t_cmp($rc, 0, 'stats: exit 0');
ok t_cmp($out, qr/^keys: 3$/m, 'stats: 3 keys');
ok t_cmp($out, qr/^used bytes: [1-9]\d*$/m, 'stats: bytes in use');

($rc, $out) = run_tool(@s, 'verify');
ok t_cmp([$rc, $out], [0, qr/no problems found/], 'verify: a sound store');

($rc, $out, $err) = run_tool(@s, 'delete', 'blog/a');
ok t_cmp([$rc, $err], [0, ''], 'delete: exit 0, nothing on stderr');
ok t_cmp(api_count('blog/a'), 0, 'the server no longer counts the deleted key');
($rc, $out, $err) = run_tool(@s, 'delete', 'blog/a');
ok t_cmp([$rc, $err], [1, "visitcount: no key \"blog/a\"\n"],
         'delete of a missing key: exit 1, one line');
($rc, $out, $err) = run_tool(@s, 'get', 'nothing');
ok t_cmp([$rc, $out, $err], [1, '', "visitcount: no key \"nothing\"\n"],
         'get of a missing key: exit 1, one line');

# Usage errors: exit 2, one line on stderr, nothing changed.
for my $case ([['frob'], 'an unknown command'],
              [['get'], 'get without a key'],
              [['get', 'a b'], 'an invalid key'],
              [['set', 'home', 'x'], 'a count that is not a number'],
              [['set', 'home', '18446744073709551616'], 'a count past 2^64-1'],
              [['set', 'home', '1', '2'], 'unique above count'],
              [['list', '--limit', '-1'], 'a bad --limit'],
              [['--bogus', 'stats'], 'an unknown option'],
              [['--map-size', '12', 'stats'], 'a map size below 64K'],
              [[], 'no command']) {
    my ($args, $name) = @$case;
    ($rc, $out, $err) = run_tool(@s, @$args);
    ok t_cmp([$rc, scalar(() = $err =~ /\n/g), $err], [2, 1, qr/^visitcount: /],
             "$name: exit 2, one line on stderr");
}
ok t_cmp(api_count('home'), 3, 'the usage errors changed nothing');

($rc, $out, $err) = run_tool('-d', $srv->dir . '/nowhere', 'stats');
ok t_cmp([$rc, $err], [1, qr/^visitcount: .*no database there.*\n\z/],
         'stats of a directory without a database: exit 1, one line');
($rc, $out, $err) = run_tool('-s', 'redis://127.0.0.1:1/0', 'stats');
ok t_cmp([$rc, $err], [1, qr/^visitcount: .*cannot reach the store\n\z/],
         'a Redis nobody listens at: exit 1, one line');
($rc, $out, $err) = run_tool('-s', 'redis://127.0.0.1:1/0', 'backup', $srv->dir . '/bk');
ok t_cmp([$rc, $err], [1, qr/export.*RDB/], 'backup of Redis: exit 1, pointing to export and RDB');
($rc, $out, $err) = run_tool('-s', 'mysql://x', 'stats');
ok t_cmp($rc, 2, 'a store URL that is not one: exit 2');

($rc, $out) = run_tool('--help');
ok t_cmp([$rc, $out], [0, qr/^Usage: visitcount \[-d DIR \| -s STORE-URL\]/],
         '--help: the usage, exit 0');
($rc, $out) = run_tool('--version');
ok t_cmp([$rc, $out], [0, qr/^visitcount \(mod_visitcount\) \d/], '--version');

ok t_cmp(hit('home'), 200, 'the server still counts after all of it');
ok t_cmp(api_count('home'), 4, '... on the same store');
