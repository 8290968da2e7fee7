/* The inside of the store, shared by its three files: vc_store.c (the
 * environment, transactions and admin operations), vc_store_visit.c
 * (hits, history and daily secrets) and vc_store_maint.c (the parent's
 * daily maintenance).  With vc_store*.c, the only place lmdb.h is seen.
 */
#ifndef VC_STORE_DB_H
#define VC_STORE_DB_H

#include "vc_store.h"
#include "vc_visitor.h"

#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"
#include "apr_thread_cond.h"
#include "apr_thread_proc.h"
#include "apr_thread_rwlock.h"

#include <lmdb.h>

#define VC_RECORD_SIZE 16       /* count, unique: native 64-bit */
#define VC_BUCKET_KEY_MAX 520   /* a daily key: LMDB key limit plus slack */

typedef struct {
    MDB_dbi counts, daily, seen, secrets;
} vc_dbis_t;

/* A secret this process has read, so hits need not look it up. */
typedef struct {
    apr_int64_t day;            /* -1: empty */
    unsigned char secret[VC_SECRET_LEN];
} vc_secret_slot_t;

struct vc_store {
    MDB_env *env;
    vc_dbis_t db;
    apr_pool_t *pool;
    unsigned int history_days;
    apr_uint64_t max_keys;
    apr_size_t seen_max;
    /* The secrets of today and yesterday, under their own mutex (NULL
     * when unthreaded). */
    vc_secret_slot_t secrets[2];
    apr_thread_mutex_t *secret_mutex;
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
};

/* The one mapping from LMDB results to APR status codes. */
apr_status_t vc_store_rc(int rc);

/* An MDB_val over a C string, without its NUL. */
MDB_val vc_store_val(const char *s);

/* A counts record's two integers. */
void vc_store_decode(const MDB_val *v, vc_counts_t *c);

/* Creates and opens an environment with our settings; closes it on error
 * and says which step failed in *what. */
int vc_store_env_open(MDB_env **envp, const vc_store_options_t *o,
                      const char **what);

/* Opens the databases; with create set (parent) also makes them and
 * stamps the format, otherwise (child) only reads and checks it. */
int vc_store_dbs_open(MDB_env *env, int create, vc_dbis_t *db,
                      const char **what);

/* A transaction of this process's store: begun under the shared lock
 * (adopting a grown map and sweeping dead readers as needed), and ended
 * by exactly one of commit or abort, or for a read-only one read_end,
 * which keeps it for reuse; each releases the lock. */
int vc_store_txn_begin(vc_store_t *st, unsigned int flags, MDB_txn **txn);
int vc_store_txn_commit(vc_store_t *st, MDB_txn *txn);
void vc_store_txn_abort(vc_store_t *st, MDB_txn *txn);
void vc_store_read_end(vc_store_t *st, MDB_txn *txn);

/* One hit inside txn, as vc_store_hit() describes it.  Returns
 * APR_SUCCESS (VC_HIT_COUNTED in *result when it wrote anything),
 * VC_STORE_MAXED or VC_STORE_KEYS_FULL (nothing written; txn still
 * usable), or an LMDB failure, after which txn can only be aborted. */
apr_status_t vc_store_apply_hit(vc_store_t *st, MDB_txn *txn,
                                const char *key, const vc_visit_t *vis,
                                apr_int64_t now, vc_counts_t *after,
                                unsigned int *result);

/* One hit in a transaction of its own. */
apr_status_t vc_store_hit_alone(vc_store_t *st, const char *key,
                                const vc_visit_t *vis, apr_int64_t now,
                                vc_counts_t *after, unsigned int *result);

/* Group commit (vc_store_batch.c): sets up st->batch, in pool. */
apr_status_t vc_store_batch_create(vc_store_t *st, apr_pool_t *pool);

/* A hit through st->batch: queued with the hits of other threads, and
 * committed with them by whichever thread leads the next batch. */
apr_status_t vc_store_batch_hit(vc_store_t *st, const char *key,
                                const vc_visit_t *vis, apr_int64_t now,
                                vc_counts_t *after, unsigned int *result);

/* VC_STORE_KEYS_FULL when the store already holds max_keys keys (a new
 * key must not be added), else MDB_SUCCESS or an LMDB failure. */
int vc_store_room_for_key(vc_store_t *st, MDB_txn *txn);

/* key's totals inside txn; an absent key reads as zeros. */
int vc_store_read_counts(vc_store_t *st, MDB_txn *txn, const char *key,
                         vc_counts_t *c, int *found);
int vc_store_write_counts(vc_store_t *st, MDB_txn *txn, const char *key,
                          const vc_counts_t *c);

/* Deletes key's daily buckets from before day keep_from (all of them when
 * keep_from is -1). */
int vc_store_drop_history(vc_store_t *st, MDB_txn *txn, const char *key,
                          apr_int64_t keep_from);

/* A big-endian 32-bit number, as days are stored. */
apr_uint32_t vc_store_be32(const unsigned char *p);

#endif
