/* A hit in the LMDB store: alone, in a write transaction of its own, or
 * through group commit.
 *
 * Group commit: the hits that threads of one process make at the same
 * moment share one LMDB write transaction and one flush.  A thread with a
 * hit queues it; if no batch is being committed it becomes the leader,
 * takes everything queued, applies it in one transaction and commits,
 * while the hits that arrive meanwhile queue for the next batch.  Every
 * thread returns only once its own hit is committed (as durable as the
 * store's mode promises), so no reply is sent for a hit that is not
 * stored.  A failure inside the batch costs the batch: it is aborted and
 * its hits are redone one transaction each, so each gets its own outcome
 * and none is counted twice; a failed commit fails exactly the hits of
 * that batch.  Under prefork (one thread per process) there is nothing to
 * group, and the store commits each hit alone.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

/* A condition variable a waiting thread sleeps on, so that each thread is
 * woken only when its own hit is done or it is to lead the next batch.
 * Kept on a free list: there are never more than the process's threads. */
typedef struct vc_waker {
    apr_thread_cond_t *cond;
    struct vc_waker *next;
} vc_waker_t;

/* A queued hit, on its thread's stack until done is set. */
typedef struct vc_hit_op {
    const char *key;
    const vc_visit_t *vis;
    apr_int64_t now;
    vc_counts_t *after;
    unsigned int *result;
    apr_status_t status;
    int done;
    vc_waker_t *waker;
    struct vc_hit_op *next;
} vc_hit_op_t;

struct vc_batch {
    apr_thread_mutex_t *mutex;      /* guards everything below */
    vc_hit_op_t *head, **tail;      /* waiting for the next batch */
    int leading;                    /* a thread is committing a batch */
    vc_waker_t *free_wakers;
    apr_pool_t *pool;               /* for new wakers, under the mutex */
};

/* One hit in a transaction of its own. */
static apr_status_t hit_alone(vc_lmdb_t *st, const char *key,
                              const vc_visit_t *vis, apr_int64_t now,
                              vc_counts_t *after, unsigned int *result)
{
    MDB_txn *txn;
    apr_status_t rv;
    int rc;

    *result = 0;
    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rv = vc_lmdb_apply_hit(st, txn, key, vis, now, after, result);
    if (rv != APR_SUCCESS || !(*result & VC_HIT_COUNTED)) {
        vc_lmdb_txn_abort(st, txn);            /* failed, or nothing to do */
        *result = 0;
        return rv;
    }
    if ((rc = vc_lmdb_txn_commit(st, txn)) != MDB_SUCCESS) {
        *result = 0;
    }
    return vc_lmdb_rc(rc);
}

apr_status_t vc_lmdb_batch_create(vc_lmdb_t *st, apr_pool_t *pool)
{
    struct vc_batch *b = apr_pcalloc(pool, sizeof(*b));
    apr_status_t rv;

    if ((rv = apr_thread_mutex_create(&b->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      pool)) != APR_SUCCESS
        || (rv = apr_pool_create(&b->pool, pool)) != APR_SUCCESS) {
        return rv;
    }
    b->tail = &b->head;
    st->batch = b;
    return APR_SUCCESS;
}

/* A waker for this thread, from the free list or new; mutex held. */
static apr_status_t waker_get(struct vc_batch *b, vc_waker_t **w)
{
    apr_status_t rv;

    if ((*w = b->free_wakers) != NULL) {
        b->free_wakers = (*w)->next;
        return APR_SUCCESS;
    }
    *w = apr_palloc(b->pool, sizeof(**w));
    if ((rv = apr_thread_cond_create(&(*w)->cond, b->pool)) != APR_SUCCESS) {
        *w = NULL;
    }
    return rv;
}

/* Redoes each hit of a batch that failed as a whole, alone. */
static void each_alone(vc_lmdb_t *st, vc_hit_op_t *ops)
{
    for (; ops; ops = ops->next) {
        ops->status = hit_alone(st, ops->key, ops->vis, ops->now,
                                ops->after, ops->result);
        *ops->result |= VC_HIT_REDONE;
    }
}

/* Applies the hits of ops (at least one) in one transaction and commits
 * it, setting each one's status and outcome. */
static void commit_batch(vc_lmdb_t *st, vc_hit_op_t *ops)
{
    vc_hit_op_t *op;
    MDB_txn *txn;
    int rc, changed = 0;

    if (!ops->next) {
        ops->status = hit_alone(st, ops->key, ops->vis, ops->now,
                                ops->after, ops->result);
        return;
    }
    if ((rc = vc_lmdb_txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        for (op = ops; op; op = op->next) {
            op->status = vc_lmdb_rc(rc);
        }
        return;
    }
    for (op = ops; op; op = op->next) {
        op->status = vc_lmdb_apply_hit(st, txn, op->key, op->vis, op->now,
                                       op->after, op->result);
        if (op->status != APR_SUCCESS && op->status != VC_STORE_MAXED
            && op->status != VC_STORE_KEYS_FULL) {
            /* The transaction is unusable now; nothing of it was stored. */
            vc_lmdb_txn_abort(st, txn);
            each_alone(st, ops);
            return;
        }
        changed |= (*op->result & VC_HIT_COUNTED) != 0;
    }
    if (!changed) {
        vc_lmdb_txn_abort(st, txn);            /* only repeats: no write */
        return;
    }
    if ((rc = vc_lmdb_txn_commit(st, txn)) != MDB_SUCCESS) {
        for (op = ops; op; op = op->next) {
            if (op->status == APR_SUCCESS) {
                op->status = vc_lmdb_rc(rc);
                *op->result = 0;
            }
        }
    }
}

static apr_status_t batch_hit(vc_lmdb_t *st, const char *key,
                              const vc_visit_t *vis, apr_int64_t now,
                              vc_counts_t *after, unsigned int *result)
{
    struct vc_batch *b = st->batch;
    vc_hit_op_t me, *ops, *op, *next;
    apr_status_t rv;

    me.key = key;
    me.vis = vis;
    me.now = now;
    me.after = after;
    me.result = result;
    me.status = APR_SUCCESS;
    me.done = 0;
    me.next = NULL;

    apr_thread_mutex_lock(b->mutex);
    if ((rv = waker_get(b, &me.waker)) != APR_SUCCESS) {
        apr_thread_mutex_unlock(b->mutex);
        return hit_alone(st, key, vis, now, after, result);
    }
    *b->tail = &me;
    b->tail = &me.next;
    while (!me.done) {
        if (b->leading) {
            apr_thread_cond_wait(me.waker->cond, b->mutex);
            continue;
        }
        /* Lead: take the queue (it holds our hit), commit it unlocked so
         * the next hits can queue meanwhile, then wake its threads, and
         * the first of the next batch to lead it. */
        ops = b->head;
        b->head = NULL;
        b->tail = &b->head;
        b->leading = 1;
        apr_thread_mutex_unlock(b->mutex);
        commit_batch(st, ops);
        apr_thread_mutex_lock(b->mutex);
        b->leading = 0;
        for (op = ops; op; op = next) {
            next = op->next;            /* op may be gone once done is set */
            op->done = 1;
            if (op != &me) {
                apr_thread_cond_signal(op->waker->cond);
            }
        }
        if (b->head) {
            apr_thread_cond_signal(b->head->waker->cond);
        }
    }
    me.waker->next = b->free_wakers;
    b->free_wakers = me.waker;
    apr_thread_mutex_unlock(b->mutex);
    return me.status;
}

apr_status_t vc_lmdb_hit(vc_lmdb_t *st, const char *key,
                         const vc_visit_t *vis, apr_int64_t now,
                         vc_counts_t *after, unsigned int *result)
{
    *result = 0;
    return st->batch ? batch_hit(st, key, vis, now, after, result)
                     : hit_alone(st, key, vis, now, after, result);
}
