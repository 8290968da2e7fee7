package VCMonitor;
# Helpers of the monitoring tests (t/api/status.t, metrics.t, note.t):
# mod_status's ?auto lines and Prometheus samples parsed into hashes,
# promtool's verdict on a scrape, the outcome lines of a note log, and
# hits sent over connections held open at once, so that each is served
# by a different process of a server with one worker per process.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();
use IO::Socket::INET ();

our @EXPORT_OK = qw(parse_auto parse_prom promtool_check note_lines
                    held_hits @AUTO_NAMES);

# Every VisitCount line ?auto has while the store answers.
our @AUTO_NAMES = qw(VisitCountHits VisitCountNotCountedDuplicate
    VisitCountNotCountedBot VisitCountNotCountedPrefetch
    VisitCountNotCountedIgnored VisitCountNotCountedError
    VisitCountStoreErrors VisitCountStoreErrorsUnavailable
    VisitCountStoreErrorsFull VisitCountStoreErrorsOther
    VisitCountStoreUp VisitCountKeys VisitCountStoreUsedBytes
    VisitCountStoreSizeBytes);

# { name => value } of the "VisitCount...: N" lines of a ?auto body; a
# line that names a VisitCount figure without a plain number is kept as
# "bad: LINE", so a test sees it.
sub parse_auto {
    my $body = shift // '';
    my %f;
    for my $line (split /\n/, $body) {
        next unless $line =~ /^VisitCount/;
        if ($line =~ /^(VisitCount\w+): (\d+)$/) {
            $f{$1} = $2;
        }
        else {
            $f{"bad: $line"} = 1;
        }
    }
    return \%f;
}

# { 'name{label="value"}' => value } of a Prometheus text body's samples.
sub parse_prom {
    my $body = shift // '';
    my %s;
    for my $line (split /\n/, $body) {
        next if $line =~ /^#/ || $line eq '';
        $s{$1} = $2 if $line =~ /^(\S+(?:\{.*\})?) (\S+)$/;
    }
    return \%s;
}

# (exit status, output) of `promtool check metrics` on a body; status
# -1 when promtool cannot be run.
sub promtool_check {
    my $body = shift;
    my $fh = File::Temp->new;
    print $fh $body;
    close $fh;
    my $out = qx{promtool check metrics < '$fh' 2>&1};
    return (-1, "cannot run promtool: $!") if $? == -1;
    return ($? >> 8, $out);
}

# The lines of a note log (tag, outcome) whose tag is $tag.
sub note_lines {
    my ($file, $tag) = @_;
    open my $fh, '<', $file or return ();
    return map { /^\Q$tag\E (\S+)$/ ? $1 : () } <$fh>;
}

# POSTs to each of @paths at once on 127.0.0.1:$port: every connection is
# opened and sends its headers before any sends its (empty JSON) body, so
# each waits in the handler holding its worker.  Returns the status codes.
sub held_hits {
    my ($port, @paths) = @_;
    my @socks;
    for my $path (@paths) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Timeout => 30)
            or die "cannot connect to 127.0.0.1:$port: $!";
        $s->autoflush(1);
        print $s "POST $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
               . "Content-Length: 2\r\nConnection: close\r\n\r\n";
        push @socks, $s;
    }
    # Give every server process time to take its connection before any
    # finishes (a process with a free worker would otherwise take two).
    select undef, undef, undef, 0.5;
    my @codes;
    for my $s (@socks) {
        print $s '{}';
        my $reply = do { local $/; <$s> } // '';
        push @codes, $reply =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
        close $s;
    }
    return @codes;
}

1;
