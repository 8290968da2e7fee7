# Privacy: after visits through every counting path (API hits, repeat
# visits, page views, robots), a full dump of the LMDB environment, every
# database, in both mdb_dump formats, and the raw data file contain neither
# the client addresses, nor the User-Agent strings, nor the front end's
# visitor tokens, in any form: text, hex-encoded text, or the binary IPv4
# address.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestUtil;
use VCTest qw(raw_request json_of);

my ($mdb_dump) = grep { -x } map { "$_/mdb_dump" } split /:/, $ENV{PATH} // '';

plan tests => 9, need { 'mdb_dump is not installed (lmdb-utils)' => $mdb_dump };

my $db = Apache::Test::vars('serverroot') . '/var/db';
my @uas = (
    'Mozilla/5.0 (X11; Linux x86_64) PrivacyProbeAlpha/7.31 Firefox/133.0',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) PrivacyProbeBeta/2.9 Safari/604.1',
);
my @ips = ('127.0.0.5', '127.0.0.77');
my @tokens = ('PrivTokenAlpha0123456789', 'PrivTokenBeta9876543210');

my $counted = 0;
for my $ip (@ips) {
    for my $ua (@uas) {
        for my $path ('/visitors-30m/privacy-a', '/visitors-nodedupe/privacy-b',
                      '/visitors/privacy-c') {
            my $d = json_of(raw_request(POST => $path, from => $ip,
                                        headers => [ 'User-Agent' => $ua ]));
            $counted++ if $d && $d->{counted};
        }
        for my $token (@tokens) {
            my $d = json_of(raw_request(POST => '/visitors-30m/privacy-t', from => $ip,
                                        headers => [ 'User-Agent' => $ua ],
                                        content => qq({"visitor":"$token"})));
            $counted++ if $d && $d->{counted};
        }
        raw_request(GET => '/pages/hello.html', from => $ip,
                    headers => [ 'User-Agent' => $ua ]);
    }
}
ok t_cmp($counted, 20, 'every visitor counted once per location');

my $printable = qx{$mdb_dump -a -p "$db" 2>&1};
ok t_cmp($? >> 8, 0, 'mdb_dump -a -p reads the environment');
my $hex = qx{$mdb_dump -a "$db" 2>&1};
ok t_cmp($hex, qr/^database=seen$/m, 'the dump includes the seen-set');
ok t_cmp($hex, qr/^database=secrets$/m, 'and the secrets');

my $raw = do { local $/; open my $fh, '<:raw', "$db/data.mdb" or die "$db: $!"; <$fh> };
my $dump = lc($printable . $hex);

# Every form a value could take: the text, its bytes as hex, and for
# addresses the four binary bytes (as hex, as mdb_dump writes values).
my @forms;
for my $s (@uas, @ips, @tokens, 'PrivacyProbeAlpha', 'PrivacyProbeBeta', 'PrivToken') {
    push @forms, [ $s, lc $s ], [ "hex($s)", unpack('H*', $s) ];
}
for my $ip (@ips) {
    push @forms, [ "binary $ip", unpack('H*', pack('C4', split /\./, $ip)) ];
}
my @found_dump = map { $_->[0] } grep { index($dump, $_->[1]) >= 0 } @forms;
ok t_cmp("@found_dump", '', 'no address, User-Agent or token in the dump, in any form');
my @found_raw = grep { index($raw, $_) >= 0 } @uas, @ips, 'PrivacyProbe', 'PrivToken';
ok t_cmp("@found_raw", '', 'none in the raw data.mdb either');

# The control: the dump does hold what it should, so the search can find.
ok t_cmp(index($dump, unpack("H*", "privacy-a")) >= 0 ? 1 : 0, 1,
         'control: the key "privacy-a" is in the dump (as hex)');
ok t_cmp(index($raw, 'visitors') >= 0 || index($raw, 'privacy') >= 0 ? 1 : 0, 1,
         'control: keys are visible in the raw file');

# Nor does the module log them.
my $log = do { local $/; open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log'; <$fh> } // '';
ok t_cmp(scalar(grep { /PrivacyProbe|PrivToken|127\.0\.0\.77/ } split /\n/, $log), 0,
         'the error log never names these visitors');
