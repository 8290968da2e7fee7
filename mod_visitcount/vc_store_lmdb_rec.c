/* The records of the LMDB store: each key's totals, its daily buckets,
 * the day's record of visitors and the daily secrets, and what one hit
 * does to them inside a write transaction: check the visitor's seen-record,
 * then update the key's totals and today's bucket, so a count, its unique
 * visitors and its history never disagree.  Whoever begins the
 * transaction (vc_store_lmdb_hit.c) decides when it commits.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

#include "apr_general.h"

#include <string.h>
#ifdef VC_TEST_HOOKS
#include <signal.h>
#endif

/* ---- records ---------------------------------------------------------- */

static void encode(char rec[VC_RECORD_SIZE], const vc_counts_t *c)
{
    memcpy(rec, &c->count, 8);
    memcpy(rec + 8, &c->unique, 8);
}

static void put_be32(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

apr_uint32_t vc_lmdb_be32(const unsigned char *p)
{
    return (apr_uint32_t)p[0] << 24 | (apr_uint32_t)p[1] << 16
         | (apr_uint32_t)p[2] << 8 | p[3];
}

void vc_lmdb_decode(const MDB_val *v, vc_counts_t *c)
{
    memcpy(&c->count, v->mv_data, 8);
    memcpy(&c->unique, (const char *)v->mv_data + 8, 8);
}

/* Days are stored as unsigned 32-bit numbers: the years 1970 to 11 million
 * million; earlier clocks are clamped to day 0. */
static apr_uint32_t day32(apr_int64_t day)
{
    return day < 0 ? 0 : day > (apr_int64_t)APR_UINT32_MAX
                         ? APR_UINT32_MAX : (apr_uint32_t)day;
}

/* The "daily" key of (key, day): the key, a NUL (never part of a key),
 * then the day, so a key's buckets sort together, oldest first. */
MDB_val vc_lmdb_bucket_key(unsigned char *buf, const char *key, apr_int64_t day)
{
    apr_size_t n = strnlen(key, VC_BUCKET_KEY_MAX - 5);
    MDB_val k;

    memcpy(buf, key, n);
    buf[n] = '\0';
    put_be32(buf + n + 1, day32(day));
    k.mv_data = buf;
    k.mv_size = n + 5;
    return k;
}

/* The "seen" key of (day, visitor id): by day first, so whole days can be
 * dropped from the front. */
static MDB_val seen_key(unsigned char *buf, apr_int64_t day,
                        const unsigned char *id)
{
    MDB_val k;

    put_be32(buf, day32(day));
    memcpy(buf + 4, id, VC_VISITOR_LEN);
    k.mv_data = buf;
    k.mv_size = 4 + VC_VISITOR_LEN;
    return k;
}

/* Reads a counts record inside txn; absent records read as zeros. */
int vc_lmdb_read_rec(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, vc_counts_t *c,
                    int *found)
{
    MDB_val v;
    int rc = mdb_get(txn, dbi, k, &v);

    memset(c, 0, sizeof(*c));
    if (found) {
        *found = 0;
    }
    if (rc == MDB_NOTFOUND) {
        return MDB_SUCCESS;
    }
    if (rc != MDB_SUCCESS) {
        return rc;
    }
    if (v.mv_size < VC_RECORD_SIZE) {
        return MDB_CORRUPTED;
    }
    vc_lmdb_decode(&v, c);
    if (found) {
        *found = 1;
    }
    return MDB_SUCCESS;
}

int vc_lmdb_write_rec(MDB_txn *txn, MDB_dbi dbi, MDB_val *k,
                     const vc_counts_t *c)
{
    char rec[VC_RECORD_SIZE];
    MDB_val v;

    encode(rec, c);
    v.mv_data = rec;
    v.mv_size = sizeof(rec);
    return mdb_put(txn, dbi, k, &v, 0);
}

int vc_lmdb_read_counts(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                        vc_counts_t *c, int *found)
{
    MDB_val k = vc_lmdb_val(key);
    return vc_lmdb_read_rec(txn, st->db.counts, &k, c, found);
}

int vc_lmdb_write_counts(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         const vc_counts_t *c)
{
    MDB_val k = vc_lmdb_val(key);
    return vc_lmdb_write_rec(txn, st->db.counts, &k, c);
}

int vc_lmdb_room_for_key(vc_lmdb_t *st, MDB_txn *txn)
{
    MDB_stat ms;
    int rc;

    if ((rc = mdb_stat(txn, st->db.counts, &ms)) != MDB_SUCCESS) {
        return rc;
    }
    return ms.ms_entries >= st->max_keys ? VC_STORE_KEYS_FULL : MDB_SUCCESS;
}


/* Deletes key's daily buckets from before day `keep_from` (all of them
 * when keep_from is -1). */
int vc_lmdb_drop_history(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         apr_int64_t keep_from)
{
    unsigned char buf[VC_BUCKET_KEY_MAX];
    MDB_val first = vc_lmdb_bucket_key(buf, key, 0), k = first, v;
    apr_size_t prefix = first.mv_size - 4;
    MDB_cursor *cur;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->db.daily, &cur)) != MDB_SUCCESS) {
        return rc;
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && k.mv_size == first.mv_size
           && memcmp(k.mv_data, buf, prefix) == 0
           && (keep_from < 0
               || (apr_int64_t)vc_lmdb_be32((const unsigned char *)k.mv_data
                                            + prefix) < keep_from)) {
        if ((rc = mdb_cursor_del(cur, 0)) == MDB_SUCCESS) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* Adds the hit to key's bucket for day; a new bucket is the moment to
 * drop the buckets that fell out of the history. */
static int add_to_bucket(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         apr_int64_t day, int new_unique)
{
    unsigned char buf[VC_BUCKET_KEY_MAX];
    MDB_val k = vc_lmdb_bucket_key(buf, key, day);
    vc_counts_t c;
    int found, rc;

    if ((rc = vc_lmdb_read_rec(txn, st->db.daily, &k, &c, &found)) != MDB_SUCCESS) {
        return rc;
    }
    if (c.count < APR_UINT64_MAX) {
        c.count++;
    }
    if (new_unique && c.unique < APR_UINT64_MAX) {
        c.unique++;
    }
    if ((rc = vc_lmdb_write_rec(txn, st->db.daily, &k, &c)) != MDB_SUCCESS) {
        return rc;
    }
    if (!found) {
        rc = vc_lmdb_drop_history(st, txn, key, day - (apr_int64_t)st->history_days + 1);
    }
    return rc;
}

/* When the visitor's last counted hit is still inside the window, sets
 * *duplicate; otherwise records this hit as the start of a new visit and
 * says whether it is the visitor's first today (or, in *full, that the
 * seen-set had no room to remember it). */
static int check_visitor(vc_lmdb_t *st, MDB_txn *txn, const vc_visit_t *vis,
                         apr_int64_t now, int *duplicate, int *first_today,
                         int *full)
{
    apr_int64_t day = vc_day_of(now);
    unsigned char buf[4 + VC_VISITOR_LEN];
    char when[8];
    MDB_val k = seen_key(buf, day, vis->id), v;
    apr_uint64_t last;
    int rc;

    *duplicate = 0;
    *first_today = 0;
    *full = 0;
    rc = mdb_get(txn, st->db.seen, &k, &v);
    if (rc == MDB_SUCCESS && v.mv_size == 8) {
        memcpy(&last, v.mv_data, 8);
        if (vis->dedupe && (apr_int64_t)last <= now
            && now - (apr_int64_t)last < (apr_int64_t)vis->dedupe) {
            *duplicate = 1;
            return MDB_SUCCESS;
        }
        if (!vis->dedupe) {
            return MDB_SUCCESS;    /* nothing to move: only "today" matters */
        }
    }
    else if (rc == MDB_NOTFOUND) {
        /* A visit that began yesterday may still be running. */
        if (vis->dedupe && vis->id_before
            && now - (apr_int64_t)vis->dedupe < day * VC_DAY_SECONDS) {
            unsigned char bbuf[4 + VC_VISITOR_LEN];
            MDB_val bk = seen_key(bbuf, day - 1, vis->id_before), bv;
            int brc = mdb_get(txn, st->db.seen, &bk, &bv);
            if (brc == MDB_SUCCESS && bv.mv_size == 8) {
                memcpy(&last, bv.mv_data, 8);
                if ((apr_int64_t)last <= now
                    && now - (apr_int64_t)last < (apr_int64_t)vis->dedupe) {
                    *duplicate = 1;
                    return MDB_SUCCESS;
                }
            }
            else if (brc != MDB_NOTFOUND) {
                return brc;
            }
        }
        if (st->seen_max) {
            MDB_stat ms;
            if ((rc = mdb_stat(txn, st->db.seen, &ms)) != MDB_SUCCESS) {
                return rc;
            }
            if (ms.ms_entries >= st->seen_max) {
                *full = 1;            /* counted, but not remembered */
                return MDB_SUCCESS;
            }
        }
        *first_today = 1;
    }
    else {
        return rc == MDB_SUCCESS ? MDB_CORRUPTED : rc;
    }
    last = (apr_uint64_t)now;
    memcpy(when, &last, 8);
    v.mv_data = when;
    v.mv_size = 8;
    return mdb_put(txn, st->db.seen, &k, &v, 0);
}

apr_status_t vc_lmdb_apply_hit(vc_lmdb_t *st, MDB_txn *txn,
                               const char *key, const vc_visit_t *vis,
                               apr_int64_t now, vc_counts_t *after,
                               unsigned int *result)
{
    int rc, duplicate = 0, first_today = 0, full = 0, exists;

    *result = 0;
    if ((rc = vc_lmdb_read_counts(st, txn, key, after, &exists)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    if (after->count == APR_UINT64_MAX) {
        return VC_STORE_MAXED;
    }
    if (!exists && (rc = vc_lmdb_room_for_key(st, txn)) != MDB_SUCCESS) {
        return rc == VC_STORE_KEYS_FULL ? VC_STORE_KEYS_FULL : vc_lmdb_rc(rc);
    }
    if (vis && vis->id) {
        rc = check_visitor(st, txn, vis, now, &duplicate, &first_today,
                           &full);
        if (rc != MDB_SUCCESS) {
            return vc_lmdb_rc(rc);
        }
        if (duplicate) {
            return APR_SUCCESS;                 /* nothing changed */
        }
    }
    first_today = first_today && vis->unique;
    after->count++;
    if (first_today && after->unique < APR_UINT64_MAX) {
        after->unique++;
    }
    if ((rc = vc_lmdb_write_counts(st, txn, key, after)) != MDB_SUCCESS
        || (rc = add_to_bucket(st, txn, key, vc_day_of(now),
                               first_today)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
#ifdef VC_TEST_HOOKS
    if (vis && vis->test_crash) {
        raise(SIGKILL);             /* a child dying mid-transaction */
    }
#endif
    *result = VC_HIT_COUNTED | (full ? VC_HIT_SEEN_FULL : 0);
    return APR_SUCCESS;
}

int vc_lmdb_read_history(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         apr_int64_t last_day, unsigned int ndays,
                         vc_counts_t *daily)
{
    unsigned char buf[VC_BUCKET_KEY_MAX];
    apr_int64_t first_day = last_day - (apr_int64_t)ndays + 1;
    MDB_val start = vc_lmdb_bucket_key(buf, key, first_day < 0 ? 0 : first_day);
    MDB_val k = start, v;
    apr_size_t prefix = start.mv_size - 4;
    MDB_cursor *cur;
    int rc;

    memset(daily, 0, sizeof(*daily) * ndays);
    if ((rc = mdb_cursor_open(txn, st->db.daily, &cur)) != MDB_SUCCESS) {
        return rc;
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && k.mv_size == start.mv_size
           && memcmp(k.mv_data, buf, prefix) == 0) {
        apr_int64_t day = vc_lmdb_be32((const unsigned char *)k.mv_data + prefix);
        if (day > last_day) {
            break;
        }
        if (day >= first_day) {
            if (v.mv_size < VC_RECORD_SIZE) {
                rc = MDB_CORRUPTED;
                break;
            }
            vc_lmdb_decode(&v, &daily[day - first_day]);
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* ---- daily secrets ---------------------------------------------------- */

apr_status_t vc_lmdb_secret(vc_lmdb_t *st, apr_int64_t day, int create,
                            unsigned char *secret, int *found)
{
    unsigned char kb[4], fresh[VC_SECRET_LEN];
    MDB_val k, v;
    MDB_txn *txn;
    apr_status_t rv;
    int rc;

    put_be32(kb, day32(day));
    k.mv_data = kb;
    k.mv_size = 4;
    if ((rc = vc_lmdb_txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rc = mdb_get(txn, st->db.secrets, &k, &v);
    if (rc == MDB_SUCCESS && v.mv_size == VC_SECRET_LEN) {
        memcpy(secret, v.mv_data, VC_SECRET_LEN);
    }
    vc_lmdb_read_end(st, txn);
    if (rc == MDB_SUCCESS) {
        *found = v.mv_size == VC_SECRET_LEN;
        return *found ? APR_SUCCESS : vc_lmdb_rc(MDB_CORRUPTED);
    }
    if (rc != MDB_NOTFOUND) {
        return vc_lmdb_rc(rc);
    }
    if (!create) {
        *found = 0;
        return APR_SUCCESS;
    }
    if ((rv = apr_generate_random_bytes(fresh, sizeof(fresh))) != APR_SUCCESS) {
        return rv;
    }
    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    v.mv_data = fresh;
    v.mv_size = sizeof(fresh);
    rc = mdb_put(txn, st->db.secrets, &k, &v, MDB_NOOVERWRITE);
    /* On MDB_KEYEXIST, v now holds the secret another process made. */
    if ((rc == MDB_SUCCESS || rc == MDB_KEYEXIST)
        && v.mv_size == VC_SECRET_LEN) {
        memcpy(secret, v.mv_data, VC_SECRET_LEN);
    }
    memset(fresh, 0, sizeof(fresh));
    if (rc == MDB_KEYEXIST) {
        vc_lmdb_txn_abort(st, txn);
        rc = MDB_SUCCESS;
    }
    else if (rc == MDB_SUCCESS) {
        rc = vc_lmdb_txn_commit(st, txn);
    }
    else {
        vc_lmdb_txn_abort(st, txn);
    }
    *found = rc == MDB_SUCCESS;
    return vc_lmdb_rc(rc);
}
