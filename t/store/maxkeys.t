# 100,000 distinct keys, and the bound on their number: with the default
# VisitCountMaxKeys (100,000), hits on 100,000 new keys all count; the next
# new key gets 507 with a JSON error naming the directive, as does an admin
# PUT of a new key, while existing keys still count; deleting a key makes
# room again.  The database lives
# on /dev/shm when it can, because what is tested is the bound, not the
# disk, and prefork would otherwise wait for a flush per hit.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Path qw(remove_tree);
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCLoad qw(run_clients);
use VCServer;

my $KEYS = 100_000;
my ($mdb_stat) = grep { -x } map { "$_/mdb_stat" } split /:/, $ENV{PATH} // '';

plan tests => 14, need need_fork, { 'mdb_stat is not installed (lmdb-utils)' => $mdb_stat };

my $db = -d '/dev/shm' && -w '/dev/shm' ? "/dev/shm/visitcount-maxkeys-$$" : undef;
my $srv = VCServer->new(name => 'maxkeys', ($db ? (db => $db) : ()), conf => <<'EOF' . $VCServer::API . $VCServer::ADMIN);
LogLevel notice
EOF
$db //= $srv->dir . '/db';
my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 30);

sub call {
    my ($method, $path, $body) = @_;
    my $res = $http->request($method, $srv->url($path),
                             defined $body ? { content => $body } : {});
    my $data = eval { $json->decode($res->{content}) } || {};
    return ($res->{status}, $data);
}
sub entries {
    my $out = qx{$mdb_stat -s counts "$db" 2>&1};
    return $out =~ /Entries: (\d+)/ ? $1 : "mdb_stat failed: $out";
}

ok t_cmp($srv->start, 1, 'start with the default VisitCountMaxKeys');
# Eight clients, each on keys of its own; then one at a time until the
# store holds exactly $KEYS (a keep-alive connection the server closes as a
# request goes out leaves that request's outcome unknown).
my $r = run_clients(port => $srv->port, keys => [ map { "mk/c$_-%d" } 1 .. 8 ],
                    clients => 8, per_key => $KEYS / 8, seconds => 300,
                    dir => $srv->dir);
my @failed = map { @{ $r->{$_}{failures} } } grep { /%d/ } keys %$r;
printf STDERR "# %d new keys in %.1f s\n", $KEYS, $r->{seconds};
ok t_cmp(scalar @failed, 0, "$KEYS hits on new keys: none failed");
my $n = entries();
ok t_cmp($n =~ /^\d+$/ && $n <= $KEYS ? 1 : 0, 1, "the store holds $n keys");
for my $i (1 .. ($n =~ /^\d+$/ ? $KEYS - $n : 0)) {
    call(POST => "/api/visits/mk/top-up-$i");
}
ok t_cmp(entries(), $KEYS, "the store holds $KEYS keys");

my ($status, $d) = call(POST => '/api/visits/mk/one-too-many');
ok t_cmp($status, 507, 'a hit on one more new key: 507');
ok t_cmp($d->{error} // '', qr/VisitCountMaxKeys/, 'with a JSON error naming VisitCountMaxKeys');
($status, $d) = call(POST => '/api/visits/mk/c1-1');
ok t_cmp([$status, $d->{count}], [200, 2], 'an existing key still counts');
($status, $d) = call(PUT => '/admin/mk/one-too-many', '{"count":5}');
ok t_cmp($status, 507, 'an admin PUT of a new key: 507 too');
($status, $d) = call(PUT => '/admin/mk/c1-2', '{"count":5}');
ok t_cmp([$status, $d->{count}], [200, 5], 'an admin PUT of an existing key works');
($status, $d) = call(DELETE => '/admin/mk/c1-3');
ok t_cmp([$status, $d->{deleted}], [200, JSON::PP::true], 'deleting a key');
($status, $d) = call(POST => '/api/visits/mk/one-too-many');
ok t_cmp([$status, $d->{count}], [200, 1], 'makes room for one new key');
ok t_cmp(entries(), $KEYS, "still $KEYS keys");

$srv->stop;
my @lines = grep { /VisitCountMaxKeys/ } split /\n/, $srv->error_log;
ok t_cmp(scalar @lines >= 1 && scalar @lines <= 4 ? 1 : 0, 1,
         'the error log says so, without a line per refusal (' . scalar(@lines) . ' lines)');
ok t_cmp(scalar(grep { /exit signal|MDB_PANIC/ } split /\n/, $srv->error_log), 0,
         'no child crashed');
printf STDERR "# data.mdb after %d keys: %d bytes\n", $KEYS, -s "$db/data.mdb" // 0;
remove_tree($db) if $db =~ m{^/dev/shm/};
