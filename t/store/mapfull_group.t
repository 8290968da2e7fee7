# A map filling up while concurrent hits share group-commit batches
# (VisitCountDurability group, VisitCountMapSize 64K): a hit that finds
# the map full fails alone, with 507, and takes no other hit of its batch
# with it.  Eight clients each send new keys and hits on one shared key
# until the map is full; afterwards every key acknowledged with 200 reads
# 1, every key refused reads 0, and the shared key's acknowledged counts
# are distinct and equal its final count.  Under a threaded MPM the error
# log (at debug) must show that a failed batch was redone hit by hit;
# under prefork each hit commits alone, and the same must hold.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();
use POSIX ();

use lib "$FindBin::Bin/../lib";
use VCServer;

my $CLIENTS = 8;

plan tests => 10, need_fork;

my $srv = VCServer->new(name => 'mapfull-group', conf => <<'EOF' . $VCServer::API);
VisitCountMapSize 64K
VisitCountDurability group
LogLevel notice visitcount:debug
EOF
my $json = JSON::PP->new;

ok t_cmp($srv->start, 1, 'start with VisitCountMapSize 64K, group commit');

# A client: alternates a hit on a new key of its own and one on the shared
# key, until 20 new keys in a row are refused; writes one line per reply:
# "new KEY STATUS" or "shared STATUS COUNT".
sub client {
    my ($c, $file) = @_;
    # A connection per request: a keep-alive connection the server closes
    # as a request goes out would leave that request's outcome unknown.
    my $http = HTTP::Tiny->new(keep_alive => 0, timeout => 30);
    open my $out, '>', $file or POSIX::_exit(2);
    my $refused = 0;
    for (my $i = 1; $refused < 20 && $i < 5000; $i++) {
        my $key = sprintf 'c%d/%05d', $c, $i;
        my $res = $http->request(POST => $srv->url("/api/visits/$key"));
        print $out "new $key $res->{status}\n";
        $refused = $res->{status} == 507 ? $refused + 1 : 0;
        $res = $http->request(POST => $srv->url('/api/visits/shared'));
        my $d = eval { $json->decode($res->{content}) } || {};
        print $out "shared $res->{status} ", $d->{count} // '-', "\n";
    }
    close $out;
    POSIX::_exit(0);
}

my @pids;
for my $c (1 .. $CLIENTS) {
    my $pid = fork // die "fork: $!";
    client($c, $srv->dir . "/client-$c") unless $pid;
    push @pids, $pid;
}
waitpid $_, 0 for @pids;

my (%new, @shared, %other);
for my $c (1 .. $CLIENTS) {
    open my $in, '<', $srv->dir . "/client-$c" or die "client $c left no results";
    while (<$in>) {
        if (/^new (\S+) (\d+)$/) { $new{$1} = $2 }
        elsif (/^shared 200 (\d+)$/) { push @shared, $1 }
        elsif (/^shared (\d+)/) { $other{$1}++ }
    }
}
my @stored = grep { $new{$_} == 200 } keys %new;
my @refused = grep { $new{$_} == 507 } keys %new;
my @odd = grep { $new{$_} != 200 && $new{$_} != 507 } keys %new;
ok t_cmp(scalar @refused > 0 ? 1 : 0, 1,
         scalar(@stored) . ' new keys stored before the map was full, '
         . scalar(@refused) . ' refused with 507');
ok t_cmp(scalar @odd, 0, 'every new key got 200 or 507, nothing else');
ok t_cmp(join(',', sort keys %other), join(',', grep { $other{$_} } 507),
         'the shared key got 200s and, once full, 507s only');

sub read_count {
    my $res = $srv->request(GET => "/api/visits/$_[0]");
    return $res->{status} == 200 ? $json->decode($res->{content})->{count}
                                 : "HTTP $res->{status}";
}
my @lost = grep { read_count($_) ne '1' } @stored;
ok t_cmp(scalar @lost, 0, 'every acknowledged new key reads 1');
my @phantom = grep { read_count($_) ne '0' } @refused;
ok t_cmp(scalar @phantom, 0, 'every refused new key reads 0');
my %seen;
ok t_cmp(scalar(grep { $seen{$_}++ } @shared), 0,
         'the shared key\'s acknowledged counts are distinct');
ok t_cmp(read_count('shared'), scalar @shared,
         'and its final count is the number of 200 replies (' . scalar(@shared) . ')');
my $log = $srv->error_log;
ok t_cmp(scalar(() = $log =~ /exit signal|Segmentation fault|MDB_PANIC/g), 0,
         'no crashed child and no LMDB panic');
my $redone = () = $log =~ /VC0207: the group commit holding the hit/g;
if (VCServer::current_mpm() eq 'prefork') {
    ok t_cmp($redone, 0, 'prefork: no batches, so none was redone');
}
else {
    ok t_cmp($redone > 0 ? 1 : 0, 1,
             "a batch that hit the full map was redone hit by hit ($redone hits)");
}
$srv->stop;
