# Running the admin tool, tools/visitcount, from the tests: the binary of
# the build tree (or VC_TOOL), the options that name a test server's store
# (its LMDB directory, or the suite's Redis with the server's prefix), and
# a run that captures the exit status, standard output and standard error.
package VCTool;
use strict;
use warnings;

use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempfile);
use FindBin ();
use POSIX ();

our @EXPORT_OK = qw(tool store_args run_tool write_file);

# The tool: VC_TOOL, else tools/visitcount of the tree t/ is in.
# The tool is part of every build, so a test never skips for want of it:
# when it is missing, the test dies (and fails).
sub tool {
    my $tool = $ENV{VC_TOOL}
        || File::Spec->rel2abs(dirname(dirname(__FILE__)) . '/..') . '/tools/visitcount';
    -x $tool or die "the visitcount tool is not built (run make): $tool\n";
    return $tool;
}

# The options naming $srv's store (a VCServer), as its httpd.conf does.
sub store_args {
    my ($srv) = @_;
    return ('-d', "$srv->{db}") if $srv->store eq 'lmdb';
    return ('-s', $srv->store, '-p', $srv->prefix);
}

# Runs the tool with @args, standard input from $opts->{stdin} (text) when
# given; returns (exit status, stdout, stderr).
sub run_tool {
    my $opts = ref $_[-1] eq 'HASH' ? pop : {};
    my @args = @_;
    my ($ofh, $out) = tempfile(UNLINK => 1);
    my ($efh, $err) = tempfile(UNLINK => 1);
    my ($ifh, $in) = tempfile(UNLINK => 1);
    print $ifh $opts->{stdin} // '';
    close $ifh;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', $in or die;
        open STDOUT, '>', $out or die;
        open STDERR, '>', $err or die;
        exec tool(), @args or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $status = $? >> 8;
    local $/;
    open my $o, '<', $out or die;
    open my $e, '<', $err or die;
    return ($status, scalar <$o>, scalar <$e>);
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

1;
