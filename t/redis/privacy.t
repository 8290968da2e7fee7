# Privacy with the Redis store: after visits through every counting path
# (API hits, repeat visits, browser tokens, page views), neither a dump of
# every key Redis holds nor its append-only file contains the client
# addresses, the User-Agent strings or the visitors' tokens, in any form:
# text, hex-encoded text, or the binary IPv4 address.  What does identify
# a visitor for a day, the daily secret and the records of visitors,
# expires by itself within the 48 hours the privacy promise allows; the
# counts themselves never expire.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use File::Find ();
use File::Path qw(make_path);
use FindBin ();

use lib "$FindBin::Bin/../lib";
use VCRedis;
use VCServer;
use VCTest qw(json_of);
use HTTP::Response ();
use IO::Socket::INET ();

plan tests => 12;

my $redis = VCRedis->new(name => 'privacy');
$redis->start or die "redis-server did not start:\n" . $redis->log;
my $srv = VCServer->new(name => 'privacy', store => $redis->url, module_defaults => 1,
                        conf => <<"EOF");
<Location "/visitors">
    SetHandler visitcount
    VisitCountDedupe 30m
</Location>
<Location "/visitors-nodedupe">
    SetHandler visitcount
    VisitCountDedupe off
</Location>
<Directory "@{[ VCServer::top() ]}/t/var/privacy/htdocs/pages">
    VisitCountPage on
</Directory>
EOF
make_path($srv->dir . '/htdocs/pages');
{ open my $fh, '>', $srv->dir . '/htdocs/pages/hello.html' or die "$!"; print $fh "hello\n" }
$srv->start or die "httpd did not start:\n" . $srv->error_log;

my @uas = (
    'Mozilla/5.0 (X11; Linux x86_64) PrivacyProbeAlpha/7.31 Firefox/133.0',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) PrivacyProbeBeta/2.9 Safari/604.1',
);
my @ips = ('127.0.0.5', '127.0.0.77');
my @tokens = ('PrivTokenAlpha0123456789', 'PrivTokenBeta9876543210');

# One request from a given loopback address, over a raw socket.
sub request_from {
    my ($ip, $method, $path, $ua, $body) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $srv->port,
                                     LocalAddr => $ip, Timeout => 30)
        or die "connect from $ip: $!";
    $body //= '';
    print $sock "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: $ua\r\n"
              . "Connection: close\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
    my $reply = do { local $/; <$sock> } // '';
    my ($content) = $reply =~ /\r\n\r\n(.*)\z/s;
    my $res = HTTP::Response->new(200);
    $res->content($content // '');
    return $res;
}

my $counted = 0;
for my $ip (@ips) {
    for my $ua (@uas) {
        for my $path ('/visitors/privacy-a', '/visitors-nodedupe/privacy-b',
                      '/visitors/privacy-a') {
            my $d = json_of(request_from($ip, POST => $path, $ua));
            $counted++ if $d && $d->{counted};
        }
        for my $token (@tokens) {
            my $d = json_of(request_from($ip, POST => '/visitors/privacy-t', $ua,
                                         qq({"visitor":"$token"})));
            $counted++ if $d && $d->{counted};
        }
        request_from($ip, GET => '/pages/hello.html', $ua);
    }
}
ok t_cmp($counted, 16, 'every visitor counted once per location, repeats not');
my $page = json_of(request_from('127.0.0.1', GET => '/visitors/pages/hello.html', 'x'));
ok t_cmp($page && $page->{count}, 4, 'and the page was counted for each visitor');

# Everything Redis holds, as text, and the bytes of its append-only files.
my $dump = $redis->dump_all;
my $text = lc join "\n", map { "$_ $dump->{$_}{value}" } sort keys %$dump;
my $aof = '';
File::Find::find(sub { return unless -f; local $/; open my $fh, '<:raw', $_ or return;
                       $aof .= <$fh> }, $redis->dir . '/appendonlydir');
ok t_cmp(length $aof > 0 ? 1 : 0, 1, 'the append-only file was written');

my @forms;
for my $s (@uas, @ips, @tokens, 'PrivacyProbeAlpha', 'PrivacyProbeBeta', 'PrivToken') {
    push @forms, [ $s, lc $s ], [ "hex($s)", unpack('H*', $s) ];
}
for my $ip (@ips) {
    push @forms, [ "binary $ip", pack('C4', split /\./, $ip) ];
}
my @found = map { $_->[0] } grep { index($text, $_->[1]) >= 0 } @forms;
ok t_cmp("@found", '', 'no address, User-Agent or token in any key or value, in any form');
my @found_aof = map { $_->[0] } grep { index(lc $aof, lc $_->[1]) >= 0 } @forms;
ok t_cmp("@found_aof", '', 'none in the append-only file either');
ok t_cmp(index($text, 'privacy-a') >= 0 && index($aof, 'privacy-a') >= 0 ? 1 : 0, 1,
         'control: the key "privacy-a" is in both, so the search can find');

# What identifies a visitor for a day expires; the counts do not.
my @secrets = grep { /:secret:/ } keys %$dump;
my @seen = grep { /\}:s:\d+$/ } keys %$dump;
my @counts = grep { /\}$/ } keys %$dump;
ok t_cmp(scalar @secrets, 1, "one daily secret");
ok t_cmp(scalar @seen >= 2 ? 1 : 0, 1, 'records of visitors, per key and day (' . scalar(@seen) . ')');
my @bad_ttl = grep { $dump->{$_}{ttl} <= 0 || $dump->{$_}{ttl} > 48 * 3600 } @secrets, @seen;
ok t_cmp("@bad_ttl", '', 'each expires by itself within 48 hours');
my $day_end = (int(time / 86400) + 1) * 86400 - time;
my @late = grep { $dump->{$_}{ttl} > $day_end + 1800 + 5 } @secrets, @seen;
ok t_cmp("@late", '', 'at the latest 30 minutes (the longest visit) after the end of the day');
ok t_cmp(join(' ', map { $dump->{$_}{ttl} } @counts), join(' ', (-1) x @counts),
         'the counts never expire');

my $log = $srv->error_log;
ok t_cmp(scalar(grep { /PrivacyProbe|PrivToken|127\.0\.0\.77/ } split /\n/, $log), 0,
         'the error log never names these visitors');
$srv->stop;
$redis->stop;
