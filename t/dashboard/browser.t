# The dashboard in a real headless browser: with JavaScript disabled it
# shows the same figures; the browser reports no Content-Security-Policy
# violation (so the style's hash is right and nothing else is loaded);
# and its screenshots show the light colours by default and the dark ones
# when the reader prefers a dark scheme, on a desktop and a phone-sized
# window.  Skipped when Chromium is not installed (scripts/deps installs
# it).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Compress::Zlib ();
use FindBin ();

use lib "$FindBin::Bin/../lib";
use VCBrowser;
use VCServer;

plan tests => 14, need VCBrowser::need_chromium();

my $srv = VCServer->new(name => 'dashbrowser', conf => $VCServer::API . <<'EOF');
<Location "/dashboard">
    SetHandler visitcount-dashboard
    Require ip 127.0.0.1
</Location>
EOF
ok t_cmp($srv->start, 1, 'the server starts');
for my $key (('home') x 5, ('blog/post-1') x 3, 'about') {
    $srv->request(POST => "/api/visits/$key");
}

my $browser = VCBrowser->new(dir => $srv->dir);

# Runs Chromium on $url with Chromium's logging on its standard error and
# the options of VCBrowser's run (nojs, screenshot, window_size, dump_dom,
# flags); returns (its standard output, its standard error, the run's
# directory).
sub chromium {
    my ($url, %opt) = @_;
    my $run = $browser->run($url, %opt, flags => ['--enable-logging=stderr', '--v=0',
                                                  '--hide-scrollbars', @{ $opt{flags} || [] }]);
    return ($run->{out}, $run->{err}, $run->{dir});
}

# The pixels of a PNG (8-bit RGB or RGBA, not interlaced) as a hash of
# "rrggbb" => how many, or a string saying why it cannot be read.
sub colours {
    my $png = VCServer::slurp(shift);
    return 'no PNG' unless substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n";
    my ($pos, $idat, $w, $h, $bpp) = (8, '');
    while ($pos < length $png) {
        my ($len, $type) = unpack 'Na4', substr($png, $pos, 8);
        my $data = substr($png, $pos + 8, $len);
        if ($type eq 'IHDR') {
            my ($depth, $ctype, $interlace);
            ($w, $h, $depth, $ctype, undef, undef, $interlace) = unpack 'NNCCCCC', $data;
            return "an unexpected PNG ($depth bits, type $ctype, interlace $interlace)"
                unless $depth == 8 && ($ctype == 2 || $ctype == 6) && !$interlace;
            $bpp = $ctype == 2 ? 3 : 4;
        }
        $idat .= $data if $type eq 'IDAT';
        $pos += 12 + $len;
    }
    my $raw = Compress::Zlib::uncompress($idat) // return 'bad image data';
    my $stride = $w * $bpp;
    my ($prev, %count) = ("\0" x $stride);
    for my $y (0 .. $h - 1) {
        my $filter = ord substr($raw, $y * ($stride + 1), 1);
        my @cur = unpack 'C*', substr($raw, $y * ($stride + 1) + 1, $stride);
        my @up = unpack 'C*', $prev;
        for my $i (0 .. $#cur) {
            my $a = $i >= $bpp ? $cur[$i - $bpp] : 0;
            my $b = $up[$i];
            my $c = $i >= $bpp ? $up[$i - $bpp] : 0;
            my $p = $a + $b - $c;
            my ($pa, $pb, $pc) = (abs($p - $a), abs($p - $b), abs($p - $c));
            my $pred = $filter == 1 ? $a : $filter == 2 ? $b
                     : $filter == 3 ? int(($a + $b) / 2)
                     : $filter == 4 ? ($pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $c)
                     : 0;
            $cur[$i] = ($cur[$i] + $pred) & 0xff;
        }
        $prev = pack 'C*', @cur;
        for (my $i = 0; $i < @cur; $i += $bpp) {
            $count{sprintf '%02x%02x%02x', @cur[$i .. $i + 2]}++;
        }
    }
    return \%count;
}

my $url = $srv->url('/dashboard?days=30');

# ---- JavaScript off: the same page -------------------------------------------------------
my ($dom, $err) = chromium($url, nojs => 1, dump_dom => 1);
ok t_cmp($dom, qr{<td class="key"><a href="\?key=home">home</a></td><td>5</td>},
         'JavaScript off: the ranking is there');
ok t_cmp($dom, qr{<dd id="total-visits">9</dd>}, '... and the totals');
ok t_cmp($dom, qr{<svg class="vc-chart"}, '... and the chart');
ok t_cmp($err =~ /Content.Security.Policy/i ? 'a violation' : 'none', 'none',
         'no Content-Security-Policy violation reported');

# ---- colours: the style applies, and follows the reader's scheme ------------------------
for my $case ([desktop => '1200,900'], [phone => '390,844']) {
    my ($name, $size) = @$case;
    my (undef, $lerr, $ldir) = chromium($url, screenshot => 1, window_size => $size);
    my $light = colours("$ldir/screenshot.png");
    my (undef, $derr, $ddir) = chromium($url, screenshot => 1, window_size => $size,
                                        flags => ['--force-dark-mode',
                                                  '--blink-settings=preferredColorScheme=0']);
    my $dark = colours("$ddir/screenshot.png");
    $light = {} unless ref $light;
    $dark = {} unless ref $dark;
    my $lpx = ($light->{ffffff} // 0) / (1 + eval { my $n = 0; $n += $_ for values %$light; $n });
    my $dpx = ($dark->{'0d1117'} // 0) / (1 + eval { my $n = 0; $n += $_ for values %$dark; $n });
    ok t_cmp($lpx > 0.5 ? 'mostly white' : "white: $lpx", 'mostly white', "$name, light: a white page");
    ok t_cmp(($light->{'1f6feb'} // 0) > 50 ? 'blue' : 'no blue', 'blue', "$name, light: the visits drawn in blue");
    ok t_cmp($dpx > 0.5 ? 'mostly dark' : "dark: $dpx", 'mostly dark',
             "$name, dark preference: the dark background (the style applied under the CSP)");
    ok t_cmp(($dark->{'58a6ff'} // 0) > 50 ? 'light blue' : 'no light blue', 'light blue',
             "$name, dark preference: the visits in the dark scheme's blue");
}
ok t_cmp($srv->error_log =~ /\[(?:error|crit|alert|emerg)\]/ ? 'errors' : 'none', 'none',
         'nothing logged as an error');
