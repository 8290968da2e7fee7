# visitcount backup of LMDB while clients keep hitting the server: the
# copy is taken under load, names the transaction it holds, opens as a
# store of its own that verifies clean, and holds, per key, a count no
# higher than the server's final one and no lower than it was before the
# backup.  A non-empty destination is refused, and the Redis pass refuses
# backup altogether (export is its way).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCLoad;
use VCServer;
use VCTool qw(tool store_args run_tool);

plan tests => 10;
tool();     # dies when the tool is not built

my $srv = VCServer->new(name => 'toolbackup', conf => $VCServer::API);
ok t_cmp($srv->start, 1, 'the server starts');
my @s = store_args($srv);
my $json = JSON::PP->new;
sub api_count { $json->decode($srv->request('GET', "/api/visits/$_[0]")->{content})->{count} }

$srv->request('POST', "/api/visits/bk/$_") for qw(a b);
my %before = map { $_ => api_count("bk/$_") } qw(a b);
my $dest = $srv->dir . '/backup';

if (VCServer::suite_store_kind() eq 'redis') {
    my ($rc, $out, $err) = run_tool(@s, 'backup', $dest);
    ok t_cmp([$rc, $err], [1, qr/export.*RDB or AOF/], 'Redis: backup is refused, naming export');
    skip 'LMDB only', 0 for 1 .. 8;
    exit;
}

# Clients hit two keys while the backup runs.
my ($rc, $out, $err);
my $done = 0;
my $r = VCLoad::run_clients(port => $srv->port, keys => ['bk/a', 'bk/b'], clients => 4,
                            per_key => 2000, seconds => 60, dir => $srv->dir,
                            during => sub {
                                return 1 if $done++ < 5;    # let the hits start
                                ($rc, $out, $err) = run_tool(@s, 'backup', $dest);
                                return 0;
                            });
ok t_cmp($rc // 'never ran', 0, "backup under load: exit 0 (" . ($err // '') . ")");
ok t_cmp($out, qr/^backup of .* in \Q$dest\E: transaction [1-9]\d*$/, 'it names the transaction it holds');
my @failures = map { @{ $r->{$_}{failures} } } qw(bk/a bk/b);
ok t_cmp(scalar @failures, 0, 'every hit during the backup was answered');

($rc, $out) = run_tool('-d', $dest, 'verify');
ok t_cmp([$rc, $out], [0, qr/no problems found/], 'the copy opens and verifies clean');
for my $k (qw(a b)) {
    my ($c) = (run_tool('-d', $dest, 'get', "bk/$k"))[1] =~ /\t(\d+)\t/;
    my $final = api_count("bk/$k");
    ok t_cmp($c >= $before{$k} && $c <= $final ? 1 : "$c not in [$before{$k}, $final]", 1,
             "bk/$k: the copy's count lies between before the backup and the end");
}
($rc, $out, $err) = run_tool(@s, 'backup', $dest);
ok t_cmp([$rc, $err], [1, qr/must exist and be empty/], 'a backup into a non-empty directory is refused');
($rc, $out) = run_tool(@s, 'verify');
ok t_cmp($rc, 0, 'the server\'s own store verifies clean after it all');
ok t_cmp(api_count('bk/a') >= $before{a} + 1, 1, 'the server kept counting');
