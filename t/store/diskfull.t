# A full disk, not just a full map: the store lives on a 1 MiB tmpfs (made
# by scripts/test when it runs as root, and named by VC_TEST_DISKFULL),
# with a map far larger than the disk.  Hits on new keys fill the disk;
# then they answer 503 or 507 with JSON, reads still answer 200, no child
# dies (LMDB maps its file read-only, so a full disk is an error code, not
# a SIGBUS), and the database stays sound.  Freeing the space lets hits
# count again without a restart.  Skipped without such a directory.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(remove_tree);
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCServer;

my $dir = $ENV{VC_TEST_DISKFULL};
plan tests => 11, need {
    'needs a small tmpfs for a full disk: scripts/test mounts one when run as root '
    . '(VC_TEST_DISKFULL names it)' => $dir && -d $dir && -w $dir };

# The tmpfs outlives a run under one MPM: start from nothing on it.
my $db = "$dir/db";
remove_tree($db, "$dir/filler") if $dir && -d $dir;
my $srv = VCServer->new(name => 'diskfull', db => $db, conf => <<'EOF' . $VCServer::API);
VisitCountMapSize 64M
LogLevel notice
EOF
my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 30);

sub hit {
    my $res = $http->post($srv->url("/api/visits/$_[0]"));
    my $d = eval { $json->decode($res->{content}) };
    return ($res->{status}, $d, $res->{headers}{'content-type'} // '');
}

ok t_cmp($srv->start, 1, 'start with the store on a 1 MiB tmpfs, VisitCountMapSize 64M');
my ($status, $d) = hit('kept');
ok t_cmp($status, 200, 'a first hit counts');

# Leave 64 KiB free, then fill them with new keys.
my $filler = "$dir/filler";
my ($avail) = qx{df -k --output=avail '$dir'} =~ /(\d+)\s*$/;
my $blocks = int((($avail // 0) - 64) / 4);
system("dd if=/dev/zero of='$filler' bs=4k count=$blocks 2>/dev/null") if $blocks > 0;
my ($stored, $type, $full) = (0, '', undef);
for my $i (1 .. 20000) {
    ($status, $d, $type) = hit(sprintf 'fill/%05d', $i);
    if ($status != 200) {
        $full = $status;
        last;
    }
    $stored++;
}
ok t_cmp($full // 0, qr/^(503|507)$/, "with the disk full ($stored keys stored), a hit answers 503 or 507");
ok t_cmp(ref $d eq 'HASH' ? $d->{error} // '' : '', qr/\w/, 'with a JSON error');
ok t_cmp($type, 'application/json', 'as application/json');
my $res = $http->get($srv->url('/api/visits/kept'));
ok t_cmp([$res->{status}, eval { $json->decode($res->{content})->{count} }], [200, 1],
         'reads still answer, with the stored count');
my @more = map { (hit("more/$_"))[0] } 1 .. 20;
ok t_cmp(scalar(grep { $_ == 503 || $_ == 507 } @more), 20, '20 more new keys are refused the same way');

unlink $filler;
($status, $d) = hit('after');
ok t_cmp([$status, ref $d eq 'HASH' ? $d->{count} : undef], [200, 1],
         'with the space freed, hits count again, without a restart');
$srv->stop;
my $log = $srv->error_log;
ok t_cmp(scalar(() = $log =~ /exit signal|Bus error|SIGBUS|MDB_PANIC/g), 0,
         'no child died (no SIGBUS) and no LMDB panic');
ok t_cmp($log, qr/(No space left on device|Input\/output error); is the disk holding VisitCountDB full\?/,
         'the error log says why (LMDB reports a short write to a full disk as EIO)');
ok t_cmp(system("mdb_stat -a '$db' >/dev/null 2>&1") == 0
         && system("mdb_dump -a '$db' >/dev/null 2>&1") == 0 ? 1 : 0, 1,
         'mdb_stat and mdb_dump read the whole database');
