# What the dashboard refuses, and how: methods other than GET and HEAD
# (405 with Allow), bad ?days= and ?key= values and unknown parameters
# (400, an HTML page that names the value, escaped), a key never counted
# (404), a path below the mount (404), Require (403 where it denies), and
# a store that does not answer (503 with Retry-After, as an HTML page).
# Each refusal changes nothing in the store.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use HTTP::Tiny ();
use XML::LibXML ();

use lib "$FindBin::Bin/../lib";
use VCServer;

plan tests => 38;

my $srv = VCServer->new(name => 'dashrefuse', conf => $VCServer::API . $VCServer::ADMIN . <<'EOF');
<Location "/dashboard">
    SetHandler visitcount-dashboard
    Require ip 127.0.0.1
</Location>
<Location "/dashboard-locked">
    SetHandler visitcount-dashboard
    Require expr "%{HTTP:X-Api-Key} == 'dash-secret'"
</Location>
<Location "/dashboard-elsewhere">
    SetHandler visitcount-dashboard
    Require ip 192.0.2.1
</Location>
EOF
ok t_cmp($srv->start, 1, 'the server starts');
my $http = HTTP::Tiny->new(timeout => 30);

sub call {
    my ($method, $path, %headers) = @_;
    return $http->request($method, $srv->url($path), { headers => \%headers });
}
sub well_formed {
    my $res = shift;
    return eval { XML::LibXML->load_xml(string => $res->{content}, no_network => 1); 1 }
        ? 'well-formed' : "not well-formed: $@";
}
sub counts { my $r = call(GET => "/admin/$_[0]"); $r->{status} == 200 ? $r->{content} : $r->{status} }

call(POST => '/api/visits/page-a') for 1 .. 2;
my $before = counts('page-a');

# ---- methods ---------------------------------------------------------------------
for my $method (qw(POST PUT DELETE PATCH OPTIONS)) {
    my $res = call($method => '/dashboard');
    ok t_cmp([$res->{status}, $res->{headers}{allow}], [405, 'GET, HEAD'],
             "$method: 405 with Allow: GET, HEAD");
}
ok t_cmp(counts('page-a'), $before, 'nothing changed');

# ---- bad parameters ----------------------------------------------------------------
my %bad = (
    'days=0' => qr/days must be 30, 90 or 365, not &quot;0&quot;/,
    'days=31' => qr/not &quot;31&quot;/,
    'days=abc' => qr/not &quot;abc&quot;/,
    'days=' => qr/not &quot;&quot;/,
    'days=030' => qr/not &quot;030&quot;/,
    'days=30&days=90' => qr/days is given twice/,
    'key=a&key=b' => qr/key is given twice/,
    'top=5' => qr/Unknown query parameter &quot;top&quot;/,
    'key=' => qr/&quot;&quot; is not a key/,
    'key=a//b' => qr/is not a key/,
    'key=../etc' => qr/is not a key/,
    'days=%zz' => qr/malformed/,
);
for my $q (sort keys %bad) {
    my $res = call(GET => "/dashboard?$q");
    ok t_cmp([$res->{status}, $res->{headers}{'content-type'}, $res->{content}],
             [400, 'text/html; charset=utf-8', $bad{$q}], "?$q: 400, an HTML page saying why");
}
my $res = call(GET => '/dashboard?key=%3C%26%22%3E%3Cscript%3E');
ok t_cmp($res->{status}, 400, 'a key of <&"><script>: 400');
ok t_cmp($res->{content}, qr/&quot;&lt;&amp;&quot;&gt;&lt;script&gt;&quot; is not a key/,
         '... naming it escaped');
ok t_cmp(index($res->{content}, '<&">') >= 0 || $res->{content} =~ /<script/i ? 'raw' : 'escaped',
         'escaped', '... and nowhere raw');
ok t_cmp(well_formed($res), 'well-formed', '... on a well-formed page');
ok t_cmp([ @{ $res->{headers} }{qw(cache-control content-security-policy)} ],
         ['no-store', qr/^default-src 'none';.*script-src 'none'/], '... never cached, under the same policy');

$res = call(GET => '/dashboard?key=never-counted');
ok t_cmp([$res->{status}, $res->{content}], [404, qr/No visits were ever counted for never-counted/],
         'a key never counted: 404');
ok t_cmp(well_formed($res), 'well-formed', '... on a well-formed page');
$res = call(GET => '/dashboard/page-a');
ok t_cmp([$res->{status}, $res->{content}], [404, qr{<a href="/dashboard">The dashboard</a>}],
         'a path below the mount: 404, with a link to the mount');
$res = call(GET => '/dashboard/?days=90');
ok t_cmp($res->{status}, 200, 'the mount with a slash: the dashboard');

# ---- Require -----------------------------------------------------------------------
ok t_cmp(call(GET => '/dashboard-locked')->{status}, 403, 'Require expr, without the key: 403');
ok t_cmp(call(GET => '/dashboard-locked', 'X-Api-Key' => 'wrong')->{status}, 403, '... with a wrong key: 403');
ok t_cmp(call(GET => '/dashboard-locked', 'X-Api-Key' => 'dash-secret')->{status}, 200, '... with the key: 200');
ok t_cmp(call(GET => '/dashboard-elsewhere')->{status}, 403, 'Require ip of another host: 403');
ok t_cmp(call(GET => '/dashboard-elsewhere?key=page-a')->{status}, 403, '... for a key page too');
ok t_cmp(counts('page-a'), $before, 'nothing changed');

# ---- a store that does not answer -------------------------------------------------
$srv->stop;
my $down = VCServer->new(name => 'dashdown', store => 'redis+unix://' . $srv->dir . '/no-redis.sock',
                         conf => <<'EOF');
VisitCountRedisConnectTimeout 200
<Location "/dashboard">
    SetHandler visitcount-dashboard
</Location>
EOF
ok t_cmp($down->start, 1, 'a server whose Redis is not there starts');
for my $q ('', '?key=page-a&days=365') {
    $res = $http->get($down->url("/dashboard$q"));
    ok t_cmp([$res->{status}, $res->{headers}{'retry-after'}, $res->{headers}{'content-type'}],
             [503, 30, 'text/html; charset=utf-8'], "/dashboard$q: 503, Retry-After, HTML");
}
ok t_cmp($res->{content}, qr/The counter store did not answer/, '... saying why');
