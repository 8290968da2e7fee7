/* The inside of the LMDB store, shared by its files, from the bottom up:
 *   vc_store_lmdb_env.c    the environment, its transactions, the flusher
 *   vc_store_lmdb_rec.c    the records: counts, buckets, visitors, secrets
 *   vc_store_lmdb_hit.c    a hit: alone, or grouped with others (group
 *                          commit)
 *   vc_store_lmdb_maint.c  the parent's daily maintenance
 *   vc_store_lmdb_bulk.c   the admin tool's dump, load and backup
 *   vc_store_lmdb_verify.c the admin tool's consistency check
 *   vc_store_lmdb_ops.c    the table of operations the module calls
 * Each file uses only the ones above it in this list.  A file including
 * this header includes <lmdb.h> first: only vc_store_lmdb*.c see it.
 *
 * Databases: "counts" (key -> totals), "daily" (key NUL day -> that day's
 * counts), "seen" (day, visitor id -> time of the counted visit), "secrets"
 * (day -> the day's random secret) and "meta" (format).  Days are UTC day
 * numbers stored big-endian, so each database sorts by key, then by day.
 */
#ifndef VC_STORE_LMDB_H
#define VC_STORE_LMDB_H

#include "vc_store.h"

#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "apr_thread_rwlock.h"

/* The "format" record of "meta": bump when the record layout changes;
 * older layouts must stay readable. */
#define VC_FORMAT "1"

#define VC_RECORD_SIZE 16       /* count, unique: native 64-bit */
#define VC_BUCKET_KEY_MAX 520   /* a daily key: LMDB key limit plus slack */

typedef struct {
    MDB_dbi counts, daily, seen, secrets;
} vc_dbis_t;

typedef struct vc_lmdb {
    vc_store_t base;            /* first: a vc_lmdb_t is a vc_store_t */
    MDB_env *env;
    vc_dbis_t db;
    unsigned int history_days;
    apr_uint64_t max_keys;
    apr_size_t seen_max;
    /* Threads hold it shared for every transaction; adopting a map grown
     * by another process takes it exclusively (LMDB requires that no
     * transaction is live in this process then).  NULL when unthreaded. */
    apr_thread_rwlock_t *txn_lock;
    /* Read transactions reset after use, to renew rather than allocate;
     * under reader_mutex (NULL when unthreaded). */
    apr_array_header_t *idle_readers;
    apr_thread_mutex_t *reader_mutex;
    /* Group commit (NULL when each hit commits alone). */
    struct vc_batch *batch;
    /* Relaxed durability: commits since the last flush, and the flusher. */
    volatile apr_uint32_t unflushed;
    apr_thread_t *flusher;
    apr_thread_mutex_t *flush_mutex;
    apr_thread_cond_t *flush_cond;
    int stopping;
} vc_lmdb_t;

/* ---- vc_store_lmdb_env.c ------------------------------------------------ */

/* The one mapping from LMDB results to APR status codes. */
apr_status_t vc_lmdb_rc(int rc);

/* An MDB_val over a C string, without its NUL. */
MDB_val vc_lmdb_val(const char *s);

/* Creates and opens an environment with our settings; closes it on error
 * and says which step failed in *what. */
int vc_lmdb_env_open(MDB_env **envp, const vc_store_options_t *o,
                     const char **what);

/* Opens the databases; with create set (parent) also makes them and
 * stamps the format, otherwise (child) only reads and checks it. */
int vc_lmdb_dbs_open(MDB_env *env, int create, vc_dbis_t *db,
                     const char **what);

/* The parent's start-up check (vc_store_ops_t.prepare). */
apr_status_t vc_lmdb_prepare(const vc_store_options_t *o, int chown_to_user,
                             uid_t uid, gid_t gid, const char **what,
                             apr_pool_t *ptemp);

/* This process's environment, with its locks and, for relaxed durability,
 * its flusher; closed by vc_lmdb_env_close() or with pool. */
apr_status_t vc_lmdb_env_start(vc_lmdb_t **lmdb, const vc_store_options_t *o,
                               const char **what, apr_pool_t *pool);
void vc_lmdb_env_close(vc_lmdb_t *st);

/* A transaction of this process's store: begun under the shared lock
 * (adopting a grown map and sweeping dead readers as needed), and ended
 * by exactly one of commit or abort, or for a read-only one read_end,
 * which keeps it for reuse; each releases the lock. */
int vc_lmdb_txn_begin(vc_lmdb_t *st, unsigned int flags, MDB_txn **txn);
int vc_lmdb_txn_commit(vc_lmdb_t *st, MDB_txn *txn);
void vc_lmdb_txn_abort(vc_lmdb_t *st, MDB_txn *txn);
void vc_lmdb_read_end(vc_lmdb_t *st, MDB_txn *txn);

/* ---- vc_store_lmdb_rec.c ------------------------------------------------ */

/* A counts record's two integers. */
void vc_lmdb_decode(const MDB_val *v, vc_counts_t *c);

/* A big-endian 32-bit number, as days are stored. */
apr_uint32_t vc_lmdb_be32(const unsigned char *p);

/* The "daily" key of (key, day) in buf (VC_BUCKET_KEY_MAX bytes): the
 * key, a NUL, then the day big-endian. */
MDB_val vc_lmdb_bucket_key(unsigned char *buf, const char *key,
                           apr_int64_t day);

/* A counts record (totals or a bucket) of dbi inside txn: absent reads as
 * zeros with *found = 0 (found may be NULL); a short one is
 * MDB_CORRUPTED. */
int vc_lmdb_read_rec(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, vc_counts_t *c,
                     int *found);
int vc_lmdb_write_rec(MDB_txn *txn, MDB_dbi dbi, MDB_val *k,
                      const vc_counts_t *c);

/* key's totals inside txn; an absent key reads as zeros. */
int vc_lmdb_read_counts(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                        vc_counts_t *c, int *found);
int vc_lmdb_write_counts(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         const vc_counts_t *c);

/* VC_STORE_KEYS_FULL when the store already holds max_keys keys (a new
 * key must not be added), else MDB_SUCCESS or an LMDB failure. */
int vc_lmdb_room_for_key(vc_lmdb_t *st, MDB_txn *txn);

/* Deletes key's daily buckets from before day keep_from (all of them when
 * keep_from is -1). */
int vc_lmdb_drop_history(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         apr_int64_t keep_from);

/* Fills daily[0 .. ndays-1] with key's buckets for the ndays days ending
 * with last_day. */
int vc_lmdb_read_history(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                         apr_int64_t last_day, unsigned int ndays,
                         vc_counts_t *daily);

/* One hit inside txn, as vc_store_hit() describes it.  Returns
 * APR_SUCCESS (VC_HIT_COUNTED in *result when it wrote anything),
 * VC_STORE_MAXED or VC_STORE_KEYS_FULL (nothing written; txn still
 * usable), or an LMDB failure, after which txn can only be aborted. */
apr_status_t vc_lmdb_apply_hit(vc_lmdb_t *st, MDB_txn *txn, const char *key,
                               const vc_visit_t *vis, apr_int64_t now,
                               vc_counts_t *after, unsigned int *result);

/* The day's secret from the secrets database, or a fresh one added there
 * when create is set and none exists (another process's, if it got there
 * first). */
apr_status_t vc_lmdb_secret(vc_lmdb_t *st, apr_int64_t day, int create,
                            unsigned char *secret, int *found);

/* ---- vc_store_lmdb_hit.c ------------------------------------------------ */

/* Group commit: sets up st->batch, in pool. */
apr_status_t vc_lmdb_batch_create(vc_lmdb_t *st, apr_pool_t *pool);

/* A hit: through st->batch when there is one (queued with the hits of
 * other threads, and committed with them by whichever thread leads the
 * next batch), else in a transaction of its own. */
apr_status_t vc_lmdb_hit(vc_lmdb_t *st, const char *key,
                         const vc_visit_t *vis, apr_int64_t now,
                         vc_counts_t *after, unsigned int *result);

/* ---- vc_store_lmdb_bulk.c ----------------------------------------------- */

/* vc_store_ops_t.dump, .load and .backup. */
apr_status_t vc_lmdb_dump(vc_store_t *store, const char *prefix,
                          int with_days, vc_dump_fn *fn, void *baton,
                          apr_pool_t *pool);
apr_status_t vc_lmdb_load(vc_store_t *store, const vc_record_t *records,
                          apr_size_t n, vc_merge_e mode, apr_int64_t now,
                          apr_size_t *bad, apr_pool_t *pool);
apr_status_t vc_lmdb_backup(vc_store_t *store, const char *dest,
                            apr_uint64_t *txnid, const char **what,
                            apr_pool_t *pool);

/* ---- vc_store_lmdb_verify.c --------------------------------------------- */

/* vc_store_ops_t.verify. */
apr_status_t vc_lmdb_verify(vc_store_t *store, apr_int64_t now,
                            apr_uint64_t *problems, const char **first,
                            apr_pool_t *pool);

/* ---- vc_store_lmdb_maint.c ---------------------------------------------- */

/* vc_store_ops_t.maintain. */
apr_status_t vc_lmdb_maintain(const vc_store_options_t *o, apr_int64_t now,
                              apr_int64_t keep_from, vc_purged_t *purged,
                              const char **what, apr_pool_t *ptemp);

#endif
