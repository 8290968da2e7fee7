# Keys are taken below the <Location> that maps the handler, in the virtual
# host that serves the request: a vhost's own mounts apply only to it, the
# main server's apply to every vhost, and the longest matching mount wins.
# Runs a private server with name-based virtual hosts on 127.0.0.1.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use IO::Socket::INET ();
use JSON::PP ();

use lib "$FindBin::Bin/../lib";
use VCServer;

plan tests => 16;

my $srv = VCServer->new(name => 'vhost', conf => <<'CONF');
<Location "/api/visits">
    SetHandler visitcount
</Location>
<VirtualHost *>
    ServerName main.test
    # No mount: the key is the whole path.  Were blog.test's /api mount
    # applied here, the key would wrongly be other/q.
    <LocationMatch "^/api/other/">
        SetHandler visitcount
    </LocationMatch>
</VirtualHost>
<VirtualHost *>
    ServerName blog.test
    <Location "/blog/api">
        SetHandler visitcount
        VisitCountDefaultKey blog-home
    </Location>
    <Location "/api">
        SetHandler visitcount
    </Location>
</VirtualHost>
CONF
ok t_cmp($srv->start ? 1 : 0, 1, 'server with virtual hosts starts');

# POSTs to path on the named vhost (HTTP::Tiny will not send another Host
# than the URL's, so this speaks HTTP itself): (status, key or '').
sub hit {
    my ($host, $path) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $srv->port, Timeout => 30)
        or return (0, "connect: $!");
    print $sock "POST $path HTTP/1.1\r\nHost: $host\r\n"
              . "Content-Length: 0\r\nConnection: close\r\n\r\n";
    my $reply = do { local $/; <$sock> } // '';
    my ($status) = $reply =~ m{^HTTP/1\.1 (\d+)};
    my ($body) = $reply =~ /\r\n\r\n(.*)\z/s;
    my $key = '';
    if ($reply =~ m{^Content-Type: application/json}mi) {
        my $json = eval { JSON::PP->new->decode($body) } || {};
        $key = $json->{key} // '';
    }
    return ($status // 0, $key);
}

my @cases = (
    # host, path, status, key, name
    ['blog.test', '/blog/api/post-1', 200, 'post-1',    "a vhost's own mount"],
    ['blog.test', '/blog/api',        200, 'blog-home', "a vhost's default key"],
    ['blog.test', '/api/visits/x',    200, 'x',
     'the main server mount beats the shorter vhost mount /api'],
    ['blog.test', '/api/other/y',     200, 'other/y',   'the vhost mount /api'],
    ['main.test', '/api/visits/z',    200, 'z',
     'the main server mount in another vhost'],
    ['main.test', '/api/other/q',     200, 'api/other/q',
     "another vhost's mount does not apply (a LocationMatch keys the whole path)"],
    ['main.test', '/blog/api/post-1', 404, '',
     "another vhost's mount does not apply"],
);
for my $c (@cases) {
    my ($host, $path, $status, $key, $name) = @$c;
    my ($got_status, $got_key) = hit($host, $path);
    ok t_cmp($got_status, $status, "$name: status");
    ok t_cmp($got_key, $key, "$name: key");
}

$srv->stop;
ok t_cmp($srv->error_log =~ /exit signal|Segmentation fault/ ? 1 : 0, 0,
         'no child crashed');
