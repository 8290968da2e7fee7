/* The admin tool, visitcount(8): what its files share.
 *   visitcount.c         options, opening the store, the commands' table
 *   vc_cli_cmds.c        stats, list, get, set, delete, backup, verify
 *   vc_cli_transfer.c    export and import
 * It links the store library (libvisitcount.la) and needs no httpd.
 */
#ifndef VC_CLI_H
#define VC_CLI_H

#include "apr_pools.h"

#include "vc_store.h"

/* Exit statuses. */
#define VC_EXIT_OK 0
#define VC_EXIT_ERROR 1
#define VC_EXIT_USAGE 2

typedef struct {
    apr_pool_t *pool;
    vc_store_options_t o;
    vc_store_t *st;             /* once vc_cli_open() succeeded */
    const char *where;          /* the store, for messages */
} vc_cli_t;

/* "visitcount: " and the message on stderr, one line; returns
 * VC_EXIT_ERROR. */
int vc_cli_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The same for a usage error, with a pointer to --help; returns
 * VC_EXIT_USAGE. */
int vc_cli_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A store status as text. */
const char *vc_cli_strerror(apr_status_t rv);

/* Opens the store the options name.  With create set, an LMDB directory
 * without a database gets a new one (never as root).  Returns VC_EXIT_OK,
 * or the exit status after saying why not. */
int vc_cli_open(vc_cli_t *cli, int create);

/* A whole number from an argument; 0 on success. */
int vc_cli_number(const char *s, apr_uint64_t max, apr_uint64_t *v);

/* The commands: argv[0] is the command's name. */
int vc_cli_stats(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_list(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_get(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_set(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_delete(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_backup(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_verify(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_export(vc_cli_t *cli, int argc, const char *const *argv);
int vc_cli_import(vc_cli_t *cli, int argc, const char *const *argv);

#endif
