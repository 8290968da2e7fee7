# visitcount export and import against the store of a running server
# (LMDB, or the suite's Redis in its pass): a round trip with daily
# history, as JSON lines and as CSV (export, wipe, import, export again:
# identical); the merge modes; GoatCounter's CSV in both header forms and
# its JSON; VisitCountMaxKeys; and malformed inputs (a truncated line, a
# bad number, an overflow, an unknown column, an invalid key, invalid
# UTF-8) that exit 1, name their lines and change nothing, while CRLF line
# ends are accepted.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use POSIX qw(strftime);

use lib "$FindBin::Bin/../lib";
use VCServer;
use VCTool qw(tool store_args run_tool write_file);

plan tests => 40;
tool();     # dies when the tool is not built

my $srv = VCServer->new(name => 'tooltransfer', conf => $VCServer::API);
ok t_cmp($srv->start, 1, 'the server starts');
my @s = store_args($srv);
my $dir = $srv->dir;
my $data = "$FindBin::Bin/../data";

sub day { strftime('%Y-%m-%d', gmtime(time - $_[0] * 86400)) }
sub body { my $t = shift; $t =~ s/\A[^\n]*\n//; $t }     # without its header
sub export { my ($rc, $out) = run_tool(@s, 'export', @_); $rc == 0 ? $out : "exit $rc" }
sub wipe {
    my ($rc, $out) = run_tool(@s, 'list');
    run_tool(@s, 'delete', (split /\t/)[0]) for split /\n/, $out;
}

# ---- a round trip with history ---------------------------------------------
my $in = join '', '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}', "\n",
    '{"key":"rt/a","count":20,"unique":6,"days":[["', day(3), '",5,2],["', day(1), '",4,1],["', day(0), '",1,1]]}', "\n",
    '{"key":"rt/b","count":7,"unique":0}', "\n",
    '{"key":"rt/c/deep","count":18446744073709551615,"unique":18446744073709551615,"days":[["', day(0), '",3,3]]}', "\n";
write_file("$dir/in.jsonl", $in);
my ($rc, $out, $err) = run_tool(@s, 'import', "$dir/in.jsonl");
ok t_cmp([$rc, $err], [0, qr/imported 3 keys \(visitcount jsonl 1\)/], 'import: exit 0, says what it read');
my $first = export('--days');
ok t_cmp(body($first), body($in) =~ s/\{"key":"rt\/b","count":7,"unique":0\}/{"key":"rt\/b","count":7,"unique":0,"days":[]}/r,
         'export --days gives back what was imported, 64-bit maximum included');
for my $format (qw(jsonl csv)) {
    my $file = "$dir/rt.$format";
    ($rc) = run_tool(@s, 'export', '--days', '--format', $format, '-o', $file);
    ok t_cmp($rc, 0, "export --days --format $format -o FILE: exit 0");
    wipe();
    ok t_cmp(body(export()), '', "$format: the store is wiped");
    ($rc, $out, $err) = run_tool(@s, 'import', $file);
    ok t_cmp($rc, 0, "$format: the export imports again");
    ok t_cmp(body(export('--days')), body($first), "$format: export -> wipe -> import gives identical data");
}
($rc, $out, $err) = run_tool(@s, 'import', '-', { stdin => $in });
ok t_cmp($rc, 0, 'import from standard input');

# ---- merge modes -----------------------------------------------------------
write_file("$dir/m.jsonl", join "\n", '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}',
           '{"key":"rt/a","count":3,"unique":1,"days":[["' . day(0) . '",3,1]]}', '');
($rc) = run_tool(@s, 'import', '--mode', 'add', "$dir/m.jsonl");
($rc, $out) = run_tool(@s, 'get', 'rt/a');
ok t_cmp($out, "rt/a\t23\t7\n", '--mode add sums the totals');
ok t_cmp(export('--days') =~ /"key":"rt\/a".*\["\Q${\ day(0)}\E",4,2\]/ ? 1 : 0, 1, '... and the days');
($rc) = run_tool(@s, 'import', '--mode', 'max', "$dir/m.jsonl");
($rc, $out) = run_tool(@s, 'get', 'rt/a');
ok t_cmp($out, "rt/a\t23\t7\n", '--mode max keeps the larger figures');
write_file("$dir/m2.jsonl", join "\n", '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}',
           '{"key":"rt/a","count":20,"unique":1,"days":[["' . day(5) . '",20,1]]}', '');
($rc) = run_tool(@s, 'import', '--mode', 'max', "$dir/m2.jsonl");
($rc, $out) = run_tool(@s, 'get', 'rt/a');
ok t_cmp($out, "rt/a\t33\t7\n", '--mode max with a new day: the totals cover what the days add up to');
($rc) = run_tool(@s, 'import', '--mode', 'set', "$dir/m.jsonl");
($rc, $out) = run_tool(@s, 'get', 'rt/a');
ok t_cmp($out, "rt/a\t3\t1\n", '--mode set replaces');
($rc, $out, $err) = run_tool(@s, 'import', '--mode', 'add', "$dir/in.jsonl");
ok t_cmp([$rc, $err], [1, qr/rt\/c\/deep.*64-bit maximum/], 'an add past 2^64-1: exit 1, naming the key');

# ---- GoatCounter -----------------------------------------------------------
wipe();
for my $f (qw(goatcounter-export.csv goatcounter-export-v2comma.csv goatcounter.json)) {
    wipe();
    ($rc, $out, $err) = run_tool(@s, 'import', "$data/$f");
    ok t_cmp([$rc, $err], [0, qr/imported \d+ keys? \(goatcounter/], "GoatCounter's $f imports");
    ($rc, $out) = run_tool(@s, 'get', 'default');
    ok t_cmp($out, qr/^default\t[1-9]\d*\t\d+$/, "$f: the path / counted as the key default");
}
($rc, $out, $err) = run_tool(@s, 'import', '--from', 'visitcount', "$data/goatcounter-export.csv");
ok t_cmp($rc, 1, '--from visitcount refuses GoatCounter\'s CSV');

# ---- malformed inputs change nothing ---------------------------------------
my $before = body(export('--days'));
my $h = '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":false}';
my @bad = (
    ['a truncated line', "$h\n{\"key\":\"x1\",\"count\":1\n", 2],
    ['a bad number', "$h\n{\"key\":\"x1\",\"count\":-1,\"unique\":0}\n", 2],
    ['an overflow', "$h\n{\"key\":\"x1\",\"count\":18446744073709551616,\"unique\":0}\n", 2],
    ['an unknown column', "# visitcount export version 1, exported 2026-01-01T00:00:00Z, without days\nkey,count,unique,colour\nx1,1,0,red\n", 2],
    ['an invalid key', "$h\n{\"key\":\"x 1\",\"count\":1,\"unique\":0}\n", 2],
    ['invalid UTF-8', "$h\n{\"key\":\"x1\",\"count\":1,\"unique\":0}\n{\"key\":\"x\xff\",\"count\":1,\"unique\":0}\n", 3],
);
for my $case (@bad) {
    my ($name, $text, $line) = @$case;
    write_file("$dir/bad.txt", $text);
    ($rc, $out, $err) = run_tool(@s, 'import', "$dir/bad.txt");
    ok t_cmp([$rc, $err], [1, qr/line $line: .*\n.*nothing imported/s], "$name: exit 1, naming line $line");
}
write_file("$dir/bad.txt", join "\n", $h, '{"key":"y1","count":1,"unique":0}', 'nonsense', '{"key":"y2","count":"1"}',
           '{"key":"y3","count":1,"unique":0}', '[', '');
($rc, $out, $err) = run_tool(@s, 'import', "$dir/bad.txt");
ok t_cmp([$rc, $err], [1, qr/line 3: .*\n.*line 4: .*\n.*line 6: .*\n.*3 bad lines; nothing imported/s],
         'several bad lines: each is named');
ok t_cmp(body(export('--days')), $before, 'none of the bad inputs changed anything');

(my $crlf = "$h\n{\"key\":\"crlf\",\"count\":2,\"unique\":1}\n") =~ s/\n/\r\n/g;
write_file("$dir/crlf.txt", $crlf);
($rc, $out, $err) = run_tool(@s, 'import', "$dir/crlf.txt");
($rc, $out) = run_tool(@s, 'get', 'crlf');
ok t_cmp($out, "crlf\t2\t1\n", 'CRLF line ends are accepted');
write_file("$dir/old.jsonl", join "\n", '{"format":"visitcount","version":1,"exported":"2026-01-01T00:00:00Z","days":true}',
           '{"key":"old","count":5,"unique":2,"days":[["' . day(500) . '",3,1],["' . day(1) . '",2,1]]}', '');
($rc) = run_tool(@s, 'import', "$dir/old.jsonl");
ok t_cmp(export('--days') =~ /^(\{"key":"old".*)$/m ? $1 : '',
         '{"key":"old","count":5,"unique":2,"days":[["' . day(1) . '",2,1]]}',
         'a day older than the history (400 days) is dropped, the totals kept');

# ---- VisitCountMaxKeys, usage ----------------------------------------------
wipe();
($rc, $out, $err) = run_tool(@s, '--max-keys', '2', 'import', "$dir/in.jsonl");
ok t_cmp([$rc, $err], [1, qr/VisitCountMaxKeys/], 'more keys than --max-keys: exit 1');
ok t_cmp(body(export()), '', '... and nothing imported');
($rc, $out, $err) = run_tool(@s, 'import', '--mode', 'sum', "$dir/in.jsonl");
ok t_cmp($rc, 2, 'an unknown --mode: exit 2');
($rc, $out, $err) = run_tool(@s, 'export', '--format', 'xml');
ok t_cmp($rc, 2, 'an unknown --format: exit 2');
($rc, $out, $err) = run_tool(@s, 'import', "$dir/missing");
ok t_cmp([$rc, $err], [1, qr/missing: No such file/], 'a missing input file: exit 1');
