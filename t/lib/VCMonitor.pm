package VCMonitor;
# Helpers of the monitoring tests (t/api/status.t, metrics.t, note.t):
# mod_status's ?auto lines and Prometheus samples parsed into hashes,
# promtool's verdict on a scrape, and the outcome lines of a note log.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();

our @EXPORT_OK = qw(parse_auto parse_prom promtool_check note_lines
                    @AUTO_NAMES);

# Every VisitCount line ?auto has while the store answers.
our @AUTO_NAMES = qw(VisitCountHits VisitCountNotCountedDuplicate
    VisitCountNotCountedBot VisitCountNotCountedPrefetch
    VisitCountNotCountedIgnored VisitCountNotCountedError
    VisitCountNotCountedRatelimited
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

1;
