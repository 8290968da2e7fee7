package VCServer;
# A private httpd running the module from the build tree, for tests that
# need their own configuration, restarts or a start that fails.  Each server
# lives in t/var/<name>/ (conf, logs, db, htdocs), listens on a free port of
# 127.0.0.1 only, and runs with -D FOREGROUND as a child of the test (in a
# session of its own), so its exit status is known when it refuses to
# start.  Servers still running when the test ends, even by die, are
# stopped by the END block.
#
# Its store is the suite's: LMDB in its own directory, or, when t/run-suite
# runs the Redis pass (VC_STORE=redis), the suite's Redis server
# (VC_REDIS_URL) under a key prefix of its own.  store => URL picks
# another (prefix => P shares P with other servers); store => 'lmdb' keeps
# LMDB in every pass.
#
# Its clock can be moved (a test build of the module, configure
# --enable-test-hooks): set_clock($seconds) writes the offset to
# dir/clock-offset and points VISITCOUNT_TEST_CLOCK_FILE at that file for
# every server the test starts afterwards; the module adds it to its
# clock when httpd starts or restarts, in each new child and at each run
# of the parent's monitor (about every 10 s).  server_now is the time on
# that clock; test_hooks says whether the module was built so.
use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use HTTP::Tiny ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my %running;    # pid => server, for the END block

# The sections most private servers need: the public API on /api/visits,
# and the admin API on /admin for this machine only.
our $API = <<'EOF';
<Location "/api/visits">
    SetHandler visitcount
</Location>
EOF
our $ADMIN = <<'EOF';
<Location "/admin">
    SetHandler visitcount-admin
    Require ip 127.0.0.1
</Location>
EOF
my $owner = $$; # forked helpers must not stop the test's servers

sub top { dirname(Apache::Test::vars('serverroot')) }

# The MPM the suite is running under, so each MPM run covers private
# servers: as Apache::Test found it, else from the base config t/run-suite
# generated for this run.
sub current_mpm {
    my $cfg = Apache::Test::config();
    return $cfg->{server}{mpm} if $cfg->{server}{mpm};
    my $base = $cfg->{vars}{httpd_conf} // '';
    return $1 if slurp($base) =~ /^\s*LoadModule\s+mpm_(\w+)_module/m;
    die "VCServer: cannot tell which MPM this run uses";
}

sub new {
    my ($class, %args) = @_;
    my $name = $args{name} or die "VCServer->new: name is required";
    my $dir = Apache::Test::vars('serverroot') . "/var/$name";
    my $self = bless {
        name => $name, dir => $dir, mpm => $args{mpm} || current_mpm(),
        db => exists $args{db} ? $args{db} : "$dir/db",
        docroot => $args{docroot} || "$dir/htdocs",
        conf => $args{conf} || '', port => free_port(),
        modules => $args{modules} || [], module_defaults => $args{module_defaults},
        mpm_conf => $args{mpm_conf},
        store => exists $args{store} ? $args{store} : suite_store(),
        prefix => $args{prefix} // "vc-$name:",
    }, $class;
    remove_tree($dir);                  # every run starts from nothing
    make_path("$dir/conf", "$dir/logs", $self->{docroot});
    $self->write_conf;
    return $self;
}

# The store of this pass of the suite: 'lmdb', or the Redis server's URL.
sub suite_store {
    return 'lmdb' unless ($ENV{VC_STORE} // '') eq 'redis';
    return $ENV{VC_REDIS_URL} || die "VC_STORE=redis needs VC_REDIS_URL (t/run-suite sets both)";
}

# 'redis' when the suite's pass runs with the Redis store, else 'lmdb'.
sub suite_store_kind { suite_store() eq 'lmdb' ? 'lmdb' : 'redis' }

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "no free port on 127.0.0.1: $!";
    return $s->sockport;
}

sub dir         { $_[0]{dir} }
sub store       { $_[0]{store} }
sub prefix      { $_[0]{prefix} }       # of its Redis key names
sub pid         { $_[0]{pid} }
sub port        { $_[0]{port} }
sub exit_status { $_[0]{exit_status} }   # of a server that stopped or failed
sub conf_file   { "$_[0]{dir}/conf/httpd.conf" }
sub url         { "http://127.0.0.1:$_[0]{port}" . ($_[1] // '/') }
sub httpd       { Apache::Test::vars('httpd') || '/usr/sbin/apache2' }
sub error_log   { slurp("$_[0]{dir}/logs/error_log") }

# The test clock (see the header).  The file is replaced whole (written
# aside, then renamed), so the module never reads half a number; until a
# process reads it again, it keeps the offset it had.  The environment
# variable is the test's, inherited by every httpd it starts from now on,
# this server's and any other's.
sub set_clock {
    my ($self, $offset) = @_;
    my $file = "$self->{dir}/clock-offset";
    open my $fh, '>', "$file.new" or die "$file.new: $!";
    print $fh "$offset\n";
    close $fh or die "$file.new: $!";
    rename "$file.new", $file or die "$file: $!";
    $self->{clock_offset} = $offset;
    $ENV{VISITCOUNT_TEST_CLOCK_FILE} = $file;
}

# True when the module was built with the test hooks (configure
# --enable-test-hooks): only then does it read the clock file, whose
# variable's name its code then holds.
sub test_hooks {
    return slurp(module_so()) =~ /VISITCOUNT_TEST_CLOCK_FILE/ ? 1 : 0;
}

# The module the tests load: the one in the build tree.
sub module_so { top() . '/mod_visitcount/.libs/mod_visitcount.so' }

# The offset last given to set_clock (0 before), and the time (with
# fractions of a second) on the clock it makes.
sub clock_offset { $_[0]{clock_offset} // 0 }
sub server_now   { time + $_[0]->clock_offset }

# Changes the caller's directives (and optionally db or store); takes
# effect on the next start or graceful restart.
sub set_conf {
    my ($self, %args) = @_;
    $self->{$_} = $args{$_} for grep { exists $args{$_} } qw(conf db store);
    $self->write_conf;
}

sub write_conf {
    my $self = shift;
    my ($dir, $mpm) = @$self{qw(dir mpm)};
    my $mods = Apache::Test::config()->apxs('LIBEXECDIR', 1)
        || '/usr/lib/apache2/modules';
    my $so = module_so();
    my $load = join '', map { "LoadModule ${_}_module $mods/mod_$_.so\n" }
        "mpm_$mpm", qw(authz_core authz_host mime dir alias), @{ $self->{modules} };
    # A Redis that fsyncs every write may stall beyond the default
    # timeouts on a busy disk; tests are not timing assertions, so they
    # wait up to 10 s unless their own directives (below) say otherwise.
    my $db = $self->{store} ne 'lmdb'
        ? qq{VisitCountStore "$self->{store}"\nVisitCountRedisPrefix "} . $self->prefix . qq{"\n}
          . "VisitCountRedisConnectTimeout 10000\nVisitCountRedisCommandTimeout 10000\n"
        : defined $self->{db} ? qq{VisitCountDB "$self->{db}"\n} : '';
    # Most tests need every request to count; module_defaults keeps the
    # module's own filters, as a real site runs it.
    # Small process limits unless the test asks for others (mpm_conf).
    my $mpm_conf = $self->{mpm_conf} // <<'EOC';
<IfModule mpm_prefork_module>
    StartServers 2
    MinSpareServers 1
    MaxSpareServers 3
    MaxRequestWorkers 6
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 1
    ServerLimit 2
    ThreadsPerChild 4
    MaxRequestWorkers 8
</IfModule>
EOC
    my $count_all = $self->{module_defaults} ? '' : <<'EOC';
# Count every request, as most tests need; a test of the visitor filters
# switches them back on in its own directives below.
VisitCountBots count
VisitCountDedupe off
VisitCountUnique off
EOC
    open my $fh, '>', $self->conf_file or die "$!";
    print $fh <<"EOF";
# Generated by t/lib/VCServer.pm for the test server '$self->{name}'.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$self->{port}
PidFile "$dir/logs/httpd.pid"
ErrorLog "$dir/logs/error_log"
DefaultRuntimeDir "$dir/logs"
LogLevel warn
${load}LoadModule visitcount_module "$so"
${count_all}TypesConfig /etc/mime.types
DocumentRoot "$self->{docroot}"
DirectoryIndex index.html
<Directory "$self->{docroot}">
    Require all granted
</Directory>
$mpm_conf
$db$self->{conf}
EOF
    close $fh or die "$!";
}

# Runs "httpd -t": returns (exit status, output).
sub config_test {
    my $self = shift;
    my @cmd = (httpd(), '-t', '-f', $self->conf_file);
    my $out = qx{@cmd 2>&1};
    return ($? >> 8, $out);
}

# Starts httpd in the foreground (-D FOREGROUND) as our child.  True once
# the port accepts; false when the server exits first (see exit_status,
# output and error_log) or does not answer within $timeout seconds.
sub start {
    my ($self, $timeout) = @_;
    $timeout ||= 30;
    die "server '$self->{name}' is already running" if $self->{pid};
    $self->{exit_status} = undef;
    my $pid = spawn("$self->{dir}/logs/output", httpd(), '-f', $self->conf_file,
                    '-D', 'FOREGROUND');
    $self->{pid} = $pid;
    $running{$pid} = $self;
    # The port is bound before post_config runs, so it may accept while
    # the server is about to fail; the pid file is written only after.
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 0 unless $self->alive;
        my $s = slurp("$self->{dir}/logs/httpd.pid") =~ /^$pid\b/
            && IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $self->{port}, Timeout => 1);
        return 1 if $s;
        sleep 0.1;
    }
    $self->stop;
    return 0;
}

# Runs @cmd as our child, in a session of its own (the prefork MPM signals
# its whole process group on shutdown, which must not reach the test),
# with no input and its output appended to $out.  Returns its pid.
sub spawn {
    my ($out, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    POSIX::setsid();
    open STDIN, '<', '/dev/null';
    open STDOUT, '>>', $out;
    open STDERR, '>&', \*STDOUT;
    { exec @cmd }
    POSIX::_exit(127);
}

# True while our httpd runs; reaps it and records its status once it exits.
sub alive {
    my $self = shift;
    return 0 unless $self->{pid};
    return 1 if waitpid($self->{pid}, WNOHANG) == 0;
    $self->{exit_status} = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    delete $running{$self->{pid}};
    $self->{pid} = undef;
    return 0;
}

sub stop {
    my $self = shift;
    return 1 unless $self->alive;
    kill 'TERM', $self->{pid};
    my $deadline = time + 20;
    sleep 0.05 while $self->alive && time < $deadline;
    return 1 unless $self->alive;
    kill 'KILL', -$self->{pid};         # the whole session: parent and children
    sleep 0.05 while $self->alive;
    return 0;
}

# Graceful restart (SIGUSR1): rereads the configuration; old children
# finish their requests.  True once the new generation runs and every
# child of the old one has exited, so no old configuration answers.
sub graceful {
    my $self = shift;
    return 0 unless $self->alive;
    my $mark = $self->generations;
    my @old = children($self->{pid});
    kill 'USR1', $self->{pid};
    my $deadline = time + 30;
    while (time < $deadline) {
        return 0 unless $self->alive;
        if ($self->generations > $mark) {
            my %now = map { $_ => 1 } children($self->{pid});
            return 1 unless grep { $now{$_} } @old;
        }
        sleep 0.1;
    }
    return 0;
}

# The live (not zombie) child processes of $ppid, from /proc.
sub children {
    my $ppid = shift;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my ($pid, $state, $parent) = slurp($stat) =~ /^(\d+) \(.*\) (\S) (\d+) /s
            or next;
        push @kids, $pid if $parent == $ppid && $state ne 'Z';
    }
    return @kids;
}

# httpd logs "resuming normal operations" at notice level, which LogLevel
# cannot hide, each time a generation starts.
sub generations {
    my @n = $_[0]->error_log =~ /resuming normal operations/g;
    return scalar @n;
}

sub slurp {
    my $file = shift;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar <$fh>;
}

# One HTTP request on a fresh connection: a hashref with status, content
# and headers, as HTTP::Tiny returns it.
sub request {
    my ($self, $method, $path, $body) = @_;
    my $http = HTTP::Tiny->new(keep_alive => 0, timeout => 30);
    return $http->request($method, $self->url($path),
                          defined $body ? { content => $body } : {});
}

sub DESTROY { $_[0]->stop if $$ == $owner && $_[0]{pid} }

END {
    return unless $$ == $owner;
    local $?;
    $_->stop for values %running;
}

1;
