/* Unit tests for the LMDB store, through vc_store.h alone: prepare and
 * open, hits with and without visitors (the dedupe window, unique
 * visitors, a visit across midnight), reads, the daily history and its
 * trimming, the admin calls and VisitCountMaxKeys, a count at its 64-bit
 * maximum, listing and its pages, the daily secrets, stats, maintenance,
 * each durability mode, group commit with threads hitting at once, a full
 * record of visitors and a full map, the status texts, and a store that
 * is not open.  Each part has a store of its own in a fresh temporary
 * directory, removed at the end.  As in the module, an environment is
 * never open twice in this process at once (LMDB forbids it): a store is
 * closed before its directory is prepared or maintained again.
 */
#include "apr_general.h"
#include "apr_file_io.h"
#include "apr_file_info.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"

#include "../../mod_visitcount/vc_store.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define DAY INT64_C(20000)      /* 2024-10-04, a UTC day number */
#define NOON 43200
/* Unix time `secs` seconds after the start of UTC day `day`. */
#define AT(day, secs) ((day) * VC_DAY_SECONDS + (secs))

static apr_pool_t *pool;
static const char *tmpdir;
/* Visitor ids 1 to 9 (index 0 unused: 0 means "no id"). */
static unsigned char ids[10][VC_VISITOR_LEN];

/* ---- helpers ------------------------------------------------------------ */

/* The options vc_config_store.c makes for an LMDB store, in the directory
 * `name` under tmpdir. */
static void options_for(vc_store_options_t *o, const char *name)
{
    memset(o, 0, sizeof(*o));
    o->url.kind = VC_STORE_LMDB;
    o->history_days = 3;
    o->max_keys = 5;
    o->longest_dedupe = 1800;
    o->threaded = 0;
    o->log = NULL;
    o->dir = apr_pstrcat(pool, tmpdir, "/", name, NULL);
    o->map_size = MIB;
    o->durability = VC_DURABILITY_STRICT;
    o->max_readers = 126;
}

static int is_status(apr_status_t got, apr_status_t want, const char *name)
{
    char a[120], b[120];
    int pass = ok(got == want, "%s", name);

    if (!pass) {
        printf("#          got: %d (%s)\n#     expected: %d (%s)\n", got,
               vc_store_strerror(got, a, sizeof(a)), want,
               vc_store_strerror(want, b, sizeof(b)));
    }
    return pass;
}

/* A visit by visitor `id` (0: untracked), whose id of the day before is
 * `before` (0: none). */
static vc_visit_t visit(int id, int before, apr_uint32_t dedupe, int unique)
{
    vc_visit_t v;

    memset(&v, 0, sizeof(v));
    v.id = id ? ids[id] : NULL;
    v.id_before = before ? ids[before] : NULL;
    v.dedupe = dedupe;
    v.unique = unique;
    return v;
}

/* One hit, checked as one: its status, its VC_HIT_ bits and the counts
 * after it. */
static void hit_is(vc_store_t *st, const char *key, const vc_visit_t *vis,
                   apr_int64_t now, apr_status_t want_rv,
                   unsigned int want_result, apr_uint64_t count,
                   apr_uint64_t unique, const char *name)
{
    vc_counts_t after = { 12345, 12345 };
    unsigned int result = 99;
    apr_status_t rv = vc_store_hit(st, key, vis, now, &after, &result);
    int pass = rv == want_rv && result == want_result;

    if (pass && rv == APR_SUCCESS) {
        pass = after.count == count && after.unique == unique;
    }
    ok(pass, "%s", name);
    if (!pass) {
        printf("#          got: status %d, result %u, %" APR_UINT64_T_FMT "/%"
               APR_UINT64_T_FMT "\n#     expected: status %d, result %u, %"
               APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT "\n", rv, result,
               after.count, after.unique, want_rv, want_result, count,
               unique);
    }
}

/* A plain hit that must count, to the counts given. */
static void counted(vc_store_t *st, const char *key, apr_int64_t now,
                    apr_uint64_t count, apr_uint64_t unique, const char *name)
{
    hit_is(st, key, NULL, now, APR_SUCCESS, VC_HIT_COUNTED, count, unique,
           name);
}

static void get_is(vc_store_t *st, const char *key, int want_found,
                   apr_uint64_t count, apr_uint64_t unique, const char *name)
{
    vc_counts_t c = { 12345, 12345 };
    int found = -1;
    apr_status_t rv = vc_store_get(st, key, &c, &found);
    int pass = rv == APR_SUCCESS && found == want_found
               && c.count == count && c.unique == unique;

    ok(pass, "%s", name);
    if (!pass) {
        printf("#          got: status %d, found %d, %" APR_UINT64_T_FMT "/%"
               APR_UINT64_T_FMT "\n#     expected: found %d, %"
               APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT "\n", rv, found,
               c.count, c.unique, want_found, count, unique);
    }
}

/* key's history of ndays (at most 8) ending last_day, as "c/u c/u ...",
 * oldest first, then " = count/unique" for its totals. */
static const char *history_of(vc_store_t *st, const char *key,
                              apr_int64_t last_day, unsigned int ndays)
{
    vc_counts_t daily[8], totals;
    const char *s = "";
    unsigned int i;
    apr_status_t rv;

    memset(daily, 0xff, sizeof(daily));
    rv = vc_store_history(st, key, &totals, last_day, ndays, daily, pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pool, "status %d", rv);
    }
    for (i = 0; i < ndays; i++) {
        s = apr_psprintf(pool, "%s%s%" APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT,
                         s, i ? " " : "", daily[i].count, daily[i].unique);
    }
    return apr_psprintf(pool, "%s = %" APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT,
                        s, totals.count, totals.unique);
}

/* The keys of one page of a listing, separated by spaces; "status N" on
 * failure. */
static const char *list_of(vc_store_t *st, const char *prefix,
                           const char *after, unsigned int limit, int *more)
{
    apr_array_header_t *entries;
    const char *s = "";
    apr_status_t rv;
    int i;

    *more = -1;
    rv = vc_store_list(st, prefix, after, limit, &entries, more, pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pool, "status %d", rv);
    }
    for (i = 0; i < entries->nelts; i++) {
        s = apr_pstrcat(pool, s, i ? " " : "",
                        APR_ARRAY_IDX(entries, i, vc_entry_t).key, NULL);
    }
    return s;
}

static void list_is(vc_store_t *st, const char *prefix, const char *after,
                    unsigned int limit, const char *want, int want_more,
                    const char *name)
{
    int more;

    is_str(list_of(st, prefix, after, limit, &more), want, "%s", name);
    ok(more == want_more, "%s: more is %d", name, want_more);
}

/* Opens the store o describes, in a pool of its own (*p); NULL, and a
 * failed check, when it cannot. */
static vc_store_t *reopen(const vc_store_options_t *o, apr_pool_t **p)
{
    vc_store_t *st = NULL;
    const char *what = "";
    apr_status_t rv;

    apr_pool_create(p, pool);
    rv = vc_store_open(&st, o, &what, *p);
    if (rv != APR_SUCCESS || !st) {
        char buf[120];
        ok(0, "open %s", o->dir);
        printf("#   %s: %s\n", what, vc_store_strerror(rv, buf, sizeof(buf)));
        return NULL;
    }
    return st;
}

/* Prepares then opens the store o describes. */
static vc_store_t *start(const vc_store_options_t *o, apr_pool_t **p)
{
    const char *what = "";
    apr_status_t rv = vc_store_prepare(o, 0, 0, 0, &what, pool);

    if (rv != APR_SUCCESS) {
        char buf[120];
        ok(0, "prepare %s", o->dir);
        printf("#   %s: %s\n", what, vc_store_strerror(rv, buf, sizeof(buf)));
        *p = NULL;
        return NULL;
    }
    return reopen(o, p);
}

static void stop(vc_store_t *st, apr_pool_t *p)
{
    vc_store_close(st);
    if (p) {
        apr_pool_destroy(p);
    }
}

/* Removes path and everything below it. */
static void remove_tree(const char *path)
{
    apr_finfo_t fi;
    apr_dir_t *d;

    if (apr_stat(&fi, path, APR_FINFO_TYPE, pool) != APR_SUCCESS) {
        return;
    }
    if (fi.filetype != APR_DIR) {
        apr_file_remove(path, pool);
        return;
    }
    if (apr_dir_open(&d, path, pool) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
                remove_tree(apr_pstrcat(pool, path, "/", fi.name, NULL));
            }
        }
        apr_dir_close(d);
    }
    apr_dir_remove(path, pool);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_prepare(void)
{
    vc_store_options_t o, f;
    vc_store_stats_t stats;
    apr_file_t *file;
    apr_finfo_t fi;
    apr_pool_t *p;
    vc_store_t *st;
    const char *what = "";

    options_for(&o, "prepared/db");
    is_status(vc_store_prepare(&o, 0, 0, 0, &what, pool), APR_SUCCESS,
              "prepare creates the directory (and its parent) and the database");
    ok(apr_stat(&fi, apr_pstrcat(pool, o.dir, "/data.mdb", NULL),
                APR_FINFO_TYPE, pool) == APR_SUCCESS && fi.filetype == APR_REG,
       "data.mdb is there");
    is_status(vc_store_prepare(&o, 0, 0, 0, &what, pool), APR_SUCCESS,
              "a second prepare of the same directory is fine");

    options_for(&f, "plain-file");
    ok(apr_file_open(&file, f.dir, APR_FOPEN_CREATE | APR_FOPEN_WRITE,
                     APR_FPROT_OS_DEFAULT, pool) == APR_SUCCESS
       && apr_file_close(file) == APR_SUCCESS, "a regular file to prepare");
    what = NULL;
    is_status(vc_store_prepare(&f, 0, 0, 0, &what, pool), APR_ENOTDIR,
              "prepare on a regular file fails");
    is_str(what, "is not a directory", "... and says why");
    f.dir = apr_pstrcat(pool, f.dir, "/db", NULL);
    what = NULL;
    ok(vc_store_prepare(&f, 0, 0, 0, &what, pool) != APR_SUCCESS,
       "prepare below a regular file fails");
    is_str(what, "cannot create the directory", "... and says why");

    st = reopen(&o, &p);
    ok(st != NULL, "open after prepare");
    is_status(vc_store_stats(st, &stats), APR_SUCCESS, "stats");
    is_u64(stats.keys, 0, "a new store holds no keys");
    stop(st, p);
}

static void test_hits(void)
{
    apr_int64_t t = AT(DAY, NOON), midnight = AT(DAY + 1, 0);
    vc_visit_t a = visit(1, 0, 1800, 1), b = visit(2, 0, 1800, 1);
    vc_visit_t v;
    vc_store_options_t o;
    vc_counts_t c;
    apr_pool_t *p;
    vc_store_t *st;

    options_for(&o, "hits");
    if (!(st = start(&o, &p))) {
        return;
    }
    counted(st, "home", t, 1, 0, "a new key's first hit: 1/0");
    counted(st, "home", t, 2, 0, "no visitor: every hit counts");

    hit_is(st, "visits", &a, t, APR_SUCCESS, VC_HIT_COUNTED, 1, 1,
           "a visitor's first hit counts, as a unique visitor");
    hit_is(st, "visits", &a, t + 60, APR_SUCCESS, 0, 1, 1,
           "a repeat inside the window is a duplicate");
    hit_is(st, "visits", &a, t + 1799, APR_SUCCESS, 0, 1, 1,
           "... up to its last second");
    hit_is(st, "visits", &a, t + 1800, APR_SUCCESS, VC_HIT_COUNTED, 2, 1,
           "after the window it counts again, but not as unique");
    hit_is(st, "visits", &a, t + 1810, APR_SUCCESS, 0, 2, 1,
           "that hit begins a new window");
    hit_is(st, "visits", &b, t + 1820, APR_SUCCESS, VC_HIT_COUNTED, 3, 2,
           "another visitor is unique visitor 2");
    hit_is(st, "visits", &a, t + VC_DAY_SECONDS, APR_SUCCESS, VC_HIT_COUNTED,
           4, 3, "the next UTC day the first visitor is unique again");
    hit_is(st, "visits", &a, t + VC_DAY_SECONDS + 5, APR_SUCCESS, 0, 4, 3,
           "... and deduplicated again");

    /* Visitor 3 before midnight is visitor 4 after it. */
    v = visit(3, 0, 1800, 1);
    hit_is(st, "night", &v, midnight - 60, APR_SUCCESS, VC_HIT_COUNTED, 1, 1,
           "a visit begins a minute before midnight");
    v = visit(4, 3, 1800, 1);
    hit_is(st, "night", &v, midnight + 60, APR_SUCCESS, 0, 1, 1,
           "yesterday's id keeps it a duplicate just after midnight");
    hit_is(st, "night", &v, midnight + 1740, APR_SUCCESS, VC_HIT_COUNTED, 2, 2,
           "when its window ends it counts, as today's unique visitor");
    hit_is(st, "night", &v, midnight + 1750, APR_SUCCESS, 0, 2, 2,
           "... and today's record dedupes it from then on");
    v = visit(5, 0, 1800, 1);
    hit_is(st, "night", &v, midnight - 60, APR_SUCCESS, VC_HIT_COUNTED, 3, 3,
           "another visit begins before midnight");
    v = visit(6, 0, 1800, 1);
    hit_is(st, "night", &v, midnight + 60, APR_SUCCESS, VC_HIT_COUNTED, 4, 4,
           "without yesterday's id, the same person counts after midnight");

    v = visit(7, 0, 0, 1);
    hit_is(st, "modes", &v, t, APR_SUCCESS, VC_HIT_COUNTED, 1, 1,
           "dedupe off: the first hit counts as unique");
    hit_is(st, "modes", &v, t + 1, APR_SUCCESS, VC_HIT_COUNTED, 2, 1,
           "dedupe off: a repeat counts, not as unique");
    v = visit(8, 0, 1800, 0);
    hit_is(st, "modes", &v, t + 2, APR_SUCCESS, VC_HIT_COUNTED, 3, 1,
           "unique off: a new visitor counts, not as unique");
    hit_is(st, "modes", &v, t + 3, APR_SUCCESS, 0, 3, 1,
           "unique off: repeats are still deduplicated");

    get_is(st, "visits", 1, 4, 3, "get: a key that was hit");
    get_is(st, "night", 1, 4, 4, "get: another");
    get_is(st, "never", 0, 0, 0, "get: a key never hit reads 0/0, not found");
    memset(&c, 0xff, sizeof(c));
    ok(vc_store_get(st, "home", &c, NULL) == APR_SUCCESS
       && c.count == 2 && c.unique == 0, "get with found NULL");
    stop(st, p);
}

static void test_history(void)
{
    vc_visit_t a = visit(1, 0, 1800, 1);
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;

    options_for(&o, "history");
    if (!(st = start(&o, &p))) {
        return;
    }
    counted(st, "g", AT(DAY, NOON), 1, 0, "a key sorting before h");
    hit_is(st, "h", &a, AT(DAY, NOON), APR_SUCCESS, VC_HIT_COUNTED, 1, 1,
           "h: day 0, a visitor");
    counted(st, "h", AT(DAY, NOON + 1), 2, 1, "h: day 0 again");
    counted(st, "h", AT(DAY + 1, 0), 3, 1, "h: day 1, at midnight");
    counted(st, "h2", AT(DAY, NOON), 1, 0, "a key sorting after h");
    is_str(history_of(st, "h", DAY + 2, 4), "0/0 2/1 1/0 0/0 = 3/1",
           "4 days ending day 2: oldest first, zeros for days without hits");
    is_str(history_of(st, "h", DAY + 1, 1), "1/0 = 3/1", "one day");

    counted(st, "h", AT(DAY + 3, NOON), 4, 1, "h: day 3, a new bucket");
    is_str(history_of(st, "h", DAY + 3, 5), "0/0 0/0 1/0 0/0 1/0 = 4/1",
           "the new bucket dropped day 0, older than 3 days of history");
    counted(st, "h", AT(DAY + 3, NOON + 1), 5, 1, "h: day 3 again");
    counted(st, "h", AT(DAY + 5, NOON), 6, 1, "h: day 5");
    is_str(history_of(st, "h", DAY + 5, 6), "0/0 0/0 0/0 2/0 0/0 1/0 = 6/1",
           "day 5's bucket dropped day 1");
    is_str(history_of(st, "h", DAY + 7, 3), "1/0 0/0 0/0 = 6/1",
           "days after the last hit read as zeros");
    is_str(history_of(st, "g", DAY + 5, 6), "1/0 0/0 0/0 0/0 0/0 0/0 = 1/0",
           "the key before keeps its buckets (only maintenance trims it)");
    is_str(history_of(st, "h2", DAY + 5, 6), "1/0 0/0 0/0 0/0 0/0 0/0 = 1/0",
           "the key after keeps its buckets");
    is_str(history_of(st, "never", DAY, 2), "0/0 0/0 = 0/0",
           "a key never hit: zeros");
    stop(st, p);
}

static void test_admin(void)
{
    static const char *const more_keys[] = { "b", "c", "d", "e" };
    const vc_counts_t ten = { 10, 3 }, zero = { 0, 0 }, one = { 1, 0 };
    const vc_counts_t twenty = { 20, 4 };
    apr_int64_t t = AT(DAY, NOON);
    vc_store_stats_t stats;
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;
    int existed, i;

    options_for(&o, "admin");
    if (!(st = start(&o, &p))) {
        return;
    }
    is_status(vc_store_set(st, "a", &ten), APR_SUCCESS, "set a new key");
    get_is(st, "a", 1, 10, 3, "get reads what was set");
    is_status(vc_store_set(st, "a", &zero), APR_SUCCESS, "set it to zeros");
    get_is(st, "a", 1, 0, 0, "a key set to zeros still exists");
    is_status(vc_store_set(st, "a", &ten), APR_SUCCESS, "set it back");
    for (i = 0; i < 4; i++) {
        is_status(vc_store_set(st, more_keys[i], &one), APR_SUCCESS,
                  apr_psprintf(pool, "set key %s", more_keys[i]));
    }
    ok(vc_store_stats(st, &stats) == APR_SUCCESS && stats.keys == 5,
       "5 keys: the store is full");

    is_status(vc_store_set(st, "f", &one), VC_STORE_KEYS_FULL,
              "set of a sixth key: VC_STORE_KEYS_FULL");
    get_is(st, "f", 0, 0, 0, "... and it is not there");
    hit_is(st, "f", NULL, t, VC_STORE_KEYS_FULL, 0, 0, 0,
           "a hit on a sixth key: VC_STORE_KEYS_FULL");
    get_is(st, "f", 0, 0, 0, "... and it is not there");
    counted(st, "a", t, 11, 3, "an existing key still counts");
    is_status(vc_store_set(st, "a", &twenty), APR_SUCCESS,
              "set of an existing key while full");
    get_is(st, "a", 1, 20, 4, "... took effect");

    is_status(vc_store_delete(st, "e", &existed), APR_SUCCESS, "delete e");
    ok(existed == 1, "... it existed");
    existed = -1;
    is_status(vc_store_delete(st, "e", &existed), APR_SUCCESS,
              "delete e again");
    ok(existed == 0, "... it did not exist");
    get_is(st, "e", 0, 0, 0, "a deleted key reads 0/0, not found");
    counted(st, "f", t, 1, 0, "the deletion made room for a new key");
    is_status(vc_store_set(st, "g", &one), VC_STORE_KEYS_FULL,
              "then the store is full again");

    counted(st, "d", t, 2, 0, "d gets today's bucket");
    is_str(history_of(st, "d", DAY, 1), "1/0 = 2/0", "d's history");
    is_status(vc_store_delete(st, "d", &existed), APR_SUCCESS, "delete d");
    is_str(history_of(st, "d", DAY, 1), "0/0 = 0/0",
           "its history went with it");
    counted(st, "d", t, 1, 0, "hit d again");
    is_str(history_of(st, "d", DAY, 1), "1/0 = 1/0",
           "a new bucket, not the old one plus one");
    stop(st, p);
}

static void test_maxed(void)
{
    const vc_counts_t almost = { APR_UINT64_MAX - 1, 7 }, five = { 5, 7 };
    const vc_counts_t unique_max = { 0, APR_UINT64_MAX };
    apr_int64_t t = AT(DAY, NOON);
    vc_visit_t v = visit(1, 0, 1800, 1), w = visit(2, 0, 1800, 1);
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;

    options_for(&o, "maxed");
    if (!(st = start(&o, &p))) {
        return;
    }
    is_status(vc_store_set(st, "a", &almost), APR_SUCCESS, "set 2^64-2");
    counted(st, "a", t, APR_UINT64_MAX, 7, "a hit reaches 2^64-1");
    hit_is(st, "a", NULL, t, VC_STORE_MAXED, 0, 0, 0,
           "the next hit: VC_STORE_MAXED");
    hit_is(st, "a", &v, t, VC_STORE_MAXED, 0, 0, 0,
           "a visitor's hit: VC_STORE_MAXED");
    get_is(st, "a", 1, APR_UINT64_MAX, 7, "the count did not change");
    is_str(history_of(st, "a", DAY, 1), "1/0 = 18446744073709551615/7",
           "nor did today's bucket");
    is_status(vc_store_set(st, "a", &five), APR_SUCCESS, "set 5/7");
    hit_is(st, "a", &v, t + 1, APR_SUCCESS, VC_HIT_COUNTED, 6, 8,
           "the refused hit's visitor was not remembered");

    is_status(vc_store_set(st, "u", &unique_max), APR_SUCCESS,
              "set unique to 2^64-1");
    hit_is(st, "u", &w, t, APR_SUCCESS, VC_HIT_COUNTED, 1, APR_UINT64_MAX,
           "a new visitor counts; unique stays at 2^64-1");
    stop(st, p);
}

static void test_list(void)
{
    /* In byte order; set in another order, each to its place in it. */
    static const char *const sorted[] = {
        "A.x", "B", "a", "b", "b/1", "b/2", "b0", "ba", "c", "~"
    };
    static const int set_order[] = { 8, 5, 9, 2, 7, 1, 3, 0, 6, 4 };
    const char *all = "A.x B a b b/1 b/2 b0 ba c ~";
    apr_array_header_t *entries;
    vc_store_stats_t stats;
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;
    int i, more, in_place = 1;

    options_for(&o, "list");
    o.max_keys = 16;
    if (!(st = start(&o, &p))) {
        return;
    }
    for (i = 0; i < 10; i++) {
        vc_counts_t c;
        c.count = (apr_uint64_t)set_order[i] + 1;
        c.unique = (apr_uint64_t)set_order[i];
        if (vc_store_set(st, sorted[set_order[i]], &c) != APR_SUCCESS) {
            in_place = 0;
        }
    }
    ok(in_place, "10 keys set");

    list_is(st, "", "", 100, all, 0, "all keys, in byte order");
    in_place = vc_store_list(st, "", "", 100, &entries, &more, pool)
               == APR_SUCCESS && entries->nelts == 10;
    for (i = 0; in_place && i < 10; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(entries, i, vc_entry_t);
        in_place = e->counts.count == (apr_uint64_t)i + 1
                   && e->counts.unique == (apr_uint64_t)i;
    }
    ok(in_place, "each key with its own counts");
    list_is(st, "", "", 10, all, 0, "a limit of exactly the number of keys");
    list_is(st, "b", "", 100, "b b/1 b/2 b0 ba", 0, "prefix b");
    list_is(st, "b", "", 5, "b b/1 b/2 b0 ba", 0,
            "prefix b, limit 5: nothing more with the prefix");
    list_is(st, "b/", "", 100, "b/1 b/2", 0, "prefix b/");
    list_is(st, "b", "b", 100, "b/1 b/2 b0 ba", 0, "after is exclusive");
    list_is(st, "b", "b/", 100, "b/1 b/2 b0 ba", 0, "after need not be a key");
    list_is(st, "b", "a", 100, "b b/1 b/2 b0 ba", 0,
            "after sorting before the prefix");
    list_is(st, "b", "c", 100, "", 0, "after sorting past the prefix");
    list_is(st, "zz", "", 100, "", 0, "a prefix no key has");
    list_is(st, "", "~", 100, "", 0, "after the last key");

    list_is(st, "", "", 3, "A.x B a", 1, "page 1 of 3 keys");
    list_is(st, "", "a", 3, "b b/1 b/2", 1, "page 2");
    list_is(st, "", "b/2", 3, "b0 ba c", 1, "page 3");
    list_is(st, "", "c", 3, "~", 0, "page 4, the last");
    list_is(st, "b", "", 2, "b b/1", 1, "prefix b, page 1 of 2 keys");
    list_is(st, "b", "b/1", 2, "b/2 b0", 1, "prefix b, page 2");
    list_is(st, "b", "b0", 2, "ba", 0, "prefix b, page 3, the last");

    is_status(vc_store_stats(st, &stats), APR_SUCCESS, "stats");
    is_u64(stats.keys, 10, "stats: keys is the number of keys");
    ok(stats.used_bytes > 0 && stats.used_bytes <= stats.size_bytes,
       "stats: 0 < used_bytes <= size_bytes (%" APR_UINT64_T_FMT ")",
       stats.used_bytes);
    is_u64(stats.size_bytes, MIB, "stats: size_bytes is the map size");
    stop(st, p);
}

static int secret_is(vc_store_t *st, apr_int64_t day, int create,
                     int want_found, unsigned char *secret, const char *name)
{
    int found = -1;
    apr_status_t rv = vc_store_secret(st, day, create, AT(day, 0), secret,
                                      &found);
    int pass = ok(rv == APR_SUCCESS && found == want_found, "%s", name);

    if (!pass) {
        printf("#   status %d, found %d\n", rv, found);
    }
    return pass;
}

static int all_zero(const unsigned char *s)
{
    int i;

    for (i = 0; i < VC_SECRET_LEN; i++) {
        if (s[i]) {
            return 0;
        }
    }
    return 1;
}

static void test_secret(void)
{
    unsigned char s0[VC_SECRET_LEN], s1[VC_SECRET_LEN], s2[VC_SECRET_LEN];
    unsigned char again[VC_SECRET_LEN];
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;

    options_for(&o, "secret");
    if (!(st = start(&o, &p))) {
        return;
    }
    secret_is(st, DAY, 0, 0, s1, "create=0 on a day without one: not found");
    secret_is(st, DAY, 1, 1, s1, "create=1 makes one");
    ok(!all_zero(s1), "... of random bytes");
    secret_is(st, DAY, 1, 1, again, "create=1 again");
    ok(memcmp(again, s1, VC_SECRET_LEN) == 0, "... gives the same 32 bytes");
    secret_is(st, DAY, 0, 1, again, "create=0 now finds it");
    ok(memcmp(again, s1, VC_SECRET_LEN) == 0, "... the same");
    secret_is(st, DAY + 1, 1, 1, s2, "the next day's");
    secret_is(st, DAY - 1, 1, 1, s0, "the day before's");
    ok(memcmp(s0, s1, VC_SECRET_LEN) && memcmp(s1, s2, VC_SECRET_LEN)
       && memcmp(s0, s2, VC_SECRET_LEN), "three days, three secrets");
    stop(st, p);

    if (!(st = reopen(&o, &p))) {
        return;
    }
    secret_is(st, DAY, 0, 1, again, "after reopening, create=0 finds it");
    ok(memcmp(again, s1, VC_SECRET_LEN) == 0, "... the same 32 bytes");
    secret_is(st, DAY, 1, 1, again, "create=1 after reopening");
    ok(memcmp(again, s1, VC_SECRET_LEN) == 0, "... the same again");
    secret_is(st, DAY - 1, 0, 1, again, "the day before's, read back");
    ok(memcmp(again, s0, VC_SECRET_LEN) == 0, "... unchanged");
    secret_is(st, DAY + 1, 0, 1, again, "the next day's, read back");
    ok(memcmp(again, s2, VC_SECRET_LEN) == 0, "... unchanged");
    secret_is(st, DAY + 2, 0, 0, again, "a day never asked for: not found");
    stop(st, p);
}

/* Runs the maintenance on o at now, keeping from day keep_from, and
 * checks what it removed. */
static void maintain_is(const vc_store_options_t *o, apr_int64_t now,
                        apr_int64_t keep_from, apr_size_t secrets,
                        apr_size_t seen, apr_size_t buckets, const char *name)
{
    const char *what = "";
    vc_purged_t purged;
    apr_status_t rv = vc_store_maintain(o, now, keep_from, &purged, &what,
                                        pool);
    int pass = rv == APR_SUCCESS && purged.secrets == secrets
               && purged.seen == seen && purged.buckets == buckets;

    ok(pass, "%s", name);
    if (!pass) {
        printf("#          got: status %d (%s), %" APR_SIZE_T_FMT " secrets, %"
               APR_SIZE_T_FMT " seen, %" APR_SIZE_T_FMT " buckets\n"
               "#     expected: %" APR_SIZE_T_FMT " secrets, %" APR_SIZE_T_FMT
               " seen, %" APR_SIZE_T_FMT " buckets\n", rv, what,
               purged.secrets, purged.seen, purged.buckets, secrets, seen,
               buckets);
    }
}

/* Day D is DAY + 3: the maintenance runs just after its midnight (keeping
 * yesterday's visitors), once the longest visit window has passed
 * (keeping today's only), and two days later. */
static void test_maintain(void)
{
    const apr_int64_t d = DAY + 3, midnight = AT(DAY + 3, 0);
    unsigned char s[4][VC_SECRET_LEN], got[VC_SECRET_LEN];
    vc_store_options_t o;
    vc_visit_t v;
    apr_pool_t *p;
    vc_store_t *st;
    int i;

    options_for(&o, "maintain");
    if (!(st = start(&o, &p))) {
        return;
    }
    for (i = 0; i < 4; i++) {
        secret_is(st, DAY + i, 1, 1, s[i],
                  apr_psprintf(pool, "the secret of day %d", i));
    }
    counted(st, "old", AT(DAY, NOON), 1, 0, "old: one hit on day 0");
    v = visit(1, 0, 1800, 1);
    hit_is(st, "k", &v, AT(DAY, NOON), APR_SUCCESS, VC_HIT_COUNTED, 1, 1,
           "k: visitor 1 on day 0");
    v = visit(2, 0, 1800, 1);
    hit_is(st, "k", &v, AT(DAY, NOON), APR_SUCCESS, VC_HIT_COUNTED, 2, 2,
           "k: visitor 2 on day 0");
    counted(st, "mid", AT(DAY + 1, NOON), 1, 0, "mid: one hit on day 1");
    v = visit(3, 0, 1800, 1);
    hit_is(st, "k", &v, midnight - 100, APR_SUCCESS, VC_HIT_COUNTED, 3, 3,
           "k: visitor 3 just before day 3");
    v = visit(4, 0, 1800, 1);
    hit_is(st, "k", &v, midnight + 30, APR_SUCCESS, VC_HIT_COUNTED, 4, 4,
           "k: visitor 4 just after (its new bucket drops k's day 0)");
    stop(st, p);

    maintain_is(&o, midnight + 60, d - 1, 2, 2, 1,
                "just after midnight: the secrets of days 0 and 1, the 2 "
                "visitors of day 0 and old's bucket of day 0");
    if (!(st = reopen(&o, &p))) {
        return;
    }
    v = visit(5, 3, 1800, 1);
    hit_is(st, "k", &v, midnight + 120, APR_SUCCESS, 0, 4, 4,
           "yesterday's visitors are kept: visitor 3's visit goes on");
    secret_is(st, d - 1, 0, 1, got, "yesterday's secret is kept");
    ok(memcmp(got, s[2], VC_SECRET_LEN) == 0, "... unchanged");
    secret_is(st, DAY + 1, 0, 0, got, "day 1's secret is gone");
    secret_is(st, DAY, 0, 0, got, "day 0's secret is gone");
    is_str(history_of(st, "old", d, 4), "0/0 0/0 0/0 0/0 = 1/0",
           "old's bucket is gone, its totals stay");
    is_str(history_of(st, "mid", d, 4), "0/0 1/0 0/0 0/0 = 1/0",
           "mid's bucket of day 1 is inside the history: kept");
    is_str(history_of(st, "k", d, 4), "0/0 0/0 1/1 1/1 = 4/4",
           "k's buckets of days 2 and 3 are kept");
    stop(st, p);

    maintain_is(&o, midnight + 1800, d, 1, 1, 0,
                "once the longest visit is over: yesterday's secret and "
                "visitor");
    maintain_is(&o, midnight + 1800, d, 0, 0, 0,
                "run again, it finds nothing more");
    if (!(st = reopen(&o, &p))) {
        return;
    }
    secret_is(st, d - 1, 0, 0, got, "yesterday's secret is gone");
    secret_is(st, d, 0, 1, got, "today's is kept");
    ok(memcmp(got, s[3], VC_SECRET_LEN) == 0, "... unchanged");
    stop(st, p);

    maintain_is(&o, AT(d + 2, NOON), d + 2, 1, 1, 2,
                "two days later: day 3's secret and visitor, and mid's and "
                "k's buckets older than 3 days");
    if (!(st = reopen(&o, &p))) {
        return;
    }
    secret_is(st, d, 0, 0, got, "day 3's secret is gone");
    is_str(history_of(st, "k", d + 2, 6), "0/0 0/0 0/0 1/1 0/0 0/0 = 4/4",
           "k keeps day 3's bucket only");
    is_str(history_of(st, "mid", d + 2, 6), "0/0 0/0 0/0 0/0 0/0 0/0 = 1/0",
           "mid has no bucket left");
    stop(st, p);
}

/* Under a threaded MPM the store runs group commit (group, relaxed) and a
 * flusher thread (relaxed); one thread's hits go through them alike. */
static void test_modes(void)
{
    static const vc_durability_e modes[] = {
        VC_DURABILITY_STRICT, VC_DURABILITY_GROUP, VC_DURABILITY_RELAXED
    };
    unsigned char secret[VC_SECRET_LEN];
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;
    int i;

    for (i = 0; i < 3; i++) {
        const char *mode = vc_durability_name(modes[i]);

        options_for(&o, apr_pstrcat(pool, "threaded-", mode, NULL));
        o.threaded = 1;
        o.durability = modes[i];
        if (!(st = start(&o, &p))) {
            continue;
        }
        counted(st, "a", AT(DAY, NOON), 1, 0,
                apr_psprintf(pool, "threaded, %s: a hit", mode));
        counted(st, "a", AT(DAY, NOON), 2, 0,
                apr_psprintf(pool, "threaded, %s: another", mode));
        get_is(st, "a", 1, 2, 0, apr_psprintf(pool, "threaded, %s: get", mode));
        secret_is(st, DAY, 1, 1, secret,
                  apr_psprintf(pool, "threaded, %s: a secret", mode));
        stop(st, p);
    }
    is_str(vc_durability_name(VC_DURABILITY_STRICT), "strict", "strict");
    is_str(vc_durability_name(VC_DURABILITY_GROUP), "group", "group");
    is_str(vc_durability_name(VC_DURABILITY_RELAXED), "relaxed", "relaxed");
}

/* Group commit under real concurrency: THREADS threads hit one key at
 * once, each HITS times, then all of them as one visitor. */
#define THREADS 8
#define HITS 100

typedef struct {
    vc_store_t *st;
    apr_uint64_t seen[HITS];    /* the count after each of its hits */
    int failed;
    int visitor_counted;
} hitter_t;

static void *APR_THREAD_FUNC hitter(apr_thread_t *thread, void *data)
{
    hitter_t *h = data;
    vc_visit_t v = visit(9, 0, 1800, 1);
    vc_counts_t after = { 0, 0 };
    unsigned int result;
    int i;

    for (i = 0; i < HITS; i++) {
        if (vc_store_hit(h->st, "g", NULL, AT(DAY, NOON), &after, &result)
            != APR_SUCCESS || !(result & VC_HIT_COUNTED)) {
            h->failed++;
        }
        h->seen[i] = after.count;
    }
    if (vc_store_hit(h->st, "v", &v, AT(DAY, NOON), &after, &result)
        != APR_SUCCESS) {
        h->failed++;
    }
    h->visitor_counted = (result & VC_HIT_COUNTED) != 0;
    (void)thread;
    return NULL;
}

static void test_group_threads(void)
{
    static const vc_durability_e modes[] = {
        VC_DURABILITY_GROUP, VC_DURABILITY_RELAXED
    };
    static hitter_t hitters[THREADS];
    static unsigned char seen[THREADS * HITS + 1];
    apr_thread_t *threads[THREADS];
    vc_store_options_t o;
    apr_pool_t *p;
    vc_store_t *st;
    int m, i, j, failed, exact, visitors;

    for (m = 0; m < 2; m++) {
        const char *mode = vc_durability_name(modes[m]);

        options_for(&o, apr_pstrcat(pool, "concurrent-", mode, NULL));
        o.threaded = 1;
        o.durability = modes[m];
        if (!(st = start(&o, &p))) {
            continue;
        }
        memset(hitters, 0, sizeof(hitters));
        for (i = 0; i < THREADS; i++) {
            hitters[i].st = st;
            if (apr_thread_create(&threads[i], NULL, hitter, &hitters[i], p)) {
                threads[i] = NULL;
                hitters[i].failed = -1;
            }
        }
        for (i = 0; i < THREADS; i++) {
            apr_status_t ignored;
            if (threads[i]) {
                apr_thread_join(&ignored, threads[i]);
            }
        }
        memset(seen, 0, sizeof(seen));
        failed = visitors = 0;
        exact = 1;
        for (i = 0; i < THREADS; i++) {
            failed += hitters[i].failed;
            visitors += hitters[i].visitor_counted;
            for (j = 0; j < HITS; j++) {
                apr_uint64_t c = hitters[i].seen[j];
                if (c < 1 || c > THREADS * HITS || seen[c]++) {
                    exact = 0;
                }
            }
        }
        ok(failed == 0, "%s, %d threads: every hit counted", mode, THREADS);
        ok(exact, "%s: the counts after the hits are 1 to %d, each once",
           mode, THREADS * HITS);
        get_is(st, "g", 1, THREADS * HITS, 0,
               apr_psprintf(pool, "%s: the final count", mode));
        ok(visitors == 1, "%s: one visitor in %d threads at once counts once",
           mode, THREADS);
        get_is(st, "v", 1, 1, 1, apr_psprintf(pool, "%s: 1/1", mode));
        stop(st, p);
    }
}

/* The record of visitors holds VC_SEEN_MAX(map size) entries: a small
 * map (32 pages) keeps the test short. */
static void test_seen_full(void)
{
    const apr_uint64_t map = 32 * (apr_uint64_t)sysconf(_SC_PAGESIZE);
    const apr_size_t seen_max = (apr_size_t)VC_SEEN_MAX(map);
    apr_int64_t t = AT(DAY, NOON);
    unsigned char id[VC_VISITOR_LEN];
    vc_store_options_t o;
    vc_counts_t after;
    vc_visit_t v = visit(0, 0, 1800, 1);
    apr_pool_t *p;
    vc_store_t *st;
    apr_size_t i;
    unsigned int result;
    int all = 1;

    options_for(&o, "seen-full");
    o.map_size = map;
    if (!(st = start(&o, &p))) {
        return;
    }
    v.id = id;
    memset(id, 0, sizeof(id));
    for (i = 0; i < seen_max && all; i++) {
        memcpy(id, &i, sizeof(i));
        all = vc_store_hit(st, "k", &v, t, &after, &result) == APR_SUCCESS
              && result == VC_HIT_COUNTED;
    }
    ok(all && after.count == seen_max && after.unique == seen_max,
       "%" APR_SIZE_T_FMT " visitors fill the record of visitors", seen_max);
    memcpy(id, &i, sizeof(i));
    hit_is(st, "k", &v, t, APR_SUCCESS, VC_HIT_COUNTED | VC_HIT_SEEN_FULL,
           seen_max + 1, seen_max,
           "one more counts, not as unique, and says the record is full");
    hit_is(st, "k", &v, t + 1, APR_SUCCESS, VC_HIT_COUNTED | VC_HIT_SEEN_FULL,
           seen_max + 2, seen_max, "it was not remembered: its repeat counts");
    i = 0;
    memcpy(id, &i, sizeof(i));
    hit_is(st, "k", &v, t + 2, APR_SUCCESS, 0, seen_max + 2, seen_max,
           "a remembered visitor is still deduplicated");
    stop(st, p);
}

/* A 125-byte key: 120 zeros, then n in 5 digits. */
static const char *long_key(unsigned int n)
{
    return apr_psprintf(pool, "%0120d%05u", 0, n);
}

/* A full map (16 pages): every write is refused, reads go on, and a
 * larger map after a restart carries on with everything kept. */
static void test_map_full(void)
{
    const apr_uint64_t page = (apr_uint64_t)sysconf(_SC_PAGESIZE);
    vc_store_stats_t stats;
    vc_store_options_t o;
    apr_status_t rv = APR_SUCCESS;
    apr_pool_t *p;
    vc_store_t *st;
    unsigned int n;
    int existed = -1;

    options_for(&o, "map-full");
    o.map_size = 16 * page;
    o.max_keys = 100000;
    if (!(st = start(&o, &p))) {
        return;
    }
    for (n = 0; n < 10000 && rv == APR_SUCCESS; n++) {
        const vc_counts_t c = { n + 1, 0 };
        rv = vc_store_set(st, long_key(n), &c);
    }
    n--;                                /* the key refused */
    is_status(rv, VC_STORE_FULL, "keys fill the map: VC_STORE_FULL");
    ok(n > 0, "... after %u keys", n);
    get_is(st, long_key(n), 0, 0, 0, "the refused key is not there");
    get_is(st, long_key(0), 1, 1, 0, "reads go on");
    ok(vc_store_stats(st, &stats) == APR_SUCCESS && stats.keys == n
       && stats.used_bytes <= stats.size_bytes,
       "stats go on: %u keys", n);
    hit_is(st, "new", NULL, AT(DAY, NOON), VC_STORE_FULL, 0, 0, 0,
           "a hit when full: VC_STORE_FULL");
    get_is(st, "new", 0, 0, 0, "... nothing stored");
    is_status(vc_store_delete(st, long_key(0), &existed), VC_STORE_FULL,
              "even a deletion needs free pages: VC_STORE_FULL");
    get_is(st, long_key(0), 1, 1, 0, "... the key is still there");
    stop(st, p);

    o.map_size = 32 * page;
    if (!(st = start(&o, &p))) {
        return;
    }
    ok(vc_store_stats(st, &stats) == APR_SUCCESS && stats.keys == n
       && stats.size_bytes == 32 * page,
       "a restart with a larger map: every key still there");
    counted(st, "new", AT(DAY, NOON), 1, 0, "... and hits count again");
    get_is(st, long_key(n - 1), 1, n, 0, "... the last key set kept its count");
    stop(st, p);
}

static void test_strerror(void)
{
    static const struct { apr_status_t code; const char *name; } codes[] = {
        { VC_STORE_FULL, "VC_STORE_FULL" },
        { VC_STORE_MAXED, "VC_STORE_MAXED" },
        { VC_STORE_BADFORMAT, "VC_STORE_BADFORMAT" },
        { VC_STORE_CLOSED, "VC_STORE_CLOSED" },
        { VC_STORE_KEYS_FULL, "VC_STORE_KEYS_FULL" },
        { VC_STORE_DOWN, "VC_STORE_DOWN" },
        { VC_STORE_TIMEOUT, "VC_STORE_TIMEOUT" },
        { VC_STORE_FAILFAST, "VC_STORE_FAILFAST" },
        { VC_STORE_ENGINE, "VC_STORE_ENGINE" },
        { VC_STORE_UNREPLICATED, "VC_STORE_UNREPLICATED" },
        { VC_STORE_UNSUPPORTED, "VC_STORE_UNSUPPORTED" },
        { VC_STORE_NOMEM, "VC_STORE_NOMEM" },
        { VC_STORE_LMDB_BASE, "VC_STORE_LMDB_BASE" },
        { VC_STORE_LMDB_BASE + 1, "VC_STORE_LMDB_BASE + 1" },
        { VC_STORE_LMDB_LAST, "VC_STORE_LMDB_LAST" },
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    const char *texts[sizeof(codes) / sizeof(codes[0])];
    char buf[120];
    size_t i, j;
    int distinct = 1;

    for (i = 0; i < n; i++) {
        texts[i] = vc_store_strerror(codes[i].code, buf, sizeof(buf));
        texts[i] = texts[i] ? apr_pstrdup(pool, texts[i]) : NULL;
        ok(texts[i] && *texts[i], "%s has a text: %s", codes[i].name,
           texts[i] ? texts[i] : "(null)");
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (texts[i] && texts[j] && strcmp(texts[i], texts[j]) == 0) {
                distinct = 0;
            }
        }
    }
    ok(distinct, "no two codes share a text");
    ok(texts[0] && strstr(texts[0], "MDB_MAP_FULL"),
       "VC_STORE_FULL is LMDB's MDB_MAP_FULL");
    ok(texts[12] && strstr(texts[12], "MDB_KEYEXIST"),
       "VC_STORE_LMDB_BASE is LMDB's first error, MDB_KEYEXIST");
    ok(texts[13] && strstr(texts[13], "MDB_NOTFOUND"),
       "VC_STORE_LMDB_BASE + 1 is MDB_NOTFOUND");
    ok(*vc_store_strerror(APR_ENOTDIR, buf, sizeof(buf)),
       "an APR status gets APR's text");
}

static void test_closed(void)
{
    const vc_counts_t one = { 1, 0 };
    unsigned char secret[VC_SECRET_LEN];
    apr_array_header_t *entries;
    vc_store_stats_t stats;
    vc_counts_t c, daily[1];
    unsigned int result = 99;
    int found = -1, existed = -1, more;

    is_status(vc_store_hit(NULL, "a", NULL, 0, &c, &result), VC_STORE_CLOSED,
              "hit on a NULL store: VC_STORE_CLOSED");
    ok(result == 0, "... nothing counted");
    is_status(vc_store_get(NULL, "a", &c, &found), VC_STORE_CLOSED, "get");
    is_status(vc_store_history(NULL, "a", &c, DAY, 1, daily, pool),
              VC_STORE_CLOSED, "history");
    is_status(vc_store_secret(NULL, DAY, 1, 0, secret, &found),
              VC_STORE_CLOSED, "secret");
    ok(found == 0, "... not found");
    is_status(vc_store_set(NULL, "a", &one), VC_STORE_CLOSED, "set");
    is_status(vc_store_delete(NULL, "a", &existed), VC_STORE_CLOSED, "delete");
    ok(existed == 0, "... nothing existed");
    is_status(vc_store_list(NULL, "", "", 10, &entries, &more, pool),
              VC_STORE_CLOSED, "list");
    memset(&stats, 0xff, sizeof(stats));
    is_status(vc_store_stats(NULL, &stats), VC_STORE_CLOSED, "stats");
    ok(stats.keys == 0 && stats.used_bytes == 0 && stats.size_bytes == 0,
       "... all zeros");
    vc_store_close(NULL);
    ok(1, "closing a NULL store does nothing");
}

int main(void)
{
    const char *base = NULL;
    apr_finfo_t fi;
    char *dir;
    int i, j;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    for (i = 1; i < 10; i++) {
        for (j = 0; j < VC_VISITOR_LEN; j++) {
            ids[i][j] = (unsigned char)(i * 16 + j);
        }
    }
    if (apr_temp_dir_get(&base, pool) != APR_SUCCESS) {
        base = "/tmp";
    }
    dir = apr_pstrcat(pool, base, "/vc-test-store-XXXXXX", NULL);
    if (!mkdtemp(dir)) {
        printf("Bail out! cannot make a directory like %s\n", dir);
        return 1;
    }
    tmpdir = dir;

    test_prepare();
    test_hits();
    test_history();
    test_admin();
    test_maxed();
    test_list();
    test_secret();
    test_maintain();
    test_modes();
    test_group_threads();
    test_seen_full();
    test_map_full();
    test_strerror();
    test_closed();

    remove_tree(tmpdir);
    ok(apr_stat(&fi, tmpdir, APR_FINFO_TYPE, pool) != APR_SUCCESS,
       "the temporary directory is removed");
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
