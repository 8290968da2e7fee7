# visitcount export while clients keep hitting the server, in the suite's
# store (LMDB, or Redis in its pass): the export succeeds and no hit
# fails meanwhile; each key's exported count lies between its count
# before the export and its final one; imported into an empty store of the
# same kind, then exported again, it gives the same records, days and all.
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

my @KEYS = map { "live/$_" } qw(a b c d);

plan tests => 6 + @KEYS;
tool();     # dies when the tool is not built

my $srv = VCServer->new(name => 'toollive', conf => $VCServer::API);
ok t_cmp($srv->start, 1, 'the server starts');
my @s = store_args($srv);
my $dir = $srv->dir;
my $json = JSON::PP->new;
sub api_count { $json->decode($srv->request('GET', "/api/visits/$_[0]")->{content})->{count} }

$srv->request('POST', "/api/visits/$_") for @KEYS;
my %before = map { $_ => api_count($_) } @KEYS;

my ($rc, $out, $err);
my $ticks = 0;
my $r = VCLoad::run_clients(port => $srv->port, keys => \@KEYS, clients => 8,
                            per_key => 2000, seconds => 60, dir => $dir,
                            during => sub {
                                return 1 if $ticks++ < 5;    # let the hits start
                                ($rc, $out, $err) = run_tool(@s, 'export', '--days',
                                                             '-o', "$dir/live.jsonl");
                                return 0;
                            });
ok t_cmp($rc // 'never ran', 0, "export under load: exit 0 (" . ($err // '') . ")");
# (A keep-alive connection the event MPM closes as a request goes out is
# an unknown outcome, not a failure: httpd never read that request.)
my @failures = map { @{ $r->{$_}{failures} } } @KEYS;
ok t_cmp(scalar @failures, 0, 'no hit during the export failed');

sub records {
    my $file = shift;
    open my $fh, '<', $file or return {};
    my $header = <$fh>;
    return { map { my $rec = $json->decode($_); ($rec->{key} => $rec) } <$fh> };
}
my $exported = records("$dir/live.jsonl");
for my $k (@KEYS) {
    my $c = $exported->{$k}{count} // 'none';
    my $final = api_count($k);
    ok t_cmp($c =~ /^\d+$/ && $c >= $before{$k} && $c <= $final ? 1 : "$c not in [$before{$k}, $final]",
             1, "$k: the exported count lies between before the export and the end");
}

# An empty store of the suite's kind: a new LMDB directory, or a prefix of
# its own on the suite's Redis.
my @empty = $srv->store eq 'lmdb' ? ('-d', "$dir/empty")
                                  : ('-s', $srv->store, '-p', "toollive-empty-$$:");
($rc, $out, $err) = run_tool(@empty, 'import', "$dir/live.jsonl");
ok t_cmp($rc, 0, "imported into an empty store ($err)");
($rc, $out, $err) = run_tool(@empty, 'export', '--days', '-o', "$dir/again.jsonl");
ok t_cmp($rc, 0, "exported from it again ($err)");
ok t_cmp(records("$dir/again.jsonl"), $exported,
         'the same keys, counts, unique visitors and days');
