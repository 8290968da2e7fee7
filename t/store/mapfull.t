# A full LMDB map is an answer, not a crash: with VisitCountMapSize 64K,
# new keys are refused with 507 and a JSON body, reads and the admin list
# keep working, the error log says why without a line per request, and a
# restart with a larger map carries on with every count intact.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCServer;

plan tests => 25;

my $conf = <<'EOF';
LogLevel notice visitcount:info
<Location "/api/visits">
    SetHandler visitcount
</Location>
<Location "/admin">
    SetHandler visitcount-admin
    Require ip 127.0.0.1
</Location>
EOF

my $json = JSON::PP->new;
my $srv = VCServer->new(name => 'mapfull',
                        conf => "VisitCountMapSize 64K\n$conf");

sub decode {
    my $res = shift;
    my $data = eval { $json->decode($res->{content}) };
    return $data || { error => "not JSON: $res->{content}" };
}
sub hit        { $srv->request(POST => "/api/visits/$_[0]") }
sub read_count {
    my $res = $srv->request(GET => "/api/visits/$_[0]");
    return $res->{status} == 200 ? decode($res)->{count} : "HTTP $res->{status}";
}

sub fill_key { sprintf 'fill/%05d', $_[0] }

ok t_cmp($srv->start, 1, 'start with VisitCountMapSize 64K');
hit('kept') for 1 .. 3;
ok t_cmp(read_count('kept'), 3, 'a key hit 3 times before the map fills');

my ($stored, $full) = (0, undef);
for my $i (1 .. 5000) {
    my $res = hit(fill_key($i));
    if ($res->{status} == 200) {
        $stored++;
        next;
    }
    $full = $res;
    last;
}
ok t_cmp(defined $full ? 1 : 0, 1, "the map fills within 5000 new keys ($stored stored)");
$full ||= { status => 0, headers => {}, content => '' };
ok t_cmp($full->{status}, 507, 'a hit on a full map answers 507');
ok t_cmp(decode($full), { error => 'counter store is full' },
         'with {"error":"counter store is full"}');
ok t_cmp($full->{headers}{'content-type'}, 'application/json',
         'as application/json');
ok t_cmp($stored >= 20 ? 1 : 0, 1, 'many keys fitted before the map was full');

# Keep knocking: every new key is refused the same way, and the error log
# must not get a line per refusal.
my @statuses = map { hit("more/$_")->{status} } 1 .. 60;
ok t_cmp(scalar(grep { $_ == 507 } @statuses), 60,
         '60 more new keys are all refused with 507');

ok t_cmp(read_count('kept'), 3, 'an old key still reads its exact count');
ok t_cmp(read_count(fill_key(1)), 1, 'the first filler key reads 1');
ok t_cmp(read_count(fill_key($stored)), 1, 'the last stored key reads 1');
ok t_cmp(read_count(fill_key($stored + 1)), 0, 'the refused key was not stored');

my $list = $srv->request(GET => '/admin/?prefix=fill/&limit=1000');
ok t_cmp($list->{status}, 200, 'the admin list answers 200 on a full map');
my @keys = @{ decode($list)->{keys} || [] };
ok t_cmp(scalar @keys, $stored, 'and lists exactly the keys that were stored');
ok t_cmp(scalar(grep { $_->{count} != 1 } @keys), 0, 'each with count 1');

my $log = $srv->error_log;
my @full_lines = grep { /MDB_MAP_FULL/ } split /\n/, $log;
ok t_cmp(scalar @full_lines >= 1 ? 1 : 0, 1,
         'the error log names the LMDB error (MDB_MAP_FULL)');
ok t_cmp(scalar @full_lines <= 8 ? 1 : 0, 1,
         'but is not flooded: ' . scalar(@full_lines) . ' lines for 61+ refusals');
ok t_cmp(scalar(() = $log =~ /exit signal|Segmentation fault|MDB_PANIC/g), 0,
         'no crashed child and no LMDB panic');

# --- a bigger map: the same data, room again ---------------------------------
ok t_cmp($srv->stop, 1, 'stop the full server');
$srv->set_conf(conf => "VisitCountMapSize 1M\n$conf");
ok t_cmp($srv->start, 1, 'start again with VisitCountMapSize 1M');
my $again = hit(fill_key($stored + 1));
ok t_cmp($again->{status}, 200, 'a new key is counted again');
ok t_cmp(decode($again)->{count}, 1, 'from 1');
ok t_cmp(decode(hit('kept'))->{count}, 4, 'the old key goes on from 3 to 4');
ok t_cmp(read_count(fill_key($stored)), 1, 'the last key stored before is intact');
$list = $srv->request(GET => '/admin/?prefix=fill/&limit=1000');
ok t_cmp(scalar @{ decode($list)->{keys} || [] }, $stored + 1,
         'the admin list has every old key and the new one');

$srv->stop;
