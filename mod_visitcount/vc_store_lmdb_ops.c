/* The LMDB store as the module sees it: the table of operations behind
 * vc_store.h.  Each operation is one short transaction; nothing here waits
 * on a client.  Hits go through vc_store_lmdb_hit.c, which alone decides
 * whether they are grouped.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

#include "apr_strings.h"

#include <string.h>

static void lmdb_close(vc_store_t *store)
{
    vc_lmdb_env_close((vc_lmdb_t *)store);
}

static apr_status_t lmdb_open(vc_store_t **store, const vc_store_options_t *o,
                              const char **what, apr_pool_t *pool)
{
    vc_lmdb_t *st;
    apr_status_t rv;

    if ((rv = vc_lmdb_env_start(&st, o, what, pool)) != APR_SUCCESS) {
        return rv;
    }
    if (o->threaded && o->durability != VC_DURABILITY_STRICT
        && (rv = vc_lmdb_batch_create(st, pool)) != APR_SUCCESS) {
        *what = "setting up group commit";
        vc_lmdb_env_close(st);
        return rv;
    }
    *store = &st->base;
    return APR_SUCCESS;
}

static apr_status_t lmdb_hit(vc_store_t *store, const char *key,
                             const vc_visit_t *vis, apr_int64_t now,
                             vc_counts_t *after, unsigned int *result)
{
    return vc_lmdb_hit((vc_lmdb_t *)store, key, vis, now, after, result);
}

/* key's totals and, with ndays > 0, its buckets, in one snapshot. */
static apr_status_t read_key(vc_lmdb_t *st, const char *key,
                             vc_counts_t *counts, int *found,
                             apr_int64_t last_day, unsigned int ndays,
                             vc_counts_t *daily)
{
    MDB_txn *txn;
    int rc;

    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rc = vc_lmdb_read_counts(st, txn, key, counts, found);
    if (rc == MDB_SUCCESS && ndays > 0 && daily) {
        rc = vc_lmdb_read_history(st, txn, key, last_day, ndays, daily);
    }
    vc_lmdb_read_end(st, txn);
    return vc_lmdb_rc(rc);
}

static apr_status_t lmdb_get(vc_store_t *store, const char *key,
                             vc_counts_t *counts, int *found)
{
    return read_key((vc_lmdb_t *)store, key, counts, found, 0, 0, NULL);
}

static apr_status_t lmdb_history(vc_store_t *store, const char *key,
                                 vc_counts_t *counts, apr_int64_t last_day,
                                 unsigned int ndays, vc_counts_t *daily,
                                 apr_pool_t *pool)
{
    (void)pool;
    return read_key((vc_lmdb_t *)store, key, counts, NULL, last_day, ndays,
                    daily);
}

static apr_status_t lmdb_secret(vc_store_t *store, apr_int64_t day,
                                int create, apr_int64_t now,
                                unsigned char *secret, int *found)
{
    (void)now;          /* the parent's maintenance destroys it */
    return vc_lmdb_secret((vc_lmdb_t *)store, day, create, secret, found);
}

static apr_status_t lmdb_set(vc_store_t *store, const char *key,
                             const vc_counts_t *counts)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    vc_counts_t old;
    MDB_txn *txn;
    int rc, exists;

    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if ((rc = vc_lmdb_read_counts(st, txn, key, &old, &exists)) != MDB_SUCCESS
        || (!exists && (rc = vc_lmdb_room_for_key(st, txn)) != MDB_SUCCESS)
        || (rc = vc_lmdb_write_counts(st, txn, key, counts)) != MDB_SUCCESS) {
        vc_lmdb_txn_abort(st, txn);
        return rc == VC_STORE_KEYS_FULL ? VC_STORE_KEYS_FULL : vc_lmdb_rc(rc);
    }
    return vc_lmdb_rc(vc_lmdb_txn_commit(st, txn));
}

static apr_status_t lmdb_remove(vc_store_t *store, const char *key,
                                int *existed)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    MDB_txn *txn;
    MDB_val k = vc_lmdb_val(key);
    int rc;

    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rc = mdb_del(txn, st->db.counts, &k, NULL);
    *existed = rc == MDB_SUCCESS;
    if (rc == MDB_NOTFOUND) {
        rc = MDB_SUCCESS;
    }
    if (rc == MDB_SUCCESS) {
        rc = vc_lmdb_drop_history(st, txn, key, -1);
    }
    if (rc != MDB_SUCCESS) {
        vc_lmdb_txn_abort(st, txn);
        return vc_lmdb_rc(rc);
    }
    return vc_lmdb_rc(vc_lmdb_txn_commit(st, txn));
}

static apr_status_t lmdb_list(vc_store_t *store, const char *prefix,
                              const char *after, unsigned int limit,
                              apr_array_header_t **entries, int *more,
                              apr_pool_t *pool)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    apr_size_t plen = strlen(prefix);
    int rc;

    *entries = apr_array_make(pool, limit < 64 ? (int)limit : 64,
                              sizeof(vc_entry_t));
    *more = 0;
    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if ((rc = mdb_cursor_open(txn, st->db.counts, &cur)) != MDB_SUCCESS) {
        vc_lmdb_read_end(st, txn);
        return vc_lmdb_rc(rc);
    }
    /* Start at whichever of prefix and after sorts later. */
    k = strcmp(after, prefix) > 0 ? vc_lmdb_val(after) : vc_lmdb_val(prefix);
    rc = k.mv_size ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                   : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == MDB_SUCCESS && *after && k.mv_size == strlen(after)
        && memcmp(k.mv_data, after, k.mv_size) == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    while (rc == MDB_SUCCESS) {
        vc_entry_t *e;

        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) {
            break;                      /* past the prefix: sorted, so done */
        }
        if ((unsigned int)(*entries)->nelts == limit) {
            *more = 1;
            break;
        }
        if (v.mv_size < VC_RECORD_SIZE) {
            rc = MDB_CORRUPTED;
            break;
        }
        e = apr_array_push(*entries);
        e->key = apr_pstrmemdup(pool, k.mv_data, k.mv_size);
        vc_lmdb_decode(&v, &e->counts);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    vc_lmdb_read_end(st, txn);
    return rc == MDB_NOTFOUND ? APR_SUCCESS : vc_lmdb_rc(rc);
}

/* Keys held, and the pages in use out of the map. */
static apr_status_t lmdb_stats(vc_store_t *store, vc_store_stats_t *stats)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    MDB_envinfo info;
    MDB_stat ms;
    MDB_txn *txn;
    int rc;

    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rc = mdb_stat(txn, st->db.counts, &ms);
    vc_lmdb_read_end(st, txn);
    if (rc == MDB_SUCCESS) {
        stats->keys = ms.ms_entries;
        rc = mdb_env_info(st->env, &info);
    }
    if (rc == MDB_SUCCESS) {
        rc = mdb_env_stat(st->env, &ms);
    }
    if (rc == MDB_SUCCESS) {
        stats->used_bytes = (apr_uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
        stats->size_bytes = info.me_mapsize;
    }
    return vc_lmdb_rc(rc);
}

const vc_store_ops_t vc_store_lmdb_ops = {
    "lmdb",
    vc_lmdb_prepare,
    vc_lmdb_maintain,
    lmdb_open,
    lmdb_hit,
    lmdb_get,
    lmdb_history,
    lmdb_secret,
    lmdb_set,
    lmdb_remove,
    lmdb_list,
    lmdb_stats,
    lmdb_close,
    vc_lmdb_dump,
    vc_lmdb_load,
    vc_lmdb_backup,
    vc_lmdb_verify
};
