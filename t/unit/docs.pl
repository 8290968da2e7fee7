#!/usr/bin/perl
# Every directive the module defines is in the reference
# (docs/directives.md) and in the README's summary, once each, and
# neither names a directive the module does not have; every handler
# the module answers is in the README's table of handlers.  Run by
# `make check` with prove, from the source tree.
use strict;
use warnings;
use File::Basename qw(dirname);
use Test::More;

my $top = dirname(__FILE__) . '/../..';

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!\n";
    local $/;
    return scalar <$fh>;
}

my (@defined, %handlers);
for my $file (sort glob "$top/mod_visitcount/*.c") {
    my $c = slurp($file);
    push @defined, $c =~ /AP_INIT_[A-Z0-9]+\(\s*"(VisitCount\w+)"/g;
    # A handler answers when r->handler names it.
    $handlers{$_} = 1 for $c =~ /vc_reply_start\(r, "(visitcount[\w-]*)"/g,
                                $c =~ /strcmp\(r->handler, "(visitcount[\w-]*)"\)/g;
}

my @reference = slurp("$top/docs/directives.md") =~ /^\| `(VisitCount\w+)` \|/mg;
my $readme = slurp("$top/README");
my ($summary) = $readme =~ /^## Directives\n(.*?)^## /ms;
my @summary = ($summary // '') =~ /^\| `(VisitCount\w+)` \|/mg;
my @handler_rows = ($summary // '') =~ /^\| `SetHandler (visitcount[\w-]*)` \|/mg;

cmp_ok(scalar @defined, '>=', 20, 'the module defines its directives')
    or diag 'found: ' . join(' ', @defined);
my @want = sort @defined;
is_deeply([sort @reference], \@want,
          'docs/directives.md has a row for every directive, once, and no other');
is_deeply([sort @summary], \@want,
          "the README's summary has a row for every directive, once, and no other");

is_deeply([sort @handler_rows], [sort keys %handlers],
          "the README's table has every handler");
cmp_ok(scalar @handler_rows, '>=', 6, 'six handlers or more')
    or diag 'found: ' . join(' ', @handler_rows);

done_testing();
