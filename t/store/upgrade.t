# A database written by an earlier build opens, keeps its counts and
# carries on.  t/data/db-e62163e.dump is `mdb_dump -a` of the store that
# the first release (commit e62163e: counts and format only, no history,
# visitors or secrets yet) wrote after a few hits and an admin PUT.  It is
# loaded with mdb_load, served by this build, read, hit and listed; the
# parent adds the databases the old build did not have.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCServer;

my ($mdb_load) = grep { -x } map { "$_/mdb_load" } split /:/, $ENV{PATH} // '';
plan tests => 10, need { 'mdb_load is not installed (lmdb-utils)' => $mdb_load };

my $dump = "$FindBin::Bin/../data/db-e62163e.dump";
my $srv = VCServer->new(name => 'upgrade', conf => <<'EOF' . $VCServer::API . $VCServer::ADMIN);
VisitCountUnique on
EOF
my $db = $srv->dir . '/db';
mkdir $db;
ok t_cmp(system("$mdb_load -f '$dump' '$db' 2>&1") >> 8, 0, 'mdb_load restores the old database');

my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 15);
sub call {
    my ($method, $path) = @_;
    my $res = $http->request($method, $srv->url($path));
    return eval { $json->decode($res->{content}) } || { status => $res->{status} };
}

ok t_cmp($srv->start, 1, 'this build starts on it');
ok t_cmp(call(GET => '/api/visits/resume'), { key => 'resume', count => 1234, unique => 980 },
         'a count set by admin PUT in the old build reads the same');
ok t_cmp(call(GET => '/api/visits/blog/post-1')->{count}, 3, 'a key hit 3 times reads 3');
ok t_cmp(call(GET => '/api/visits')->{count}, 2, 'the default key reads 2');
my $d = call(POST => '/api/visits/blog/post-1');
ok t_cmp([$d->{count}, $d->{counted}], [4, JSON::PP::true], 'a hit carries on from 3 to 4');
ok t_cmp(call(GET => '/api/visits/blog/post-1?days=1')->{daily}[0]{count}, 1,
         'and starts the daily history the old build did not keep');
my $list = call(GET => '/admin/');
ok t_cmp(join(' ', map { "$_->{key}=$_->{count}" } @{ $list->{keys} || [] }),
         'blog/post-1=4 default=2 resume=1234', 'the admin list has every old key');
$srv->stop;
my $stat = qx{mdb_stat -a '$db' 2>&1};
ok t_cmp($stat, qr/Status of daily.*Status of meta.*Status of secrets.*Status of seen/s,
         'the databases the old build lacked were added');
ok t_cmp(scalar(() = $srv->error_log =~ /exit signal|VC0001|VC0003/g), 0,
         'no start-up error, no crashed child');
