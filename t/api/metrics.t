# SetHandler visitcount-metrics: Prometheus text format 0.0.4 that
# promtool accepts (lint included), with the counters of ?auto, the
# store's gauges and the VisitCountMetricsTopKeys keys with the highest
# counts (ties by key), each key a label value as stored; GET and HEAD
# only; guarded by Require like any location.  A private server whose
# Redis is unreachable still serves the counters, with visitcount_store_up
# 0 and no store gauges, and counts the failed hit as a store error.
use strict;
use warnings FATAL => 'all';

use FindBin ();
use lib "$FindBin::Bin/../lib";

use Apache::Test;
use Apache::TestRequest qw(GET HEAD);
use Apache::TestUtil;
use VCMonitor qw(parse_auto parse_prom promtool_check);
use VCServer;
use VCTest qw(request raw_request json_of admin_put);

plan tests => 52;

my $type = 'text/plain; version=0.0.4; charset=utf-8';
# Every kind of byte a key allows.  The test keys start with '-', first in
# byte order, and hold the largest count, so they lead the top keys even
# when other tests have left keys at that count too.
my $special = '-metrics/a~b.c-d_e';
my $max = '18446744073709551615';

# Every stored key with its count and unique, through the admin API.
sub all_entries {
    my (@all, $after);
    for (;;) {
        my $q = 'limit=1000' . (defined $after ? "&after=$after" : '');
        my $page = json_of(request(GET => "/admin/?$q")) or return ();
        push @all, @{ $page->{keys} };
        return @all unless defined $page->{next};
        $after = $page->{next};
    }
}

# The key labels of a scrape's visitcount_key_hits samples, in order, as
# "key=count/unique".
sub top_of {
    my $body = shift;
    my %unique = $body =~ /^visitcount_key_unique_visitors\{key="([^"]*)"\} (\d+)$/mg;
    my @hits = $body =~ /^visitcount_key_hits\{key="([^"]*)"\} (\d+)$/mg;
    my @top;
    while (my ($k, $c) = splice @hits, 0, 2) {
        push @top, "$k=$c/" . ($unique{$k} // 'none');
    }
    return join ' ', @top;
}

sub expected_top {
    my $n = shift;
    my @sorted = sort { $b->{count} <=> $a->{count} || $a->{key} cmp $b->{key} }
                 all_entries();
    return join ' ', map { "$_->{key}=$_->{count}/$_->{unique}" }
                     @sorted[0 .. ($n < @sorted ? $n : @sorted) - 1];
}

# ---- the suite's server ---------------------------------------------------
admin_put($special, $max, 5);
admin_put('-metrics/tie-b', $max, 1);
admin_put('-metrics/tie-a', $max, 2);
admin_put(sprintf('metrics/low-%02d', $_), $_, 0) for 1 .. 12;   # more than 10

my $res = GET('/metrics');
ok t_cmp($res->code, 200, 'GET /metrics: 200');
ok t_cmp($res->header('Content-Type'), $type, "Content-Type: $type");
ok t_cmp($res->header('Cache-Control'), 'no-store', 'never cached');
my ($rc, $out) = promtool_check($res->content);
ok t_cmp($rc, 0, 'promtool check metrics accepts it');
ok t_cmp($out, '', 'with nothing to say, lint included');

my $body = $res->content;
for my $name (qw(visitcount_hits_total visitcount_not_counted_total
                 visitcount_store_errors_total visitcount_store_up
                 visitcount_keys visitcount_store_used_bytes
                 visitcount_key_hits visitcount_key_unique_visitors)) {
    ok t_cmp($body, qr/^# TYPE $name (counter|gauge)\n/m, "$name has HELP and TYPE");
}
my $s = parse_prom($body);
ok t_cmp(join(' ', map { $s->{qq(visitcount_not_counted_total{reason="$_"})} // 'missing' }
              qw(duplicate bot prefetch ignored error ratelimited)),
         qr/^\d+ \d+ \d+ \d+ \d+ \d+$/, 'a not-counted counter per reason');
ok t_cmp(join(' ', map { $s->{qq(visitcount_store_errors_total{class="$_"})} // 'missing' }
              qw(unavailable full other)),
         qr/^\d+ \d+ \d+$/, 'a store error counter per class');
ok t_cmp($s->{visitcount_store_up}, 1, 'visitcount_store_up 1');
my @all = all_entries();
ok t_cmp($s->{visitcount_keys}, scalar @all, 'visitcount_keys: every key listed');

ok t_cmp(scalar(() = $body =~ /^visitcount_key_hits\{/mg), 10,
         'VisitCountMetricsTopKeys unset: 10 keys of ' . scalar(all_entries()));
ok t_cmp(top_of($body), expected_top(10), 'the top 10 keys by count, ties by key');
ok t_cmp(top_of($body), qr/^\Q$special=$max\/5 -metrics\/tie-a=$max\/2 -metrics\/tie-b=$max\/1 \E/,
         'the highest first, ties by key, the key as stored');
my $top2 = GET('/metrics-top2')->content;
ok t_cmp(top_of($top2), "$special=$max/5 -metrics/tie-a=$max/2",
         'VisitCountMetricsTopKeys 2: two keys');
ok t_cmp(scalar(() = $top2 =~ /^visitcount_key_/mg), 4, 'two samples of each key metric');
my $none = GET('/metrics-nokeys')->content;
ok t_cmp(scalar(() = $none =~ /visitcount_key_/g), 0, 'VisitCountMetricsTopKeys 0: no key labels');
ok t_cmp($none, qr/^visitcount_keys \d+$/m, 'but the store gauges');

# Counters move with hits, and agree with ?auto.
raw_request(POST => '/api/visits/metrics/hit');
raw_request(POST => '/api/visits/metrics/hit', headers => [Cookie => 'visitcount_ignore=1']);
my $s2 = parse_prom(GET('/metrics')->content);
ok t_cmp($s2->{visitcount_hits_total} - $s->{visitcount_hits_total}, 1, 'a hit: +1');
my $ign = 'visitcount_not_counted_total{reason="ignored"}';
ok t_cmp($s2->{$ign} - $s->{$ign}, 1, 'an ignored hit: +1 ignored');
my $auto = parse_auto(GET('/server-status?auto')->content);
ok t_cmp($auto->{VisitCountHits}, $s2->{visitcount_hits_total},
         'the same figure as VisitCountHits');

# HEAD, other methods.
my $head = HEAD('/metrics');
ok t_cmp($head->code, 200, 'HEAD: 200');
ok t_cmp($head->header('Content-Type'), $type, 'HEAD: the same type');
ok t_cmp($head->content, '', 'HEAD: no body');
for my $method (qw(POST PUT DELETE OPTIONS)) {
    my $r = request($method => '/metrics', content => '');
    ok t_cmp($r->code . ' ' . ($r->header('Allow') // ''), '405 GET, HEAD',
             "$method: 405 with Allow: GET, HEAD");
}

# Require guards it like any location.
ok t_cmp(GET('/metrics-locked')->code, 403, 'without the key: 403');
my $locked = GET('/metrics-locked', 'X-Api-Key' => 'metrics-secret');
ok t_cmp($locked->code, 200, 'with the key: 200');
ok t_cmp(raw_request(GET => '/metrics', from => '127.0.0.5')->code, 403,
         'from an address Require ip does not name: 403');

# ---- a private server whose Redis is unreachable ---------------------------
my $monitor = <<'EOF';
<Location "/server-status">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
<Location "/metrics">
    SetHandler visitcount-metrics
    Require ip 127.0.0.1
</Location>
LogFormat "%{visitcount}n" note_only
CustomLog logs/note_log note_only
EOF
my $dir = Apache::Test::vars('serverroot') . '/var/metrics-down';
my $srv = VCServer->new(name => 'metrics-down', modules => ['status'],
                        store => "redis+unix://$dir/no-such.sock",
                        conf => $VCServer::API . $monitor);
ok t_cmp($srv->start, 1, 'a server whose Redis is down starts');
ok t_cmp($srv->request(POST => '/api/visits/down')->{status}, 503,
         'a hit there answers 503');
my $down = $srv->request(GET => '/metrics');
ok t_cmp($down->{status}, 200, 'the metrics still answer 200');
my $d = parse_prom($down->{content});
ok t_cmp($d->{visitcount_store_up}, 0, 'visitcount_store_up 0');
ok t_cmp(join(' ', grep { exists $d->{$_} } qw(visitcount_keys visitcount_store_used_bytes)),
         '', 'no store gauges');
ok t_cmp($d->{'visitcount_not_counted_total{reason="error"}'}, 1,
         'the failed hit: not counted, reason error');
ok t_cmp($d->{'visitcount_store_errors_total{class="unavailable"}'}, 1,
         'and a store error, unavailable');
($rc, $out) = promtool_check($down->{content});
ok t_cmp("$rc $out", '0 ', 'promtool accepts it');
my $da = parse_auto($srv->request(GET => '/server-status?auto')->{content});
ok t_cmp(join(' ', map { "$_=" . ($da->{$_} // 'none') }
              qw(VisitCountStoreUp VisitCountKeys VisitCountNotCountedError
                 VisitCountStoreErrorsUnavailable)),
         'VisitCountStoreUp=0 VisitCountKeys=none VisitCountNotCountedError=1 '
         . 'VisitCountStoreErrorsUnavailable=1', '?auto: the same, no Keys line');
ok t_cmp($srv->request(GET => '/server-status')->{content},
         qr{Keys and store size</th><td[^>]*>unavailable}, 'HTML: unavailable');
ok t_cmp(join(' ', grep { $_ ne '-' } split /\n/, VCServer::slurp("$dir/logs/note_log")),
         'error', "the hit's note says error; no other request has one");
$srv->stop;

# ---- VisitCountMetricsTopKeys refuses what it cannot take ------------------
for my $bad ('1001', 'ten', '-1') {
    my $cfg = VCServer->new(name => 'metrics-conf', store => 'lmdb',
                            conf => "<Location \"/metrics\">\n    SetHandler visitcount-metrics\n"
                                  . "    VisitCountMetricsTopKeys $bad\n</Location>\n");
    my ($status, $output) = $cfg->config_test;
    ok t_cmp("$status $output", qr/^[1-9]\d* .*VisitCountMetricsTopKeys: '\Q$bad\E' is not a number of keys from 0 to 1000/s,
             "VisitCountMetricsTopKeys $bad: httpd -t fails, saying why");
}
my $cfg = VCServer->new(name => 'metrics-conf', store => 'lmdb',
                        conf => "VisitCountMetricsTopKeys 1000\n");
ok t_cmp(($cfg->config_test)[0], 0, 'VisitCountMetricsTopKeys 1000 (server config): accepted');
