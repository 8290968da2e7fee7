/* visitcount export and import: every key of the store to a file, and a
 * file into the store, in the formats vc_transfer.h describes.
 *
 * import reads and checks the whole input before it touches the store, so
 * a bad file changes nothing and every bad line (up to MAX_ERRORS) is
 * named; only then does it load the records, a batch of BATCH per
 * transaction, so httpd's hits wait for one batch at most, never for the
 * whole import.
 */
#define _POSIX_C_SOURCE 200809L

#include "vc_cli.h"
#include "vc_transfer.h"

#include "apr_strings.h"
#include "apr_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 500               /* records per transaction */
#define MAX_ERRORS 20           /* bad lines named before giving up */
#define PROGRESS_FROM 5000      /* records: show progress on a terminal */

/* ---- export --------------------------------------------------------------- */

typedef struct {
    FILE *out;
    vc_format_e format;
    int with_days;
    apr_pool_t *pool;
    apr_uint64_t n;
} vc_export_t;

static apr_status_t export_one(void *baton, const vc_record_t *rec)
{
    vc_export_t *ex = baton;
    const char *text;

    apr_pool_clear(ex->pool);
    text = vc_export_record(ex->format, ex->with_days, rec, ex->pool);
    if (fputs(text, ex->out) == EOF) {
        return APR_FROM_OS_ERROR(errno);
    }
    ex->n++;
    return APR_SUCCESS;
}

int vc_cli_export(vc_cli_t *cli, int argc, const char *const *argv)
{
    vc_export_t ex;
    const char *file = NULL;
    apr_status_t rv;
    int i, status;

    memset(&ex, 0, sizeof(ex));
    ex.format = VC_FORMAT_JSONL;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "jsonl")) {
                ex.format = VC_FORMAT_JSONL;
            }
            else if (!strcmp(argv[i], "csv")) {
                ex.format = VC_FORMAT_CSV;
            }
            else {
                return vc_cli_usage("--format: jsonl or csv");
            }
        }
        else if (!strcmp(argv[i], "--days")) {
            ex.with_days = 1;
        }
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            file = argv[++i];
        }
        else {
            return vc_cli_usage("export: unexpected \"%s\"", argv[i]);
        }
    }
    if ((status = vc_cli_open(cli, 0)) != VC_EXIT_OK) {
        return status;
    }
    /* Opened after the store: as the database's owner when run as root. */
    ex.out = stdout;
    if (file && strcmp(file, "-") && !(ex.out = fopen(file, "w"))) {
        return vc_cli_fail("%s: %s", file, strerror(errno));
    }
    apr_pool_create(&ex.pool, cli->pool);
    fputs(vc_export_header(ex.format, ex.with_days,
                           apr_time_sec(apr_time_now()), ex.pool), ex.out);
    rv = vc_store_dump(cli->st, "", ex.with_days, export_one, &ex,
                       cli->pool);
    if (ex.out != stdout && fclose(ex.out) != 0 && rv == APR_SUCCESS) {
        rv = APR_FROM_OS_ERROR(errno);
    }
    if (rv != APR_SUCCESS) {
        return vc_cli_fail("%s: exporting: %s", cli->where,
                           vc_cli_strerror(rv));
    }
    return VC_EXIT_OK;
}

/* ---- import --------------------------------------------------------------- */

/* Reads every line of in; returns the number of bad lines, naming the
 * first MAX_ERRORS. */
static apr_uint64_t read_all(vc_import_t *imp, FILE *in, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    apr_uint64_t bad = 0;

    while ((len = getline(&line, &cap, in)) >= 0) {
        const char *err;
        if (len > 0 && line[len - 1] == '\n') {
            len--;
        }
        if ((err = vc_import_line(imp, line, (apr_size_t)len)) != NULL
            && ++bad <= MAX_ERRORS) {
            fprintf(stderr, "visitcount: %s: %s\n", name, err);
        }
    }
    free(line);
    return bad;
}

int vc_cli_import(vc_cli_t *cli, int argc, const char *const *argv)
{
    vc_merge_e mode = VC_MERGE_SET;
    vc_from_e from = VC_FROM_AUTO;
    const char *file = NULL, *err, *kind;
    apr_array_header_t *records;
    vc_import_t *imp;
    apr_uint64_t bad;
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_pool_t *scratch;
    FILE *in;
    int i, status, progress;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "set")) {
                mode = VC_MERGE_SET;
            }
            else if (!strcmp(argv[i], "add")) {
                mode = VC_MERGE_ADD;
            }
            else if (!strcmp(argv[i], "max")) {
                mode = VC_MERGE_MAX;
            }
            else {
                return vc_cli_usage("--mode: set, add or max");
            }
        }
        else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "visitcount")) {
                from = VC_FROM_VISITCOUNT;
            }
            else if (!strcmp(argv[i], "goatcounter")) {
                from = VC_FROM_GOATCOUNTER;
            }
            else {
                return vc_cli_usage("--from: visitcount or goatcounter");
            }
        }
        else if (!file && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            file = argv[i];
        }
        else {
            return vc_cli_usage("import: unexpected \"%s\"", argv[i]);
        }
    }
    if (!file) {
        return vc_cli_usage("usage: import [--mode set|add|max] "
                            "[--from visitcount|goatcounter] FILE|-");
    }
    /* The whole input first: a bad file changes nothing. */
    in = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!in) {
        return vc_cli_fail("%s: %s", file, strerror(errno));
    }
    imp = vc_import_create(from, cli->pool);
    bad = read_all(imp, in, file);
    if (ferror(in)) {
        return vc_cli_fail("%s: reading: %s", file, strerror(errno));
    }
    if (in != stdin) {
        fclose(in);
    }
    if (bad) {
        return vc_cli_fail("%s: %" APR_UINT64_T_FMT " bad line%s%s; nothing "
                           "imported", file, bad, bad == 1 ? "" : "s",
                           bad > MAX_ERRORS ? " (the first 20 shown)" : "");
    }
    if ((err = vc_import_finish(imp, &records, &kind)) != NULL) {
        return vc_cli_fail("%s: %s; nothing imported", file, err);
    }
    if ((status = vc_cli_open(cli, 1)) != VC_EXIT_OK) {
        return status;
    }
    progress = isatty(2) && records->nelts >= PROGRESS_FROM;
    apr_pool_create(&scratch, cli->pool);
    for (i = 0; i < records->nelts; i += BATCH) {
        apr_size_t n = (apr_size_t)(records->nelts - i) < BATCH
                       ? (apr_size_t)(records->nelts - i) : BATCH, at;
        const vc_record_t *batch = &APR_ARRAY_IDX(records, i, vc_record_t);
        apr_status_t rv;

        apr_pool_clear(scratch);
        rv = vc_store_load(cli->st, batch, n, mode, now, &at, scratch);
        if (rv != APR_SUCCESS) {
            if (progress) {
                fputc('\n', stderr);
            }
            return vc_cli_fail("%s: key \"%s\": %s; the %d keys before its "
                               "batch were imported, it and the rest not",
                               cli->where, batch[at].key,
                               rv == APR_EINVAL ? "inconsistent counts"
                               : vc_cli_strerror(rv), i);
        }
        if (progress) {
            fprintf(stderr, "\rvisitcount: imported %d of %d keys",
                    i + (int)n, records->nelts);
        }
    }
    if (progress) {
        fputc('\n', stderr);
    }
    fprintf(stderr, "visitcount: imported %d key%s (%s) into %s\n",
            records->nelts, records->nelts == 1 ? "" : "s", kind, cli->where);
    return VC_EXIT_OK;
}
