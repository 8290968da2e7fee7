/* The admin tool's bulk operations on the LMDB store: a dump of every
 * record from one read transaction (a snapshot: httpd keeps counting
 * meanwhile, and the dump sees none of it), a load of a batch of records
 * in one write transaction (checked whole before it commits, so a batch
 * is stored entirely or not at all), and a compacted hot copy.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

#include "apr_file_info.h"
#include "apr_strings.h"

#include <string.h>

/* The most days a dumped record may span: more means a broken bucket. */
#define DUMP_MAX_SPAN 100000

/* ---- dump ----------------------------------------------------------------- */

/* Fills rec's days with every bucket of rec->key, from cursor cur on
 * "daily": the span from the first to the last, zeros between. */
static int dump_days(MDB_cursor *cur, vc_record_t *rec, apr_pool_t *pool)
{
    unsigned char buf[VC_BUCKET_KEY_MAX];
    MDB_val start = vc_lmdb_bucket_key(buf, rec->key, 0), k = start, v;
    apr_size_t prefix = start.mv_size - 4;
    apr_array_header_t *days = apr_array_make(pool, 16, sizeof(apr_int64_t));
    apr_array_header_t *counts = apr_array_make(pool, 16, sizeof(vc_counts_t));
    apr_int64_t first, last;
    int rc, i;

    rec->ndays = 0;
    rec->daily = NULL;
    rec->first_day = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && k.mv_size == start.mv_size
           && memcmp(k.mv_data, buf, prefix) == 0) {
        if (v.mv_size < VC_RECORD_SIZE) {
            return MDB_CORRUPTED;
        }
        APR_ARRAY_PUSH(days, apr_int64_t) =
            vc_lmdb_be32((const unsigned char *)k.mv_data + prefix);
        vc_lmdb_decode(&v, apr_array_push(counts));
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
        return rc;
    }
    if (days->nelts == 0) {
        return MDB_SUCCESS;
    }
    first = APR_ARRAY_IDX(days, 0, apr_int64_t);
    last = APR_ARRAY_IDX(days, days->nelts - 1, apr_int64_t);
    if (last - first >= DUMP_MAX_SPAN) {
        return MDB_CORRUPTED;
    }
    rec->first_day = first;
    rec->ndays = (unsigned int)(last - first + 1);
    rec->daily = apr_pcalloc(pool, sizeof(vc_counts_t) * rec->ndays);
    for (i = 0; i < days->nelts; i++) {
        rec->daily[APR_ARRAY_IDX(days, i, apr_int64_t) - first] =
            APR_ARRAY_IDX(counts, i, vc_counts_t);
    }
    return MDB_SUCCESS;
}

apr_status_t vc_lmdb_dump(vc_store_t *store, const char *prefix,
                          int with_days, vc_dump_fn *fn, void *baton,
                          apr_pool_t *pool)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    apr_size_t plen = strlen(prefix);
    MDB_cursor *cur, *days = NULL;
    MDB_txn *txn;
    MDB_val k, v;
    apr_pool_t *scratch;
    apr_status_t rv = APR_SUCCESS;
    int rc;

    if ((rv = apr_pool_create(&scratch, pool)) != APR_SUCCESS) {
        return rv;
    }
    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if ((rc = mdb_cursor_open(txn, st->db.counts, &cur)) != MDB_SUCCESS) {
        vc_lmdb_read_end(st, txn);
        return vc_lmdb_rc(rc);
    }
    if (with_days
        && (rc = mdb_cursor_open(txn, st->db.daily, &days)) != MDB_SUCCESS) {
        mdb_cursor_close(cur);
        vc_lmdb_read_end(st, txn);
        return vc_lmdb_rc(rc);
    }
    k = vc_lmdb_val(prefix);
    rc = plen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
              : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        vc_record_t rec;

        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) {
            break;
        }
        if (v.mv_size < VC_RECORD_SIZE || k.mv_size >= VC_BUCKET_KEY_MAX - 5) {
            rc = MDB_CORRUPTED;
            break;
        }
        apr_pool_clear(scratch);
        memset(&rec, 0, sizeof(rec));
        rec.key = apr_pstrmemdup(scratch, k.mv_data, k.mv_size);
        vc_lmdb_decode(&v, &rec.counts);
        if (days && (rc = dump_days(days, &rec, scratch)) != MDB_SUCCESS) {
            break;
        }
        if ((rv = fn(baton, &rec)) != APR_SUCCESS) {
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (days) {
        mdb_cursor_close(days);
    }
    mdb_cursor_close(cur);
    vc_lmdb_read_end(st, txn);
    apr_pool_destroy(scratch);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return rc == MDB_NOTFOUND ? APR_SUCCESS : vc_lmdb_rc(rc);
}

/* ---- load ----------------------------------------------------------------- */

/* a combined with b by mode into *out; VC_STORE_MAXED when a sum would
 * wrap. */
static apr_status_t merge(vc_merge_e mode, const vc_counts_t *a,
                          const vc_counts_t *b, vc_counts_t *out)
{
    if (mode == VC_MERGE_SET) {
        *out = *b;
    }
    else if (mode == VC_MERGE_ADD) {
        if (a->count > APR_UINT64_MAX - b->count
            || a->unique > APR_UINT64_MAX - b->unique) {
            return VC_STORE_MAXED;
        }
        out->count = a->count + b->count;
        out->unique = a->unique + b->unique;
    }
    else {
        out->count = a->count > b->count ? a->count : b->count;
        out->unique = a->unique > b->unique ? a->unique : b->unique;
    }
    return APR_SUCCESS;
}

/* One record inside txn.  Returns an APR status: APR_SUCCESS, or
 * VC_STORE_MAXED / VC_STORE_KEYS_FULL / an LMDB failure. */
static apr_status_t load_one(vc_lmdb_t *st, MDB_txn *txn,
                             const vc_record_t *rec, vc_merge_e mode,
                             apr_int64_t keep_from)
{
    unsigned char buf[VC_BUCKET_KEY_MAX];
    vc_counts_t old, now;
    apr_status_t rv;
    unsigned int i;
    int rc, found;

    if ((rc = vc_lmdb_read_counts(st, txn, rec->key, &old, &found))) {
        return vc_lmdb_rc(rc);
    }
    if (!found && (rc = vc_lmdb_room_for_key(st, txn)) != MDB_SUCCESS) {
        return rc == VC_STORE_KEYS_FULL ? VC_STORE_KEYS_FULL : vc_lmdb_rc(rc);
    }
    if ((rv = merge(mode, &old, &rec->counts, &now)) != APR_SUCCESS) {
        return rv;
    }
    if ((rc = vc_lmdb_write_counts(st, txn, rec->key, &now))
        || (mode == VC_MERGE_SET
            && (rc = vc_lmdb_drop_history(st, txn, rec->key, -1)))) {
        return vc_lmdb_rc(rc);
    }
    for (i = 0; i < rec->ndays; i++) {
        apr_int64_t day = rec->first_day + (apr_int64_t)i;
        const vc_counts_t *in = &rec->daily[i];
        MDB_val k;
        vc_counts_t b, out;

        if (day < keep_from || (in->count == 0 && in->unique == 0)) {
            continue;
        }
        k = vc_lmdb_bucket_key(buf, rec->key, day);
        if ((rc = vc_lmdb_read_rec(txn, st->db.daily, &k, &b, NULL))) {
            return vc_lmdb_rc(rc);
        }
        if ((rv = merge(mode, &b, in, &out)) != APR_SUCCESS) {
            return rv;
        }
        if ((rc = vc_lmdb_write_rec(txn, st->db.daily, &k, &out))) {
            return vc_lmdb_rc(rc);
        }
    }
    return vc_lmdb_rc(vc_lmdb_drop_history(st, txn, rec->key, keep_from));
}

apr_status_t vc_lmdb_load(vc_store_t *store, const vc_record_t *records,
                          apr_size_t n, vc_merge_e mode, apr_int64_t now,
                          apr_size_t *bad, apr_pool_t *pool)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    apr_int64_t keep_from = vc_day_of(now) - (apr_int64_t)st->history_days + 1;
    apr_status_t rv = APR_SUCCESS;
    MDB_txn *txn;
    apr_size_t i;
    int rc;

    (void)pool;
    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    for (i = 0; i < n && rv == APR_SUCCESS; i++) {
        if ((rv = load_one(st, txn, &records[i], mode, keep_from))) {
            *bad = i;
        }
    }
    if (rv != APR_SUCCESS) {
        vc_lmdb_txn_abort(st, txn);         /* nothing of the batch stays */
        return rv;
    }
    return vc_lmdb_rc(vc_lmdb_txn_commit(st, txn));
}

/* ---- backup --------------------------------------------------------------- */

/* Whether dir holds nothing but "." and "..". */
static int dir_empty(const char *dir, apr_pool_t *pool)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int empty = 1;

    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS) {
        return 0;
    }
    while (empty && apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        empty = !strcmp(fi.name, ".") || !strcmp(fi.name, "..");
    }
    apr_dir_close(d);
    return empty;
}

apr_status_t vc_lmdb_backup(vc_store_t *store, const char *dest,
                            apr_uint64_t *txnid, const char **what,
                            apr_pool_t *pool)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    MDB_envinfo info;
    int rc;

    if (!dir_empty(dest, pool)) {
        *what = "the backup's directory must exist and be empty";
        return APR_EEXIST;
    }
    /* A compacted copy's meta page restarts at transaction 1, so the
     * transaction it holds is the last one committed before it began, or
     * one committed while it did: the copy is a snapshot (its own read
     * transaction) taken as hits go on. */
    if ((rc = mdb_env_info(st->env, &info)) != MDB_SUCCESS) {
        *what = "reading the environment";
        return vc_lmdb_rc(rc);
    }
    *txnid = (apr_uint64_t)info.me_last_txnid;
    if ((rc = mdb_env_copy2(st->env, dest, MDB_CP_COMPACT)) != MDB_SUCCESS) {
        *what = "copying the database";
        return vc_lmdb_rc(rc);
    }
    return APR_SUCCESS;
}
