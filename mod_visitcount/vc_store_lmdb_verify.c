/* The admin tool's consistency check of the LMDB store, from one read
 * transaction: the format record, then every record of every database.
 * It reports, never repairs.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"
#include "vc_parse.h"

#include "apr_escape.h"
#include "apr_strings.h"

#include <string.h>

typedef struct {
    apr_uint64_t problems;
    const char *first;
    apr_pool_t *pool;
} vc_check_t;

static void problem(vc_check_t *ck, const char *what, const MDB_val *k)
{
    if (ck->problems++ == 0) {
        ck->first = k ? apr_psprintf(ck->pool, "%s (record \"%s\")", what,
                                     apr_pescape_echo(ck->pool,
                                         apr_pstrmemdup(ck->pool, k->mv_data,
                                                        k->mv_size < 200
                                                        ? k->mv_size : 200),
                                         0))
                      : what;
    }
}

/* The sums of one key's buckets, compared with its totals once the next
 * key's buckets begin. */
typedef struct {
    char key[VC_BUCKET_KEY_MAX];
    apr_size_t len;
    vc_counts_t sum;
    int overflow;
} vc_sums_t;

static void sums_close(vc_lmdb_t *st, MDB_txn *txn, vc_check_t *ck,
                       vc_sums_t *s)
{
    vc_counts_t totals;
    MDB_val k;
    int rc, found;

    if (!s->len) {
        return;
    }
    s->key[s->len] = '\0';
    k.mv_data = s->key;
    k.mv_size = s->len;
    rc = vc_lmdb_read_counts(st, txn, s->key, &totals, &found);
    if (rc != MDB_SUCCESS || !found) {
        problem(ck, "daily buckets of a key that has no totals", &k);
    }
    else if (s->overflow || s->sum.count > totals.count
             || s->sum.unique > totals.unique) {
        problem(ck, "daily counts add up to more than the totals", &k);
    }
    s->len = 0;
    memset(&s->sum, 0, sizeof(s->sum));
    s->overflow = 0;
}

static void check_counts(MDB_cursor *cur, vc_check_t *ck)
{
    MDB_val k, v;
    vc_counts_t c;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (vc_key_check(k.mv_data, k.mv_size) != NULL) {
            problem(ck, "a malformed key", &k);
        }
        if (v.mv_size != VC_RECORD_SIZE) {
            problem(ck, "a totals record of the wrong size", &k);
            continue;
        }
        vc_lmdb_decode(&v, &c);
        if (c.unique > c.count) {
            problem(ck, "more unique visitors than hits", &k);
        }
    }
    if (rc != MDB_NOTFOUND) {
        problem(ck, mdb_strerror(rc), NULL);
    }
}

static void check_daily(vc_lmdb_t *st, MDB_txn *txn, MDB_cursor *cur,
                        apr_int64_t today, vc_check_t *ck)
{
    /* Maintenance trims twice a day: a bucket a day past the history is
     * not yet a fault. */
    apr_int64_t oldest = today - (apr_int64_t)st->history_days - 1;
    vc_sums_t s;
    MDB_val k, v;
    vc_counts_t c;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    memset(&s, 0, sizeof(s));
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *p = k.mv_data;
        apr_size_t klen = k.mv_size - 5;
        apr_int64_t day;

        if (k.mv_size < 6 || k.mv_size > VC_BUCKET_KEY_MAX || p[klen]
            || vc_key_check((const char *)p, klen) != NULL) {
            problem(ck, "a malformed daily bucket key", &k);
            continue;
        }
        if (klen != s.len || memcmp(p, s.key, klen) != 0) {
            sums_close(st, txn, ck, &s);
            memcpy(s.key, p, klen);
            s.len = klen;
        }
        day = vc_lmdb_be32(p + klen + 1);
        if (day < oldest || day > today + 1) {
            problem(ck, "a daily bucket outside the history", &k);
        }
        if (v.mv_size != VC_RECORD_SIZE) {
            problem(ck, "a daily bucket of the wrong size", &k);
            continue;
        }
        vc_lmdb_decode(&v, &c);
        if (c.unique > c.count) {
            problem(ck, "a day with more unique visitors than hits", &k);
        }
        if (s.sum.count > APR_UINT64_MAX - c.count
            || s.sum.unique > APR_UINT64_MAX - c.unique) {
            s.overflow = 1;
        }
        else {
            s.sum.count += c.count;
            s.sum.unique += c.unique;
        }
    }
    sums_close(st, txn, ck, &s);
    if (rc != MDB_NOTFOUND) {
        problem(ck, mdb_strerror(rc), NULL);
    }
}

/* Visitors: day + id -> 8-byte time; secrets: day -> the secret. */
static void check_sizes(MDB_cursor *cur, apr_size_t ksize, apr_size_t vsize,
                        const char *what, vc_check_t *ck)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != ksize || v.mv_size != vsize) {
            problem(ck, what, NULL);
        }
    }
    if (rc != MDB_NOTFOUND) {
        problem(ck, mdb_strerror(rc), NULL);
    }
}

apr_status_t vc_lmdb_verify(vc_store_t *store, apr_int64_t now,
                            apr_uint64_t *problems, const char **first,
                            apr_pool_t *pool)
{
    vc_lmdb_t *st = (vc_lmdb_t *)store;
    vc_check_t ck = { 0, NULL, pool };
    MDB_dbi dbis[4] = { st->db.counts, st->db.daily, st->db.seen,
                        st->db.secrets };
    MDB_cursor *cur[4];
    MDB_dbi meta;
    MDB_txn *txn;
    MDB_val k = vc_lmdb_val("format"), v;
    int rc, i;

    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if ((rc = mdb_dbi_open(txn, "meta", 0, &meta)) != MDB_SUCCESS
        || (rc = mdb_get(txn, meta, &k, &v)) != MDB_SUCCESS) {
        problem(&ck, "no format record", NULL);
    }
    else if (v.mv_size != strlen(VC_FORMAT)
             || memcmp(v.mv_data, VC_FORMAT, v.mv_size) != 0) {
        problem(&ck, "an unknown format version", NULL);
    }
    for (i = 0; i < 4; i++) {
        if ((rc = mdb_cursor_open(txn, dbis[i], &cur[i])) != MDB_SUCCESS) {
            while (i-- > 0) {
                mdb_cursor_close(cur[i]);
            }
            vc_lmdb_read_end(st, txn);
            return vc_lmdb_rc(rc);
        }
    }
    check_counts(cur[0], &ck);
    check_daily(st, txn, cur[1], vc_day_of(now), &ck);
    check_sizes(cur[2], 4 + VC_VISITOR_LEN, 8,
                "a visitor record of the wrong size", &ck);
    check_sizes(cur[3], 4, VC_SECRET_LEN,
                "a daily secret of the wrong size", &ck);
    for (i = 0; i < 4; i++) {
        mdb_cursor_close(cur[i]);
    }
    vc_lmdb_read_end(st, txn);
    *problems = ck.problems;
    *first = ck.first;
    return APR_SUCCESS;
}
