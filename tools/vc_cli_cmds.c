/* visitcount's commands on single keys and on the store as a whole:
 * stats, list, get, set, delete, backup and verify.
 */
#include "vc_cli.h"
#include "vc_parse.h"

#include "apr_file_info.h"
#include "apr_strings.h"
#include "apr_time.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIST_PAGE 1000

static int no_args(int argc, const char *const *argv)
{
    return argc > 1 ? vc_cli_usage("%s takes no arguments", argv[0])
                    : VC_EXIT_OK;
}

/* A key given on the command line; 0 when it is one. */
static int bad_key(const char *key)
{
    const char *err = vc_key_check(key, strlen(key));

    if (err) {
        vc_cli_usage("\"%s\" is not a key: %s", key, err);
        return 1;
    }
    return 0;
}

int vc_cli_stats(vc_cli_t *cli, int argc, const char *const *argv)
{
    vc_store_stats_t stats;
    apr_status_t rv;
    int status;

    if ((status = no_args(argc, argv)) != VC_EXIT_OK
        || (status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    if ((rv = vc_store_stats(cli->st, &stats)) != APR_SUCCESS) {
        return vc_cli_fail("%s: %s", cli->where, vc_cli_strerror(rv));
    }
    printf("store: %s %s\n", cli->o.url.kind == VC_STORE_LMDB ? "lmdb"
           : "redis", cli->where);
    printf("keys: %" APR_UINT64_T_FMT "\n", stats.keys);
    printf("max keys: %" APR_UINT64_T_FMT "\n", cli->o.max_keys);
    printf("used bytes: %" APR_UINT64_T_FMT "\n", stats.used_bytes);
    printf("size bytes: %" APR_UINT64_T_FMT "\n", stats.size_bytes);
    return VC_EXIT_OK;
}

int vc_cli_list(vc_cli_t *cli, int argc, const char *const *argv)
{
    const char *prefix = "", *after = "";
    apr_uint64_t limit = APR_UINT64_MAX, shown = 0;
    apr_pool_t *page;
    int i, more = 1, status;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--prefix") && i + 1 < argc) {
            prefix = argv[++i];
        }
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            if (vc_cli_number(argv[++i], APR_UINT64_MAX, &limit)) {
                return vc_cli_usage("--limit: a whole number");
            }
        }
        else {
            return vc_cli_usage("list: unexpected \"%s\"", argv[i]);
        }
    }
    if ((status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    apr_pool_create(&page, cli->pool);
    while (more && shown < limit) {
        apr_array_header_t *entries;
        unsigned int want = limit - shown < LIST_PAGE
                            ? (unsigned int)(limit - shown) : LIST_PAGE;
        apr_status_t rv;

        apr_pool_clear(page);
        rv = vc_store_list(cli->st, prefix, after, want, &entries, &more,
                           page);
        if (rv != APR_SUCCESS) {
            return vc_cli_fail("%s: listing: %s", cli->where,
                               vc_cli_strerror(rv));
        }
        for (i = 0; i < entries->nelts; i++) {
            const vc_entry_t *e = &APR_ARRAY_IDX(entries, i, vc_entry_t);
            printf("%s\t%" APR_UINT64_T_FMT "\t%" APR_UINT64_T_FMT "\n",
                   e->key, e->counts.count, e->counts.unique);
        }
        shown += (apr_uint64_t)entries->nelts;
        if (entries->nelts == 0) {
            break;
        }
        after = apr_pstrdup(cli->pool,
                            APR_ARRAY_IDX(entries, entries->nelts - 1,
                                          vc_entry_t).key);
    }
    return VC_EXIT_OK;
}

int vc_cli_get(vc_cli_t *cli, int argc, const char *const *argv)
{
    vc_counts_t c;
    apr_status_t rv;
    int found, status;

    if (argc != 2) {
        return vc_cli_usage("usage: get KEY");
    }
    if (bad_key(argv[1])) {
        return VC_EXIT_USAGE;
    }
    if ((status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    if ((rv = vc_store_get(cli->st, argv[1], &c, &found)) != APR_SUCCESS) {
        return vc_cli_fail("%s: %s", cli->where, vc_cli_strerror(rv));
    }
    if (!found) {
        return vc_cli_fail("no key \"%s\"", argv[1]);
    }
    printf("%s\t%" APR_UINT64_T_FMT "\t%" APR_UINT64_T_FMT "\n", argv[1],
           c.count, c.unique);
    return VC_EXIT_OK;
}

int vc_cli_set(vc_cli_t *cli, int argc, const char *const *argv)
{
    vc_counts_t c, old;
    apr_status_t rv;
    int found, status;

    if (argc != 3 && argc != 4) {
        return vc_cli_usage("usage: set KEY COUNT [UNIQUE]");
    }
    if (bad_key(argv[1])) {
        return VC_EXIT_USAGE;
    }
    if (vc_cli_number(argv[2], APR_UINT64_MAX, &c.count)
        || (argc == 4 && vc_cli_number(argv[3], APR_UINT64_MAX, &c.unique))) {
        return vc_cli_usage("set: COUNT and UNIQUE are whole numbers from 0 "
                            "to 18446744073709551615");
    }
    if (argc == 4 && c.unique > c.count) {
        return vc_cli_usage("set: UNIQUE cannot be more than COUNT");
    }
    if ((status = vc_cli_open(cli, 1)) != VC_EXIT_OK) {
        return status;
    }
    if (argc == 3) {
        /* Unique visitors kept, as far as the new count allows. */
        if ((rv = vc_store_get(cli->st, argv[1], &old, &found))) {
            return vc_cli_fail("%s: %s", cli->where, vc_cli_strerror(rv));
        }
        c.unique = old.unique < c.count ? old.unique : c.count;
    }
    if ((rv = vc_store_set(cli->st, argv[1], &c)) != APR_SUCCESS) {
        return vc_cli_fail("%s: setting \"%s\": %s", cli->where, argv[1],
                           vc_cli_strerror(rv));
    }
    return VC_EXIT_OK;
}

int vc_cli_delete(vc_cli_t *cli, int argc, const char *const *argv)
{
    apr_status_t rv;
    int existed, status;

    if (argc != 2) {
        return vc_cli_usage("usage: delete KEY");
    }
    if (bad_key(argv[1])) {
        return VC_EXIT_USAGE;
    }
    if ((status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    if ((rv = vc_store_delete(cli->st, argv[1], &existed)) != APR_SUCCESS) {
        return vc_cli_fail("%s: deleting \"%s\": %s", cli->where, argv[1],
                           vc_cli_strerror(rv));
    }
    if (!existed) {
        return vc_cli_fail("no key \"%s\"", argv[1]);
    }
    return VC_EXIT_OK;
}

int vc_cli_backup(vc_cli_t *cli, int argc, const char *const *argv)
{
    const char *dest, *what;
    apr_uint64_t txnid;
    apr_status_t rv;
    int status;

    if (argc != 2) {
        return vc_cli_usage("usage: backup DEST");
    }
    if (cli->o.url.kind != VC_STORE_LMDB) {
        return vc_cli_fail("backup copies an LMDB database; for Redis use "
                           "`visitcount export`, or Redis's own RDB or AOF "
                           "files");
    }
    if ((status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    dest = argv[1];
    /* After vc_cli_open(): as the database's owner, not as root. */
    if (access(dest, F_OK) != 0) {
        if (geteuid() == 0) {
            return vc_cli_fail("%s: refusing to create the backup directory "
                               "as root; create it for the user httpd runs "
                               "as", dest);
        }
        rv = apr_dir_make(dest, APR_FPROT_UREAD | APR_FPROT_UWRITE
                          | APR_FPROT_UEXECUTE | APR_FPROT_GREAD
                          | APR_FPROT_GEXECUTE, cli->pool);
        if (rv != APR_SUCCESS) {
            return vc_cli_fail("%s: cannot create it: %s", dest,
                               vc_cli_strerror(rv));
        }
    }
    rv = vc_store_backup(cli->st, dest, &txnid, &what, cli->pool);
    if (rv != APR_SUCCESS) {
        return vc_cli_fail("%s: %s: %s", dest, what ? what : "backup",
                           vc_cli_strerror(rv));
    }
    printf("backup of %s in %s: transaction %" APR_UINT64_T_FMT "\n",
           cli->where, dest, txnid);
    return VC_EXIT_OK;
}

int vc_cli_verify(vc_cli_t *cli, int argc, const char *const *argv)
{
    apr_uint64_t problems;
    const char *first;
    apr_status_t rv;
    int status;

    if ((status = no_args(argc, argv)) != VC_EXIT_OK
        || (status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    rv = vc_store_verify(cli->st, apr_time_sec(apr_time_now()), &problems,
                         &first, cli->pool);
    if (rv != APR_SUCCESS) {
        return vc_cli_fail("%s: verifying: %s", cli->where,
                           vc_cli_strerror(rv));
    }
    if (problems) {
        return vc_cli_fail("%s: %" APR_UINT64_T_FMT " problem%s; the first: "
                           "%s", cli->where, problems,
                           problems == 1 ? "" : "s", first);
    }
    printf("%s: no problems found\n", cli->where);
    return VC_EXIT_OK;
}
