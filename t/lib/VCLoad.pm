package VCLoad;
# Load for the exactness, chaos and restart tests: forked client processes
# that POST hits over raw keep-alive HTTP/1.1 connections and record every
# outcome, so a test can check what was acknowledged against what was
# stored.  An outcome is one of
#   c N    a 200 reply that counted, N being the count it acknowledged
#   f WHY  any other reply, or a reply cut short
#   u WHY  the connection ended before any reply: the hit may or may not
#          have been applied, and it is never sent again blindly
# and each request's latency is recorded, so a hang shows.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Apache::Test ();
use Apache::TestUtil ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(post connect_to run_clients distinct resolve_unknown
                    check_invariant);

# One raw HTTP/1.1 response from $sock, reading at most until $deadline.
# Returns (status, headers hashref, body) or (undef, why).
sub read_response {
    my ($sock, $buf, $deadline) = @_;
    my $sel = IO::Select->new($sock);
    my $fill = sub {
        my $wait = $deadline - time;
        return 'timed out' if $wait <= 0 || !$sel->can_read($wait);
        my $had = length $$buf;
        my $n = sysread $sock, $$buf, 65536, $had;
        return '' if $n;
        my $why = defined $n ? 'connection closed' : "read: $!";
        return $had ? "$why in a reply" : "$why before any reply";
    };
    my $end;
    until (($end = index $$buf, "\r\n\r\n") >= 0) {
        my $why = $fill->();
        return (undef, $why) if $why;
    }
    my ($head) = substr $$buf, 0, $end + 4, '';
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = $status_line =~ m{^HTTP/1\.\d (\d{3}) }
        or return (undef, "bad status line: $status_line");
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } @lines;
    my $len = $h{'content-length'} // 0;
    while (length $$buf < $len) {
        my $why = $fill->();
        return (undef, $why) if $why;
    }
    return ($status, \%h, substr $$buf, 0, $len, '');
}

sub connect_to {
    my $port = shift;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Timeout => 5);
}

# Where a request that got no answer in time waits, for the failure's
# text: "held by pid N" when a process holds the server's end of the
# connection (a request stuck in httpd), or "held by no process" when none
# does (it waits in the listen queue for a child to accept it), then what
# ss(8) says of that end and of the listening socket's queue.
sub where_stuck {
    my ($sock, $port) = @_;
    my $mine = eval { $sock->sockport } or return '';
    my $conn = `ss -tanpi 'sport = :$port and dport = :$mine' 2>&1`;
    my $listen = `ss -ltn 'sport = :$port' 2>&1`;
    my $held = $conn =~ /pid=(\d+)/ ? "held by pid $1" : 'held by no process';
    (my $ss = "$conn $listen") =~ s/\s+/ /g;
    my $pid = $conn =~ /pid=(\d+)/ ? $1 : undef;
    my $bt = $pid && $ENV{VC_STUCK_DIR} ? "$ENV{VC_STUCK_DIR}/stuck-$pid.bt" : undef;
    # Each thread's stack in the process that holds it, once per process.
    if ($bt && !-e $bt && !system('command -v gdb >/dev/null')) {
        system("gdb -p $pid -batch -ex 'thread apply all bt' >'$bt' 2>&1");
    }
    writer_lock($ENV{VC_STUCK_DIR}) if $bt;
    return " ($held" . ($bt && -e $bt ? ", its threads' stacks in $bt" : '') . "; $ss)";
}

# Who holds LMDB's writer lock, once per run, in DIR/writer-lock.txt:
# the robust pthread mutex at offset 64 of DIR/db/lock.mdb (its lock word:
# the owner's thread id, FUTEX_OWNER_DIED and FUTEX_WAITERS; then the
# mutex's own owner field), read from the file, which is the memory every
# process maps; then what /proc says of that thread, and its process's
# stacks.  For the chaos test's known fault (docs/testing.md).
sub writer_lock {
    my ($dir) = @_;
    my $out = "$dir/writer-lock.txt";
    return if -e $out || !-e "$dir/db/lock.mdb";
    my $text = eval {
        open my $fh, '<:raw', "$dir/db/lock.mdb" or die "lock.mdb: $!\n";
        sysseek($fh, 64, 0) && sysread($fh, my $raw, 12) == 12
            or die "lock.mdb: too short\n";
        my ($word, undef, $owner) = unpack 'L l l', $raw;
        my $tid = $word & 0x3fffffff;
        my $line = sprintf "lock word 0x%08x: thread %d%s%s; mutex owner %d",
            $word, $tid, ($word & 0x40000000 ? ', owner died' : ''),
            ($word & 0x80000000 ? ', waiters' : ''), $owner;
        if ($tid) {
            my $status = -r "/proc/$tid/status"
                ? do { local (@ARGV, $/) = "/proc/$tid/status"; <> } : '';
            my %f = $status =~ /^(Name|State|Tgid):\s*(.*)$/mg;
            $line .= %f ? "; thread $tid: $f{Name}, state $f{State}, process $f{Tgid}"
                        : "; thread $tid does not exist";
            if ($f{Tgid} && !-e "$dir/stuck-$f{Tgid}.bt"
                && !system('command -v gdb >/dev/null')) {
                system("gdb -p $f{Tgid} -batch -ex 'thread apply all bt' "
                       . ">'$dir/stuck-$f{Tgid}.bt' 2>&1");
            }
        }
        "$line\n";
    } // "cannot read the writer lock: $@";
    open my $fh, '>', $out or return;
    print $fh $text;
}

# One POST to /api/visits/$key on the keep-alive connection $$sock, set to
# undef when it must not be reused.  Waits at most $timeout seconds for
# the reply.  Returns (kind, value) as described above.
sub post {
    my ($sock, $buf, $port, $key, $timeout, @headers) = @_;
    my $request = "POST /api/visits/$key HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
                . join('', map { "$_\r\n" } @headers) . "Content-Length: 0\r\n\r\n";
    if (!defined syswrite $$sock, $request) {
        undef $$sock;
        return (u => "write: $!");
    }
    my ($status, $h, $body) = read_response($$sock, $buf, time + $timeout);
    if (!defined $status) {
        $h .= where_stuck($$sock, $port) if $h eq 'timed out';
        undef $$sock;
        return (($h =~ /before any reply/ ? 'u' : 'f'), $h);
    }
    undef $$sock if lc($h->{connection} // '') eq 'close';
    return (c => $1) if $status == 200 && $body =~ /"count":(\d+),.*"counted":true/;
    $body =~ s/\s+$//;
    return (f => "HTTP $status: $body");
}

# A client process: POSTs to $key until $quota are done, $until passes or
# the file $stop exists (a key with "%d" is a pattern: each POST goes to a
# new key, the %d being the POST's number), writing one line per request
# to $file: the outcome, a tab, the seconds it took, a tab, the time its
# reply came (epoch seconds); "n" for each connection opened and "done" at
# the end.
sub client {
    my (%a) = @_;
    $SIG{PIPE} = 'IGNORE';
    open my $out, '>', $a{file} or POSIX::_exit(2);
    $out->autoflush(1);
    my ($sock, $buf) = (undef, '');
    my $done = 0;
    while ((!$a{quota} || $done < $a{quota}) && time < $a{until} && !-e $a{stop}) {
        if (!$sock) {
            # Nothing is in flight, so connecting again is safe.
            $sock = connect_to($a{port});
            $buf = '';
            $sock ? print $out "n\n" : sleep 0.05;
            next;
        }
        $done++;
        my $t0 = time;
        my $key = $a{key} =~ /%d/ ? sprintf($a{key}, $done) : $a{key};
        my @r = post(\$sock, \$buf, $a{port}, $key, $a{timeout}, @{ $a{headers} || [] });
        my $t1 = time;
        printf $out "%s\t%.3f\t%.3f\n", join(' ', @r), $t1 - $t0, $t1;
    }
    if ($a{quota} && $done < $a{quota}) {
        print $out "f deadline passed\t0\n" for $done + 1 .. $a{quota};
    }
    print $out "done\n";
    close $out;
    POSIX::_exit(0);
}

# Runs $args{clients} clients against 127.0.0.1:$args{port} (or, given
# ports => [...], client number c against the (c mod n)th of them), spread
# evenly over @{$args{keys}}, each with a share of $args{per_key} POSTs per
# key (or, without per_key, as many as fit in $args{seconds}).  $args{dir}
# holds their result files; $args{during}, when given, is called in the
# parent while they run, until it returns false; with stop_with_during,
# the clients then stop too, each once its request in flight is answered.
# Returns per key: counts, acked (for each of counts, in the same order,
# [the time it was sent, the time its reply came]), replies (of any
# status), failures, unknown; and connections, seconds and the slowest
# request's seconds overall.
sub run_clients {
    my %args = @_;
    my @keys = @{ $args{keys} };
    my @ports = $args{ports} ? @{ $args{ports} } : ($args{port});
    my $clients = $args{clients};
    my $start = time;
    my $until = $start + ($args{seconds} // 120);
    my $stop = "$args{dir}/stop";
    unlink $stop;
    my (%quota, %kids);
    for my $c (0 .. $clients - 1) {
        my $key = $keys[$c % @keys];
        my $share = $clients / @keys;
        my $slot = int($c / @keys);
        my $q = $args{per_key} ? int($args{per_key} / $share)
                                 + ($slot < $args{per_key} % $share ? 1 : 0) : 0;
        $quota{$c} = [ $key, $q ];
    }
    local $ENV{VC_STUCK_DIR} = $args{dir};      # for where_stuck()
    for my $c (sort { $a <=> $b } keys %quota) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            client(port => $ports[$c % @ports], key => $quota{$c}[0], quota => $quota{$c}[1],
                   until => $until, stop => $stop, timeout => $args{timeout} // 30,
                   headers => $args{headers}, file => "$args{dir}/client-$c");
        }
        $kids{$pid} = 1;
    }
    my $during = $args{during};
    while (%kids && time < $until + 15) {
        my $pid = waitpid -1, POSIX::WNOHANG();
        delete $kids{$pid} if $pid > 0;
        if ($during && !$during->()) {
            $during = undef;
            if ($args{stop_with_during}) {
                open my $fh, '>', $stop or die "$stop: $!";
            }
        }
        sleep($during ? 0.01 : 0.1) unless $pid > 0;
    }
    kill 'KILL', keys %kids;
    waitpid $_, 0 for keys %kids;

    my %r = (seconds => time - $start, connections => 0, slowest => 0,
             map { $_ => { counts => [], acked => [], replies => 0, failures => [],
                           unknown => [] } } @keys);
    for my $c (keys %quota) {
        my $k = $r{ $quota{$c}[0] };
        open my $in, '<', "$args{dir}/client-$c" or die "client $c left no results";
        my $finished = 0;
        while (<$in>) {
            chomp;
            my ($what, $took, $at) = split /\t/;
            $r{slowest} = $took if defined $took && $took > $r{slowest};
            if ($what =~ /^c (\d+)$/) {
                push @{ $k->{counts} }, $1;
                push @{ $k->{acked} }, [ $at - $took, $at ];
                $k->{replies}++;
            }
            elsif ($what =~ /^f (.*)$/) { push @{ $k->{failures} }, $1; $k->{replies}++ if $1 =~ /^HTTP/ }
            elsif ($what =~ /^u (.*)$/) { push @{ $k->{unknown} }, $1 }
            elsif ($what eq 'n') { $r{connections}++ }
            elsif ($what eq 'done') { $finished = 1 }
        }
        push @{ $k->{failures} }, "client $c did not finish" unless $finished;
    }
    return \%r;
}

sub distinct { my %seen; return scalar grep { !$seen{$_}++ } @_ }

# The invariant of a run that lost requests on the way (killed children,
# a lost Redis): acknowledged <= final <= acknowledged + failed, no count
# acknowledged twice and none above the final one.  $k is one key's
# results from run_clients, $final its count read afterwards, and each
# check's name starts with $label.
sub check_invariant {
    my ($label, $k, $final) = @_;
    my $acked = @{ $k->{counts} };
    my $failed = @{ $k->{failures} } + @{ $k->{unknown} };
    my $counted = $final =~ /^\d+$/;
    Apache::Test::ok(Apache::TestUtil::t_cmp($counted && $final >= $acked ? 1 : 0, 1,
                     "${label}acknowledged ($acked) <= final ($final)"));
    Apache::Test::ok(Apache::TestUtil::t_cmp($counted && $final <= $acked + $failed ? 1 : 0, 1,
                     "${label}final ($final) <= acknowledged + failed (" . ($acked + $failed) . ')'));
    Apache::Test::ok(Apache::TestUtil::t_cmp(distinct(@{ $k->{counts} }), $acked,
                     "${label}no count acknowledged twice"));
    Apache::Test::ok(Apache::TestUtil::t_cmp(scalar(grep { !$counted || $_ > $final } @{ $k->{counts} }), 0,
                     "${label}no acknowledged count above the final one"));
}

# POSTs to $key that the servers processed, from their access logs (a
# CustomLog with the request line and status), or undef when one has
# none.  A request is logged just after its reply: waits up to 5 s for
# $want of them.
sub logged_posts {
    my ($key, $want, @logs) = @_;
    my $until = time + 5;
    while (1) {
        my $n = 0;
        for my $log (@logs) {
            open my $fh, '<', $log or return undef;
            $n += grep { m{"POST /api/visits/\Q$key\E HTTP/1\.1" \d{3} } } <$fh>;
        }
        return $n if $n >= $want || time > $until;
        sleep 0.2;
    }
}

# Settles the unknown outcomes of $key's results $k (from run_clients)
# against servers that log to @logs.  An unknown outcome is a keep-alive
# connection httpd closed as the request went out (the event MPM closes
# idle keep-alive connections when a process's workers are all busy).
# When the access logs show that the servers processed exactly the POSTs
# that got a reply, those requests were never applied, so they are sent
# again, one at a time, to $port.  Otherwise they fail.  Returns how many
# were sent again.
sub resolve_unknown {
    my ($key, $k, $port, @logs) = @_;
    my $n = @{ $k->{unknown} } or return 0;
    my $processed = logged_posts($key, $k->{replies}, @logs);
    if (!defined $processed || $processed != $k->{replies}) {
        push @{ $k->{failures} }, map {
            "outcome unknown ($_); httpd logged " . ($processed // 'no access log')
            . " POSTs for $k->{replies} replies"
        } @{ $k->{unknown} };
        return 0;
    }
    for (1 .. $n) {
        my ($sock, $buf) = (connect_to($port), '');
        my ($what, $value) = $sock ? post(\$sock, \$buf, $port, $key, 30)
                                   : (f => "connect: $!");
        $what eq 'c' ? push @{ $k->{counts} }, $value
                     : push @{ $k->{failures} }, "sent again: $value";
    }
    return $n;
}

1;
