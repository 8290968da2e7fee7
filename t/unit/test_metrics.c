/* Unit tests for what the metrics handler builds on: Prometheus label
 * escaping (vc_prom.c), and vc_store_top() over a real LMDB store holding
 * more keys than one page of its walk, with tied counts, checked against
 * a plain sort of every key; n of 0, n beyond the keys, and a store that
 * is not open.
 */
#include "apr_general.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_prom.h"
#include "../../mod_visitcount/vc_store_top.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#define NKEYS 2345              /* more than two pages of VC_TOP_PAGE */

static apr_pool_t *pool;

static void test_label(void)
{
    const char *plain = "a/b.c~d-e_f";

    ok(vc_prom_label(pool, plain) == plain, "nothing to escape: as is");
    is_str(vc_prom_label(pool, "a\\b"), "a\\\\b", "backslash");
    is_str(vc_prom_label(pool, "say \"hi\""), "say \\\"hi\\\"", "quotes");
    is_str(vc_prom_label(pool, "one\ntwo\n"), "one\\ntwo\\n", "line feeds");
    is_str(vc_prom_label(pool, "\\\"\n"), "\\\\\\\"\\n", "all three");
    is_str(vc_prom_label(pool, ""), "", "empty");
    is_str(vc_prom_label(pool, "caf\xc3\xa9\t"), "caf\xc3\xa9\t",
           "UTF-8 and tabs as is");
}

/* The count given to key i: many ties, in no order of the keys. */
static apr_uint64_t count_of(int i)
{
    return (apr_uint64_t)((i * 7919) % 613);
}

static const char *key_of(int i)
{
    return apr_psprintf(pool, "k/%05d", (i * 4241) % NKEYS);
}

static int by_rank(const void *a, const void *b)
{
    const vc_entry_t *x = a, *y = b;

    if (x->counts.count != y->counts.count) {
        return x->counts.count < y->counts.count ? 1 : -1;
    }
    return strcmp(x->key, y->key);
}

/* vc_store_top(st, n) against the first n of the sorted keys. */
static void check_top(vc_store_t *st, const vc_entry_t *sorted,
                      unsigned int n)
{
    apr_array_header_t *top = NULL;
    unsigned int want = n < NKEYS ? n : NKEYS, i, same = 0;

    ok(vc_store_top(st, n, &top, pool) == APR_SUCCESS, "top %u: read", n);
    is_u64((apr_uint64_t)top->nelts, want, "top %u: %u entries", n, want);
    for (i = 0; i < want && i < (unsigned int)top->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(top, i, vc_entry_t);
        same += !strcmp(e->key, sorted[i].key)
                && e->counts.count == sorted[i].counts.count
                && e->counts.unique == sorted[i].counts.unique;
    }
    is_u64(same, want, "top %u: highest counts first, ties by key", n);
}

static void test_top(const char *dir)
{
    vc_store_options_t o;
    vc_entry_t *all = apr_pcalloc(pool, NKEYS * sizeof(*all));
    apr_array_header_t *top = NULL;
    vc_store_t *st = NULL;
    const char *what = "";
    int i, stored = 0;

    memset(&o, 0, sizeof(o));
    o.url.kind = VC_STORE_LMDB;
    o.history_days = 3;
    o.max_keys = NKEYS;
    o.longest_dedupe = 1800;
    o.dir = dir;
    o.map_size = 8 * 1024 * 1024;
    o.durability = VC_DURABILITY_RELAXED;
    o.max_readers = 126;
    ok(vc_store_prepare(&o, 0, 0, 0, &what, pool) == APR_SUCCESS
       && vc_store_open(&st, &o, &what, pool) == APR_SUCCESS, "store opens");
    for (i = 0; i < NKEYS; i++) {
        all[i].key = key_of(i);
        all[i].counts.count = count_of(i);
        all[i].counts.unique = count_of(i) / 2;
        stored += vc_store_set(st, all[i].key, &all[i].counts) == APR_SUCCESS;
    }
    is_u64(stored, NKEYS, "%d keys stored", NKEYS);
    qsort(all, NKEYS, sizeof(*all), by_rank);
    check_top(st, all, 1);
    check_top(st, all, 10);
    check_top(st, all, 1000);
    check_top(st, all, NKEYS + 5);
    ok(vc_store_top(st, 0, &top, pool) == APR_SUCCESS && top->nelts == 0,
       "top 0: nothing, and no walk");
    vc_store_close(st);
    ok(vc_store_top(NULL, 10, &top, pool) == VC_STORE_CLOSED,
       "a store that is not open: VC_STORE_CLOSED");
}

static void remove_dir(const char *dir)
{
    apr_file_remove(apr_pstrcat(pool, dir, "/data.mdb", NULL), pool);
    apr_file_remove(apr_pstrcat(pool, dir, "/lock.mdb", NULL), pool);
    ok(apr_dir_remove(dir, pool) == APR_SUCCESS,
       "the temporary directory is removed");
}

int main(void)
{
    const char *base = NULL;
    char *dir;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (apr_temp_dir_get(&base, pool) != APR_SUCCESS) {
        base = "/tmp";
    }
    dir = apr_pstrcat(pool, base, "/vc-test-metrics-XXXXXX", NULL);
    if (!mkdtemp(dir)) {
        printf("Bail out! cannot make a directory like %s\n", dir);
        return 1;
    }
    test_label();
    test_top(dir);
    remove_dir(dir);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
