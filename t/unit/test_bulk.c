/* Unit tests for the LMDB store's bulk operations (vc_store_dump, _load,
 * _backup, _verify), through vc_store.h alone: each merge mode on totals
 * and buckets, a batch refused whole (inconsistent record, 64-bit
 * overflow, VisitCountMaxKeys) leaving the store as it was, buckets older
 * than the history dropped, a dump with and without days and by prefix,
 * a backup that opens and verifies, and verify on a sound store.  The
 * store lives in a fresh temporary directory, removed at the end.
 */
#include "apr_general.h"
#include "apr_file_io.h"
#include "apr_file_info.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "../../mod_visitcount/vc_store.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static apr_pool_t *pool;
static const char *tmpdir;
static apr_int64_t now, today;

static void options_for(vc_store_options_t *o, const char *name)
{
    memset(o, 0, sizeof(*o));
    o->url.kind = VC_STORE_LMDB;
    o->history_days = 10;
    o->max_keys = 4;
    o->dir = apr_pstrcat(pool, tmpdir, "/", name, NULL);
    o->map_size = 1024 * 1024;
    o->durability = VC_DURABILITY_STRICT;
    o->max_readers = 126;
}

static vc_store_t *open_store(vc_store_options_t *o)
{
    vc_store_t *st = NULL;
    const char *what = "";
    apr_status_t rv = vc_store_prepare(o, 0, 0, 0, &what, pool);

    if (rv == APR_SUCCESS) {
        rv = vc_store_open(&st, o, &what, pool);
    }
    ok(rv == APR_SUCCESS, "store %s opens (%s)", o->dir, what);
    return st;
}

/* A dump into one string: "key c u [day:c/u ...];" per record. */
static apr_status_t collect(void *baton, const vc_record_t *r)
{
    char **s = baton;
    unsigned int i;

    *s = apr_psprintf(pool, "%s%s %" APR_UINT64_T_FMT " %" APR_UINT64_T_FMT,
                      *s, r->key, r->counts.count, r->counts.unique);
    for (i = 0; i < r->ndays; i++) {
        if (r->daily[i].count || r->daily[i].unique) {
            *s = apr_psprintf(pool, "%s %d:%" APR_UINT64_T_FMT "/%"
                              APR_UINT64_T_FMT, *s,
                              (int)(r->first_day + i - today),
                              r->daily[i].count, r->daily[i].unique);
        }
    }
    *s = apr_pstrcat(pool, *s, ";", NULL);
    return APR_SUCCESS;
}

static const char *dump(vc_store_t *st, const char *prefix, int days)
{
    char *s = "";
    apr_status_t rv = vc_store_dump(st, prefix, days, collect, &s, pool);

    return rv == APR_SUCCESS ? s : "dump failed";
}

/* A record of key with totals c/u and buckets on today+off[i]. */
static vc_record_t rec(const char *key, apr_uint64_t c, apr_uint64_t u,
                       int nd, const int *off, const vc_counts_t *daily)
{
    vc_record_t r;
    int i, lo = 0, hi = 0;

    memset(&r, 0, sizeof(r));
    r.key = key;
    r.counts.count = c;
    r.counts.unique = u;
    if (nd) {
        lo = hi = off[0];
        for (i = 0; i < nd; i++) {
            lo = off[i] < lo ? off[i] : lo;
            hi = off[i] > hi ? off[i] : hi;
        }
        r.first_day = today + lo;
        r.ndays = (unsigned int)(hi - lo + 1);
        r.daily = apr_pcalloc(pool, sizeof(vc_counts_t) * r.ndays);
        for (i = 0; i < nd; i++) {
            r.daily[off[i] - lo] = daily[i];
        }
    }
    return r;
}

static apr_status_t load(vc_store_t *st, vc_record_t *r, apr_size_t n,
                         vc_merge_e mode, apr_size_t *bad)
{
    return vc_store_load(st, r, n, mode, now, bad, pool);
}

static void test_modes(void)
{
    vc_store_options_t o;
    vc_store_t *st;
    vc_record_t r[3];
    int offs[2] = { -1, 0 };
    vc_counts_t d1[2] = { { 3, 1 }, { 4, 2 } }, d2[2] = { { 5, 0 }, { 1, 1 } };
    apr_size_t bad;

    options_for(&o, "modes");
    st = open_store(&o);
    r[0] = rec("a", 10, 5, 2, offs, d1);
    r[1] = rec("b", 7, 0, 0, NULL, NULL);
    ok(load(st, r, 2, VC_MERGE_SET, &bad) == APR_SUCCESS, "set loads");
    is_str(dump(st, "", 1), "a 10 5 -1:3/1 0:4/2;b 7 0;", "set: as given");
    is_str(dump(st, "", 0), "a 10 5;b 7 0;", "a dump without days");
    is_str(dump(st, "b", 1), "b 7 0;", "a dump by prefix");

    r[0] = rec("a", 20, 2, 2, offs, d2);
    ok(load(st, r, 1, VC_MERGE_ADD, &bad) == APR_SUCCESS, "add loads");
    is_str(dump(st, "a", 1), "a 30 7 -1:8/1 0:5/3;", "add: each figure summed");

    r[0] = rec("a", 25, 9, 2, offs, d1);
    ok(load(st, r, 1, VC_MERGE_MAX, &bad) == APR_SUCCESS, "max loads");
    is_str(dump(st, "a", 1), "a 30 9 -1:8/1 0:5/3;", "max: the larger of each");

    r[0] = rec("a", 2, 1, 0, NULL, NULL);
    ok(load(st, r, 1, VC_MERGE_SET, &bad) == APR_SUCCESS, "set again");
    is_str(dump(st, "a", 1), "a 2 1;", "set replaces the history too");

    /* Refused whole: nothing of the batch is written. */
    r[0] = rec("c", 1, 1, 0, NULL, NULL);
    r[1] = rec("b", APR_UINT64_MAX, 0, 0, NULL, NULL);
    ok(load(st, r, 2, VC_MERGE_ADD, &bad) == VC_STORE_MAXED && bad == 1,
       "an add past 2^64-1 is refused, naming the record");
    is_str(dump(st, "", 0), "a 2 1;b 7 0;", "... and nothing was written");

    r[0] = rec("c", 1, 1, 0, NULL, NULL);
    r[1] = rec("d", 3, 4, 0, NULL, NULL);
    ok(load(st, r, 2, VC_MERGE_SET, &bad) == APR_EINVAL && bad == 1,
       "unique above count is refused");
    r[1] = rec("d d", 3, 1, 0, NULL, NULL);
    ok(load(st, r, 2, VC_MERGE_SET, &bad) == APR_EINVAL && bad == 1,
       "an invalid key is refused");
    r[1] = rec("d", 3, 1, 2, offs, d1);
    ok(load(st, r, 2, VC_MERGE_SET, &bad) == APR_EINVAL && bad == 1,
       "days adding up to more than the totals are refused");
    r[0] = rec("c", 1, 1, 0, NULL, NULL);
    r[1] = rec("d", 1, 1, 0, NULL, NULL);
    r[2] = rec("e", 1, 1, 0, NULL, NULL);
    ok(load(st, r, 3, VC_MERGE_SET, &bad) == VC_STORE_KEYS_FULL && bad == 2,
       "new keys past max_keys are refused");
    is_str(dump(st, "", 0), "a 2 1;b 7 0;", "... and nothing was written");

    {
        int old[2] = { -20, 0 };
        vc_counts_t dd[2] = { { 1, 1 }, { 1, 0 } };
        r[0] = rec("c", 5, 1, 2, old, dd);
        ok(load(st, r, 1, VC_MERGE_SET, &bad) == APR_SUCCESS,
           "a record with an old day loads");
        is_str(dump(st, "c", 1), "c 5 1 0:1/0;",
               "the day older than the history is dropped");
    }
    {
        apr_uint64_t problems = 9;
        const char *first = "x";
        ok(vc_store_verify(st, now, &problems, &first, pool) == APR_SUCCESS
           && problems == 0 && first == NULL, "verify finds no problem");
    }
    {
        const char *dest = apr_pstrcat(pool, tmpdir, "/copy", NULL), *what;
        apr_uint64_t txnid = 0;
        vc_store_options_t co;
        vc_store_t *copy;

        apr_dir_make(dest, APR_FPROT_OS_DEFAULT, pool);
        ok(vc_store_backup(st, dest, &txnid, &what, pool) == APR_SUCCESS
           && txnid > 0, "backup copies (transaction %d)", (int)txnid);
        ok(vc_store_backup(st, dest, &txnid, &what, pool) == APR_EEXIST,
           "a backup into a non-empty directory is refused");
        vc_store_close(st);
        options_for(&co, "copy");
        copy = open_store(&co);
        is_str(dump(copy, "", 1), "a 2 1;b 7 0;c 5 1 0:1/0;",
               "the copy holds the same records");
        vc_store_close(copy);
    }
}

static void remove_tree(const char *dir)
{
    char *cmd = apr_pstrcat(pool, "rm -rf '", dir, "'", NULL);

    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }
}

int main(void)
{
    const char *base = NULL;
    char *dir;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    now = apr_time_sec(apr_time_now());
    today = now / VC_DAY_SECONDS;
    if (apr_temp_dir_get(&base, pool) != APR_SUCCESS) {
        base = "/tmp";
    }
    dir = apr_pstrcat(pool, base, "/vc-test-bulk-XXXXXX", NULL);
    if (!mkdtemp(dir)) {
        printf("Bail out! cannot make a directory like %s\n", dir);
        return 1;
    }
    tmpdir = dir;
    test_modes();
    remove_tree(tmpdir);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
