# Startup checks: httpd refuses to start, with a line naming VisitCountDB
# and the path, when the store directory is unusable; creates a missing
# one; and refuses bad directive values while reading the configuration
# (apache2 -t), naming the directive.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin ();
use File::Path qw(make_path);

use lib "$FindBin::Bin/../lib";
use VCServer;

my @bad_values = (
    [ 'VisitCountMapSize 1K',      qr/VisitCountMapSize: '1K' is not a size/ ],
    [ 'VisitCountMapSize 99999G',  qr/VisitCountMapSize: '99999G' is not a size/ ],
    [ 'VisitCountMapSize lots',    qr/VisitCountMapSize: 'lots' is not a size/ ],
    [ 'VisitCountMapSize 0',       qr/VisitCountMapSize: '0' is not a size/ ],
    [ 'VisitCountDurability fast', qr/VisitCountDurability: 'fast' is not strict, group or relaxed/ ],
    [ 'VisitCountMaxKeys 0',       qr/VisitCountMaxKeys: '0' is not a number of keys/ ],
    [ 'VisitCountMaxKeys many',    qr/VisitCountMaxKeys: 'many' is not a number of keys/ ],
    [ "<VirtualHost 127.0.0.1:80>\nVisitCountMaxKeys 10\n</VirtualHost>",
      qr/VisitCountMaxKeys cannot occur within <VirtualHost>/ ],
    [ "<Location /c>\nVisitCountDefaultKey ../x\n</Location>",
      qr/VisitCountDefaultKey: '\.\.\/x'/ ],
    [ "<Location /c>\nVisitCountDefaultKey a//b\n</Location>",
      qr/VisitCountDefaultKey: 'a\/\/b'/ ],
    [ "<Location /c>\nVisitCountAllowOrigin null\n</Location>",
      qr/VisitCountAllowOrigin: 'null'/ ],
    [ "<Location /c>\nVisitCountAllowOrigin https://a.com/path\n</Location>",
      qr/VisitCountAllowOrigin: 'https:\/\/a\.com\/path'/ ],
    [ "<Location /c>\nVisitCountAllowOrigin * https://a.com\n</Location>",
      qr/VisitCountAllowOrigin: '\*' cannot be combined/ ],
    [ "<VirtualHost 127.0.0.1:80>\nVisitCountDB /tmp/vc-vhost\n</VirtualHost>",
      qr/VisitCountDB cannot occur within <VirtualHost>/ ],
    [ "<Location /c>\nVisitCountDB /tmp/vc-location\n</Location>",
      qr/VisitCountDB not allowed (?:here|in <Location>)/ ],
    [ "<VirtualHost 127.0.0.1:80>\nVisitCountMapSize 1M\n</VirtualHost>",
      qr/VisitCountMapSize cannot occur within <VirtualHost>/ ],
);

my $good = <<'EOF';
VisitCountMapSize 1024G
VisitCountMapSize 64k
VisitCountDurability relaxed
VisitCountDurability group
VisitCountMaxKeys 1000000000
<Location /c>
    VisitCountDefaultKey a/b.c~d-e_f
    VisitCountAllowOrigin https://a.com http://localhost:8080
</Location>
<Location /d>
    VisitCountAllowOrigin *
</Location>
EOF

plan tests => 18 + 2 * @bad_values;

my $root = Apache::Test::vars('serverroot') . '/var';

# --- VisitCountDB names a regular file ---------------------------------------
{
    my $file = "$root/startup-file.db";
    my $srv = VCServer->new(name => 'startup-file', db => $file);
    open my $fh, '>', $file or die "$file: $!";
    close $fh;
    ok t_cmp($srv->start(15), 0, 'VisitCountDB naming a regular file: no start');
    ok t_cmp($srv->exit_status != 0 ? 1 : 0, 1,
             'httpd exits non-zero (' . ($srv->exit_status // 'none') . ')');
    ok t_cmp($srv->error_log, qr/VC0001: VisitCountDB \Q$file\E: is not a directory/,
             'the error log names VisitCountDB, the path and the problem');
}

# --- a directory httpd's user may not write ----------------------------------
SKIP: {
    skip 'root can write any directory', 3 if $> == 0;
    my $dir = "$root/startup-ro-db";
    my $srv = VCServer->new(name => 'startup-ro', db => $dir);
    make_path($dir);
    chmod 0500, $dir or die "chmod $dir: $!";
    ok t_cmp($srv->start(15), 0, 'VisitCountDB without write permission: no start');
    ok t_cmp($srv->exit_status != 0 ? 1 : 0, 1, 'httpd exits non-zero');
    ok t_cmp($srv->error_log,
             qr/VC0001: VisitCountDB \Q$dir\E: directory is not writable: Permission denied/,
             'the error log says the directory is not writable');
    chmod 0700, $dir;
}

# --- a directory inside one httpd may not create -----------------------------
SKIP: {
    skip 'root can write any directory', 2 if $> == 0;
    my $parent = "$root/startup-locked";
    my $srv = VCServer->new(name => 'startup-locked', db => "$parent/db");
    make_path($parent);
    chmod 0500, $parent or die "chmod $parent: $!";
    ok t_cmp($srv->start(15), 0, 'VisitCountDB that cannot be created: no start');
    ok t_cmp($srv->error_log,
             qr/VC0001: VisitCountDB \Q$parent\E\/db: cannot create the directory: Permission denied/,
             'the error log says the directory cannot be created');
    chmod 0700, $parent;
}

# --- a missing nested directory is created -----------------------------------
{
    my $srv = VCServer->new(name => 'startup-nested',
                            conf => "<Location /api/visits>\nSetHandler visitcount\n</Location>\n");
    my $db = $srv->dir . "/not/yet/there";
    $srv->set_conf(db => $db);
    ok t_cmp(-e $srv->dir . "/not" ? 1 : 0, 0, 'the nested directory does not exist yet');
    ok t_cmp($srv->start, 1, 'start with a missing nested VisitCountDB');
    ok t_cmp(-d $db ? 1 : 0, 1, 'the directory was created');
    ok t_cmp((stat $db)[2] & 07, 0, 'others get no access to it');
    ok t_cmp($srv->request(POST => '/api/visits/nested')->{content},
             qr/"count":1,/, 'and the store in it counts');
    ok t_cmp(-s "$db/data.mdb" ? 1 : 0, 1, 'data.mdb is in the new directory');
    $srv->stop;

    # A relative path is under ServerRoot.
    $srv->set_conf(db => 'rel/db');
    ok t_cmp($srv->start, 1, 'start with a relative VisitCountDB');
    ok t_cmp(-e $srv->dir . "/rel/db/data.mdb" ? 1 : 0, 1,
             'the relative path is resolved under ServerRoot');
    $srv->stop;
}

# --- bad directive values stop httpd -t --------------------------------------
{
    my $srv = VCServer->new(name => 'startup-conf');
    $srv->set_conf(conf => $good);
    my ($status, $out) = $srv->config_test;
    ok t_cmp($status, 0, 'httpd -t accepts the valid values (control)');
    ok t_cmp($out, qr/Syntax OK/, 'and says Syntax OK');

    for my $case (@bad_values) {
        my ($directives, $message) = @$case;
        (my $name = $directives) =~ s/\s*\n\s*/ /g;
        $srv->set_conf(conf => "$directives\n");
        ($status, $out) = $srv->config_test;
        ok t_cmp($status != 0 ? 1 : 0, 1, "httpd -t fails on: $name");
        ok t_cmp($out, qr/Syntax error on line \d+ of .*httpd\.conf:\s*$message/s,
                 "with file, line and the directive named: $name");
    }
}
