/* visitcount(8): the command-line administration of mod_visitcount's
 * store, for LMDB (the directory VisitCountDB names) and Redis (the URL
 * VisitCountStore names), safe to run while httpd counts.
 *
 *   visitcount [-d DIR | -s STORE-URL] [options] COMMAND [ARG ...]
 *
 * This file reads the options, opens the store and runs the command; the
 * commands are in vc_cli_cmds.c and vc_cli_transfer.c.  Run as root
 * against LMDB, it first becomes the owner of the database directory, so
 * every file it makes is one httpd can open.
 */
#include "vc_autoconf.h"

#include "vc_cli.h"
#include "vc_parse.h"
#include "vc_url.h"

#include "apr_general.h"
#include "apr_file_info.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The defaults httpd uses (vc_config.h, which needs httpd's headers). */
#define CLI_MAP_SIZE ((apr_uint64_t)64 << 20)
#define CLI_MIN_MAP_SIZE ((apr_uint64_t)64 << 10)
#define CLI_MAX_MAP_SIZE ((apr_uint64_t)1 << 40)
#define CLI_HISTORY 400
#define CLI_MAX_HISTORY 3660
#define CLI_MAX_KEYS 100000
#define CLI_MAX_MAX_KEYS 1000000000
#define CLI_PREFIX "vc:"
#define CLI_MAX_PREFIX 64
#define CLI_TIMEOUT_MS 10000
#define CLI_READERS 126

#ifndef VC_DEFAULT_DBDIR
#define VC_DEFAULT_DBDIR "/var/lib/visitcount"
#endif

/* --map-size: what the tool asks of LMDB; 0 keeps the database's own. */
static apr_uint64_t map_size;

static const char usage_text[] =
"Usage: visitcount [-d DIR | -s STORE-URL] [OPTIONS] COMMAND [ARG ...]\n"
"Administers mod_visitcount's counts, also while httpd is counting.\n"
"\n"
"Store (as httpd.conf names it):\n"
"  -d DIR                 the LMDB database directory (VisitCountDB;\n"
"                         default " VC_DEFAULT_DBDIR ")\n"
"  -s STORE-URL           lmdb, or a Redis URL (VisitCountStore)\n"
"  -p PREFIX              Redis key prefix (VisitCountRedisPrefix; default vc:)\n"
"  --password-file FILE   Redis password, its first line\n"
"                         (VisitCountRedisPasswordFile)\n"
"  --history DAYS         daily history kept (VisitCountHistory; default 400)\n"
"  --max-keys N           keys the store may hold (VisitCountMaxKeys;\n"
"                         default 100000)\n"
"  --map-size SIZE        LMDB map size, as VisitCountMapSize (default: the\n"
"                         database's own; 64M for a new one)\n"
"  -h, --help             this text;  -V, --version  the version\n"
"\n"
"Commands:\n"
"  stats                          keys held and space used\n"
"  list [--prefix P] [--limit N]  keys with their counts, in key order\n"
"  get KEY                        a key's count and unique visitors\n"
"  set KEY COUNT [UNIQUE]         replace a key's counts\n"
"  delete KEY                     remove a key and its history\n"
"  export [--format jsonl|csv] [--days] [-o FILE]\n"
"                                 every key, to stdout or FILE\n"
"  import [--mode set|add|max] [--from visitcount|goatcounter] FILE|-\n"
"                                 load an export or GoatCounter's data\n"
"  backup DEST                    compacted hot copy of LMDB into DEST\n"
"  verify                         check every record's consistency\n"
"\n"
"Exit status: 0 success, 1 error, 2 usage error.  See visitcount(8).\n";

/* ---- messages --------------------------------------------------------- */

/* "visitcount: " and the message, ended by tail, on stderr. */
static void say(const char *tail, const char *fmt, va_list ap)
{
    fputs("visitcount: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(tail, stderr);
}

int vc_cli_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say("\n", fmt, ap);
    va_end(ap);
    return VC_EXIT_ERROR;
}

int vc_cli_usage(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(" (see visitcount --help)\n", fmt, ap);
    va_end(ap);
    return VC_EXIT_USAGE;
}

const char *vc_cli_strerror(apr_status_t rv)
{
    static char buf[256];

    return vc_store_strerror(rv, buf, sizeof(buf));
}

int vc_cli_number(const char *s, apr_uint64_t max, apr_uint64_t *v)
{
    apr_uint64_t n = 0;
    const char *p;

    if (!*s) {
        return -1;
    }
    for (p = s; *p; p++) {
        unsigned int d = (unsigned int)(*p - '0');
        if (*p < '0' || *p > '9' || n > (APR_UINT64_MAX - d) / 10) {
            return -1;
        }
        n = n * 10 + d;
    }
    if (n > max) {
        return -1;
    }
    *v = n;
    return 0;
}

/* ---- opening the store ------------------------------------------------- */

/* The first line of the password file. */
static int read_password(vc_cli_t *cli, const char *file)
{
    apr_file_t *f;
    char line[1024];
    apr_status_t rv;
    apr_size_t n;

    rv = apr_file_open(&f, file, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT,
                       cli->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_gets(line, sizeof(line), f);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        return vc_cli_fail("%s: cannot read the password file: %s", file,
                           vc_cli_strerror(rv));
    }
    n = rv == APR_SUCCESS ? strcspn(line, "\r\n") : 0;
    if (n == 0) {
        return vc_cli_fail("%s: the password file's first line is empty",
                           file);
    }
    cli->o.password = apr_pstrmemdup(cli->pool, line, n);
    memset(line, 0, sizeof(line));
    return VC_EXIT_OK;
}

/* As root: become the owner of the database directory, so no file this
 * run makes is one httpd cannot open.  A directory root owns stays
 * root's. */
static int drop_root(vc_cli_t *cli, const struct stat *sb)
{
    if (geteuid() != 0 || sb->st_uid == 0) {
        return VC_EXIT_OK;
    }
    if (setgroups(0, NULL) != 0 || setgid(sb->st_gid) != 0
        || setuid(sb->st_uid) != 0) {
        return vc_cli_fail("%s: cannot become its owner (uid %ld): %s",
                           cli->o.dir, (long)sb->st_uid,
                           vc_cli_strerror(APR_FROM_OS_ERROR(errno)));
    }
    return VC_EXIT_OK;
}

int vc_cli_open(vc_cli_t *cli, int create)
{
    const char *what = NULL;
    apr_status_t rv;
    int status;

    if (cli->o.url.kind == VC_STORE_LMDB) {
        const char *data = apr_pstrcat(cli->pool, cli->o.dir, "/data.mdb",
                                       NULL);
        struct stat sb;

        if (stat(cli->o.dir, &sb) == 0 && S_ISDIR(sb.st_mode)
            && (status = drop_root(cli, &sb)) != VC_EXIT_OK) {
            return status;
        }
        if (access(data, F_OK) != 0) {
            if (!create) {
                return vc_cli_fail("%s: no database there (is it "
                                   "VisitCountDB?)", cli->o.dir);
            }
            if (geteuid() == 0) {
                return vc_cli_fail("%s: refusing to create a database as "
                                   "root, which httpd could not open; run "
                                   "as the user httpd runs as, or create "
                                   "the directory owned by that user",
                                   cli->o.dir);
            }
            /* A new database, as httpd would make it. */
            cli->o.map_size = map_size ? map_size : CLI_MAP_SIZE;
            if ((rv = vc_store_prepare(&cli->o, 0, 0, 0, &what, cli->pool))) {
                return vc_cli_fail("%s: %s: %s", cli->o.dir, what,
                                   vc_cli_strerror(rv));
            }
        }
        /* 0: the map size the database has (httpd's VisitCountMapSize,
         * grown or not).  A size given is used as httpd uses its own: a
         * larger one grows the map (httpd's children adopt it), a smaller
         * one serves this run only, and never below the data. */
        cli->o.map_size = map_size;
    }
    if ((rv = vc_store_open(&cli->st, &cli->o, &what, cli->pool))) {
        return vc_cli_fail("%s: %s%s%s", cli->where, what ? what : "",
                           what ? ": " : "", vc_cli_strerror(rv));
    }
    return VC_EXIT_OK;
}

/* ---- options ------------------------------------------------------------ */

typedef struct {
    const char *name;
    int (*run)(vc_cli_t *cli, int argc, const char *const *argv);
} vc_command_t;

static const vc_command_t commands[] = {
    { "stats", vc_cli_stats },
    { "list", vc_cli_list },
    { "get", vc_cli_get },
    { "set", vc_cli_set },
    { "delete", vc_cli_delete },
    { "export", vc_cli_export },
    { "import", vc_cli_import },
    { "backup", vc_cli_backup },
    { "verify", vc_cli_verify },
    { NULL, NULL }
};

static void defaults(vc_cli_t *cli)
{
    vc_store_options_t *o = &cli->o;

    memset(o, 0, sizeof(*o));
    o->url.kind = VC_STORE_LMDB;
    o->history_days = CLI_HISTORY;
    o->max_keys = CLI_MAX_KEYS;
    o->dir = VC_DEFAULT_DBDIR;
    o->durability = VC_DURABILITY_STRICT;
    o->max_readers = CLI_READERS;
    o->prefix = CLI_PREFIX;
    o->connect_timeout_ms = CLI_TIMEOUT_MS;
    o->command_timeout_ms = CLI_TIMEOUT_MS;
    o->pool_size = 1;
}

/* A size in bytes, or with a K, M, G or T suffix, as VisitCountMapSize
 * takes it; 0 on success. */
static int size_arg(const char *s, apr_uint64_t *v)
{
    apr_uint64_t x;

    if (vc_parse_size(s, &x) != 0 || x < CLI_MIN_MAP_SIZE
        || x > CLI_MAX_MAP_SIZE) {
        return -1;
    }
    *v = x;
    return 0;
}

/* The value of option argv[*i], moving past it. */
static const char *value(int argc, const char *const *argv, int *i)
{
    if (*i + 1 >= argc) {
        return NULL;
    }
    return argv[++*i];
}

static int run(apr_pool_t *pool, int argc, const char *const *argv)
{
    vc_cli_t cli;
    const char *dir = NULL, *url = NULL, *password_file = NULL, *v;
    const vc_command_t *cmd;
    apr_uint64_t n;
    int i, status;

    memset(&cli, 0, sizeof(cli));
    cli.pool = pool;
    defaults(&cli);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
            fputs(usage_text, stdout);
            return VC_EXIT_OK;
        }
        if (!strcmp(opt, "-V") || !strcmp(opt, "--version")) {
            printf("visitcount (mod_visitcount) %s\n", PACKAGE_VERSION);
            return VC_EXIT_OK;
        }
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (!(v = value(argc, argv, &i))) {
            return vc_cli_usage("option %s needs a value, or is unknown", opt);
        }
        if (!strcmp(opt, "-d")) {
            dir = v;
        }
        else if (!strcmp(opt, "-s")) {
            url = v;
        }
        else if (!strcmp(opt, "-p")) {
            if (!*v || strlen(v) > CLI_MAX_PREFIX) {
                return vc_cli_usage("-p: a prefix of 1 to %d bytes",
                                    CLI_MAX_PREFIX);
            }
            cli.o.prefix = v;
        }
        else if (!strcmp(opt, "--password-file")) {
            password_file = v;
        }
        else if (!strcmp(opt, "--history")) {
            if (vc_cli_number(v, CLI_MAX_HISTORY, &n) || n == 0) {
                return vc_cli_usage("--history: 1 to %d days",
                                    CLI_MAX_HISTORY);
            }
            cli.o.history_days = (unsigned int)n;
        }
        else if (!strcmp(opt, "--max-keys")) {
            if (vc_cli_number(v, CLI_MAX_MAX_KEYS, &n) || n == 0) {
                return vc_cli_usage("--max-keys: 1 to %d", CLI_MAX_MAX_KEYS);
            }
            cli.o.max_keys = n;
        }
        else if (!strcmp(opt, "--map-size")) {
            if (size_arg(v, &map_size)) {
                return vc_cli_usage("--map-size: a size from 64K to 1T, "
                                    "in bytes or with K, M, G or T");
            }
        }
        else {
            return vc_cli_usage("unknown option %s", opt);
        }
    }
    if (i >= argc) {
        return vc_cli_usage("no command given");
    }
    for (cmd = commands; cmd->name && strcmp(cmd->name, argv[i]); cmd++) {
    }
    if (!cmd->name) {
        return vc_cli_usage("unknown command \"%s\"", argv[i]);
    }
    if (dir && url && strcmp(url, "lmdb")) {
        return vc_cli_usage("-d names an LMDB directory, -s a Redis store: "
                            "give one");
    }
    if (url) {
        const char *err = vc_url_parse(pool, url, &cli.o.url);
        if (err) {
            return vc_cli_usage("-s %s: %s", url, err);
        }
    }
    if (cli.o.url.kind == VC_STORE_LMDB) {
        char *abs;
        apr_status_t rv = apr_filepath_merge(&abs, NULL, dir ? dir : cli.o.dir,
                                             APR_FILEPATH_TRUENAME, pool);
        if (rv != APR_SUCCESS) {
            return vc_cli_fail("%s: %s", dir, vc_cli_strerror(rv));
        }
        cli.o.dir = abs;
        cli.where = abs;
        if (password_file) {
            return vc_cli_usage("--password-file is for a Redis store");
        }
    }
    else {
        cli.where = vc_url_display(pool, &cli.o.url);
        cli.o.password = cli.o.url.password;
        if (password_file) {
            if (cli.o.url.password) {
                return vc_cli_usage("the URL names a password and "
                                    "--password-file another: give one");
            }
            if ((status = read_password(&cli, password_file)) != VC_EXIT_OK) {
                return status;
            }
        }
    }
    status = cmd->run(&cli, argc - i, argv + i);
    vc_store_close(cli.st);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        return vc_cli_fail("writing the output: %s", strerror(errno));
    }
    return status;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    int status;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fputs("visitcount: cannot initialise APR\n", stderr);
        return VC_EXIT_ERROR;
    }
    status = run(pool, argc, argv);
    apr_pool_destroy(pool);
    apr_terminate();
    return status;
}
