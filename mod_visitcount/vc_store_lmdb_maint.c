/* The parent's maintenance of the store: destroying the secrets and
 * seen-records of the days no visit can still need, and trimming the
 * history to VisitCountHistory, in short transactions so hits are never
 * held up for long.  Runs with the environment opened and closed around
 * it, never across fork().
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

#include <string.h>

#define PURGE_BATCH 1000        /* deletions per write transaction */

/* Decides about one record: 1 delete it, -1 stop (nothing stale
 * follows), 0 skip to *next (built in scratch, VC_BUCKET_KEY_MAX bytes). */
typedef int (*stale_fn)(const MDB_val *k, apr_int64_t keep_from,
                        MDB_val *next, unsigned char *scratch);

/* Secrets and seen entries start with the day: everything before
 * `keep_from` is stale, and the first fresh one ends the scan. */
static int stale_by_day(const MDB_val *k, apr_int64_t keep_from,
                        MDB_val *next, unsigned char *scratch)
{
    (void)next;
    (void)scratch;
    if (k->mv_size < 4) {
        return 1;                       /* not ours: malformed, drop it */
    }
    return (apr_int64_t)vc_lmdb_be32(k->mv_data) < keep_from ? 1 : -1;
}

/* Daily buckets end with the day: a stale bucket is deleted; a fresh one
 * means the rest of its key is fresh too, so the scan jumps past the key
 * (key NUL sorts before key "\1", which sorts before any longer key). */
static int stale_bucket(const MDB_val *k, apr_int64_t keep_from,
                        MDB_val *next, unsigned char *scratch)
{
    const unsigned char *p = k->mv_data;

    if (k->mv_size < 5 || k->mv_size > VC_BUCKET_KEY_MAX || p[k->mv_size - 5]) {
        return 1;
    }
    if ((apr_int64_t)vc_lmdb_be32(p + k->mv_size - 4) < keep_from) {
        return 1;
    }
    memcpy(scratch, p, k->mv_size - 5);
    scratch[k->mv_size - 5] = 1;
    next->mv_data = scratch;
    next->mv_size = k->mv_size - 4;
    return 0;
}

/* Deletes up to PURGE_BATCH stale records of dbi in one transaction,
 * scanning from the first; sets *done when the scan reached the end. */
static int purge_batch(MDB_env *env, MDB_dbi dbi, stale_fn stale,
                       apr_int64_t arg, apr_size_t *removed, int *done)
{
    unsigned char scratch[VC_BUCKET_KEY_MAX];
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v, next;
    apr_size_t n = 0;
    int rc;

    *done = 0;
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != MDB_SUCCESS) {
        return rc;
    }
    if ((rc = mdb_cursor_open(txn, dbi, &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS && n < PURGE_BATCH) {
        int what = stale(&k, arg, &next, scratch);
        if (what > 0) {
            if ((rc = mdb_cursor_del(cur, 0)) == MDB_SUCCESS) {
                n++;
                rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            }
        }
        else if (what == 0) {
            k = next;
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        }
        else {
            rc = MDB_NOTFOUND;          /* sorted: nothing stale follows */
        }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *done = 1;
        rc = MDB_SUCCESS;
    }
    if (rc != MDB_SUCCESS || n == 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    if ((rc = mdb_txn_commit(txn)) == MDB_SUCCESS) {
        *removed += n;
    }
    return rc;
}

static int purge(MDB_env *env, MDB_dbi dbi, stale_fn stale, apr_int64_t arg,
                 apr_size_t *removed)
{
    int rc, done = 0;

    while (!done) {
        if ((rc = purge_batch(env, dbi, stale, arg, removed, &done))) {
            return rc;
        }
    }
    return MDB_SUCCESS;
}

apr_status_t vc_lmdb_maintain(const vc_store_options_t *o, apr_int64_t now,
                              apr_int64_t keep_from, vc_purged_t *purged,
                              const char **what, apr_pool_t *ptemp)
{
    apr_int64_t today = vc_day_of(now);
    MDB_env *env;
    vc_dbis_t db;
    int rc;

    (void)ptemp;
    memset(purged, 0, sizeof(*purged));
    if ((rc = vc_lmdb_env_open(&env, o, what)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if ((rc = vc_lmdb_dbs_open(env, 0, &db, what)) == MDB_SUCCESS) {
        *what = "purging old secrets, visitors and history";
        if ((rc = purge(env, db.secrets, stale_by_day, keep_from,
                        &purged->secrets)) == MDB_SUCCESS
            && (rc = purge(env, db.seen, stale_by_day, keep_from,
                           &purged->seen)) == MDB_SUCCESS) {
            rc = purge(env, db.daily, stale_bucket,
                       today - (apr_int64_t)o->history_days + 1,
                       &purged->buckets);
        }
    }
    if (rc == MDB_SUCCESS && o->durability == VC_DURABILITY_RELAXED) {
        mdb_env_sync(env, 1);
    }
    mdb_env_close(env);
    return rc == MDB_INCOMPATIBLE ? VC_STORE_BADFORMAT : vc_lmdb_rc(rc);
}
