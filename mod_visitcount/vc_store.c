/* The LMDB side of mod_visitcount.  It owns the environment's lifecycle
 * (prepared by the parent, opened per child, never across fork), the
 * record format, and the rules for LMDB's recoverable conditions: a map
 * grown by another process is adopted, a full reader table is swept for
 * dead readers and retried once, a full map is reported, never fatal.
 * Each operation is one short transaction; nothing here waits on a client.
 */
#include "vc_store.h"

#include "apr_strings.h"
#include "apr_file_info.h"
#include "apr_thread_proc.h"
#include "apr_thread_rwlock.h"
#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"
#include "apr_atomic.h"

#include <lmdb.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

/* Bump when the record layout changes; older layouts must stay readable. */
#define VC_FORMAT "1"
#define VC_RECORD_SIZE 16
#define VC_MAX_DBS 8

struct vc_store {
    MDB_env *env;
    MDB_dbi counts;
    apr_pool_t *pool;
    /* Threads hold it shared for every transaction; adopting a map grown
     * by another process takes it exclusively (LMDB requires that no
     * transaction is live in this process then).  NULL when unthreaded. */
    apr_thread_rwlock_t *txn_lock;
    /* Relaxed durability: commits since the last flush, and the flusher. */
    volatile apr_uint32_t unflushed;
    apr_thread_t *flusher;
    apr_thread_mutex_t *flush_mutex;
    apr_thread_cond_t *flush_cond;
    int stopping;
};

/* The one mapping from LMDB results to APR status codes. */
static apr_status_t map_rc(int rc)
{
    if (rc == MDB_SUCCESS) {
        return APR_SUCCESS;
    }
    if (rc == MDB_MAP_FULL) {
        return VC_STORE_FULL;
    }
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE) {
        return VC_STORE_ERRSPACE + 100 + (rc - MDB_KEYEXIST);
    }
    return APR_FROM_OS_ERROR(rc);
}

const char *vc_store_strerror(apr_status_t status, char *buf,
                              apr_size_t bufsize)
{
    switch (status) {
    case VC_STORE_FULL:
        return mdb_strerror(MDB_MAP_FULL);
    case VC_STORE_MAXED:
        return "count is at its 64-bit maximum";
    case VC_STORE_BADFORMAT:
        return "not a mod_visitcount database, or one from a newer version";
    case VC_STORE_CLOSED:
        return "store is not open in this process";
    }
    if (status >= VC_STORE_ERRSPACE + 100
        && status <= VC_STORE_ERRSPACE + 100 + (MDB_LAST_ERRCODE - MDB_KEYEXIST)) {
        return mdb_strerror(MDB_KEYEXIST + (int)(status - VC_STORE_ERRSPACE - 100));
    }
    return apr_strerror(status, buf, bufsize);
}

static MDB_val val_of(const char *s)
{
    MDB_val v;
    v.mv_data = (void *)s;
    v.mv_size = strlen(s);
    return v;
}

static void decode(const MDB_val *v, vc_counts_t *c)
{
    memcpy(&c->count, v->mv_data, 8);
    memcpy(&c->unique, (const char *)v->mv_data + 8, 8);
}

static void encode(char rec[VC_RECORD_SIZE], const vc_counts_t *c)
{
    memcpy(rec, &c->count, 8);
    memcpy(rec + 8, &c->unique, 8);
}

/* Creates the environment handle with our settings; closes it on error. */
static int env_open(MDB_env **envp, const vc_store_options_t *o,
                    const char **what)
{
    MDB_env *env;
    unsigned int flags = MDB_NOTLS;
    int rc;

    if (o->durability == VC_DURABILITY_RELAXED) {
        flags |= MDB_NOSYNC;
    }
    if ((rc = mdb_env_create(&env)) != MDB_SUCCESS) {
        *what = "mdb_env_create";
        return rc;
    }
    if ((rc = mdb_env_set_mapsize(env, (size_t)o->map_size)) != MDB_SUCCESS) {
        *what = "mdb_env_set_mapsize";
    }
    else if ((rc = mdb_env_set_maxreaders(env, o->max_readers)) != MDB_SUCCESS) {
        *what = "mdb_env_set_maxreaders";
    }
    else if ((rc = mdb_env_set_maxdbs(env, VC_MAX_DBS)) != MDB_SUCCESS) {
        *what = "mdb_env_set_maxdbs";
    }
    else if ((rc = mdb_env_open(env, o->dir, flags, 0640)) != MDB_SUCCESS) {
        *what = "mdb_env_open";
    }
    else {
        int dead = 0;
        if ((rc = mdb_reader_check(env, &dead)) != MDB_SUCCESS) {
            *what = "mdb_reader_check";
        }
    }
    if (rc != MDB_SUCCESS) {
        mdb_env_close(env);
        return rc;
    }
    *envp = env;
    return MDB_SUCCESS;
}

/* Opens the databases; with create set (parent) also makes them and
 * stamps the format, otherwise (child) only reads and checks it. */
static int dbs_open(MDB_env *env, int create, MDB_dbi *counts,
                    const char **what)
{
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val k = val_of("format"), v;
    unsigned int dbflags = create ? MDB_CREATE : 0;
    int rc;

    if ((rc = mdb_txn_begin(env, NULL, create ? 0 : MDB_RDONLY, &txn))) {
        *what = "mdb_txn_begin";
        return rc;
    }
    if ((rc = mdb_dbi_open(txn, "counts", dbflags, counts))
        || (rc = mdb_dbi_open(txn, "meta", dbflags, &meta))) {
        *what = "mdb_dbi_open";
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND && create) {
        MDB_val f = val_of(VC_FORMAT);
        if ((rc = mdb_put(txn, meta, &k, &f, 0))) {
            *what = "mdb_put";
            mdb_txn_abort(txn);
            return rc;
        }
    }
    else if (rc != MDB_SUCCESS) {
        *what = "reading the format";
        mdb_txn_abort(txn);
        return rc == MDB_NOTFOUND ? MDB_INCOMPATIBLE : rc;
    }
    else if (v.mv_size != strlen(VC_FORMAT)
             || memcmp(v.mv_data, VC_FORMAT, v.mv_size) != 0) {
        *what = "checking the format";
        mdb_txn_abort(txn);
        return MDB_INCOMPATIBLE;
    }
    /* Committing keeps the DBI handles for later transactions. */
    if ((rc = mdb_txn_commit(txn))) {
        *what = "mdb_txn_commit";
    }
    return rc;
}

/* True when the directory holds nothing, or only an LMDB environment:
 * then it is ours to give to the server's User. */
static int dir_is_ours(const char *dir, apr_pool_t *p)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int ours = 1;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        return 0;
    }
    while (ours && apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (strcmp(fi.name, ".") && strcmp(fi.name, "..")
            && strcmp(fi.name, "data.mdb") && strcmp(fi.name, "lock.mdb")) {
            ours = 0;
        }
    }
    apr_dir_close(d);
    return ours;
}

apr_status_t vc_store_prepare(const vc_store_options_t *o,
                              int chown_to_user, uid_t uid, gid_t gid,
                              const char **what, apr_pool_t *ptemp)
{
    apr_finfo_t fi;
    apr_status_t rv;
    MDB_env *env;
    MDB_dbi counts;
    int rc;

    rv = apr_dir_make_recursive(o->dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_UEXECUTE | APR_FPROT_GREAD
                                | APR_FPROT_GEXECUTE, ptemp);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        *what = "cannot create the directory";
        return rv;
    }
    if ((rv = apr_stat(&fi, o->dir, APR_FINFO_TYPE | APR_FINFO_USER, ptemp))) {
        *what = "cannot stat the directory";
        return rv;
    }
    if (fi.filetype != APR_DIR) {
        *what = "is not a directory";
        return APR_ENOTDIR;
    }
    if (chown_to_user && fi.user != uid) {
        if (!dir_is_ours(o->dir, ptemp)) {
            *what = "holds other files and is not owned by User; refusing to "
                    "change its owner (give the database a directory of its own)";
            return APR_EACCES;
        }
        if (chown(o->dir, uid, gid) != 0) {
            *what = "cannot give the directory to User";
            return APR_FROM_OS_ERROR(errno);
        }
    }
    if (!chown_to_user && access(o->dir, W_OK | X_OK) != 0) {
        *what = "directory is not writable";
        return APR_FROM_OS_ERROR(errno);
    }
    if ((rc = env_open(&env, o, what)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    rc = dbs_open(env, 1, &counts, what);
    mdb_env_close(env);
    if (rc == MDB_INCOMPATIBLE) {
        return VC_STORE_BADFORMAT;
    }
    if (rc != MDB_SUCCESS) {
        return map_rc(rc);
    }
    if (chown_to_user) {
        const char *files[] = { "data.mdb", "lock.mdb" };
        int i;
        for (i = 0; i < 2; i++) {
            const char *path = apr_pstrcat(ptemp, o->dir, "/", files[i], NULL);
            if (chown(path, uid, gid) != 0) {
                *what = "cannot give the database files to User";
                return APR_FROM_OS_ERROR(errno);
            }
        }
    }
    return APR_SUCCESS;
}

/* ---- relaxed durability: one flusher thread per process -------------- */

static void *APR_THREAD_FUNC flusher_main(apr_thread_t *thread, void *data)
{
    vc_store_t *st = data;
    sigset_t all;

    /* Signals are the MPM's business; let them reach its threads only. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    apr_thread_mutex_lock(st->flush_mutex);
    while (!st->stopping) {
        apr_thread_cond_timedwait(st->flush_cond, st->flush_mutex,
                                  apr_time_from_sec(1));
        if (apr_atomic_xchg32(&st->unflushed, 0) != 0) {
            apr_thread_mutex_unlock(st->flush_mutex);
            mdb_env_sync(st->env, 1);
            apr_thread_mutex_lock(st->flush_mutex);
        }
    }
    apr_thread_mutex_unlock(st->flush_mutex);
    /* Return rather than apr_thread_exit(): that would free the memory
     * apr_thread_join() still reads. */
    (void)thread;
    return NULL;
}

static apr_status_t store_cleanup(void *data)
{
    vc_store_t *st = data;

    if (st->flusher) {
        apr_status_t ignored;
        apr_thread_mutex_lock(st->flush_mutex);
        st->stopping = 1;
        apr_thread_cond_signal(st->flush_cond);
        apr_thread_mutex_unlock(st->flush_mutex);
        apr_thread_join(&ignored, st->flusher);
        st->flusher = NULL;
    }
    if (st->env) {
        mdb_env_sync(st->env, 1);
        mdb_env_close(st->env);
        st->env = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t vc_store_open(vc_store_t **store, const vc_store_options_t *o,
                           const char **what, apr_pool_t *pool)
{
    vc_store_t *st = apr_pcalloc(pool, sizeof(*st));
    apr_status_t rv;
    int rc;

    st->pool = pool;
    if ((rc = env_open(&st->env, o, what)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    /* A pre-cleanup: it must join the flusher before the pool destroys
     * the thread's own subpool. */
    apr_pool_pre_cleanup_register(pool, st, store_cleanup);
    if ((rc = dbs_open(st->env, 0, &st->counts, what)) != MDB_SUCCESS) {
        return rc == MDB_INCOMPATIBLE ? VC_STORE_BADFORMAT : map_rc(rc);
    }
    if (o->threaded
        && (rv = apr_thread_rwlock_create(&st->txn_lock, pool))) {
        *what = "apr_thread_rwlock_create";
        return rv;
    }
    if (o->durability == VC_DURABILITY_RELAXED) {
        if ((rv = apr_thread_mutex_create(&st->flush_mutex,
                                          APR_THREAD_MUTEX_DEFAULT, pool))
            || (rv = apr_thread_cond_create(&st->flush_cond, pool))
            || (rv = apr_thread_create(&st->flusher, NULL, flusher_main,
                                       st, pool))) {
            *what = "starting the flusher thread";
            return rv;
        }
    }
    *store = st;
    return APR_SUCCESS;
}

/* ---- transactions ---------------------------------------------------- */

static void txn_lock(vc_store_t *st)
{
    if (st->txn_lock) {
        apr_thread_rwlock_rdlock(st->txn_lock);
    }
}

static void txn_unlock(vc_store_t *st)
{
    if (st->txn_lock) {
        apr_thread_rwlock_unlock(st->txn_lock);
    }
}

/* Begins a transaction under the shared lock.  Adopts a map another
 * process grew, and sweeps dead readers when the table is full, each
 * once.  On success the caller must end the transaction and then call
 * txn_unlock(). */
static int txn_begin(vc_store_t *st, unsigned int flags, MDB_txn **txn)
{
    int rc, tries;

    for (tries = 0; tries < 3; tries++) {
        txn_lock(st);
        rc = mdb_txn_begin(st->env, NULL, flags, txn);
        if (rc == MDB_SUCCESS) {
            return rc;
        }
        txn_unlock(st);
        if (rc == MDB_MAP_RESIZED) {
            if (st->txn_lock) {
                apr_thread_rwlock_wrlock(st->txn_lock);
            }
            rc = mdb_env_set_mapsize(st->env, 0);
            txn_unlock(st);
            if (rc != MDB_SUCCESS) {
                return rc;
            }
        }
        else if (rc == MDB_READERS_FULL) {
            int dead = 0;
            mdb_reader_check(st->env, &dead);
            if (dead == 0) {
                return rc;
            }
        }
        else {
            return rc;
        }
    }
    return rc;
}

/* Commits and releases the shared lock; the commit frees txn either way. */
static int txn_commit(vc_store_t *st, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn);
    txn_unlock(st);
    if (rc == MDB_SUCCESS && st->flusher) {
        apr_atomic_inc32(&st->unflushed);
    }
    return rc;
}

static void txn_abort(vc_store_t *st, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    txn_unlock(st);
}

/* Reads key inside txn; absent keys read as zeros. */
static int read_counts(vc_store_t *st, MDB_txn *txn, const char *key,
                       vc_counts_t *c, int *found)
{
    MDB_val k = val_of(key), v;
    int rc = mdb_get(txn, st->counts, &k, &v);

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
    decode(&v, c);
    if (found) {
        *found = 1;
    }
    return MDB_SUCCESS;
}

static int write_counts(vc_store_t *st, MDB_txn *txn, const char *key,
                        const vc_counts_t *c)
{
    char rec[VC_RECORD_SIZE];
    MDB_val k = val_of(key), v;

    encode(rec, c);
    v.mv_data = rec;
    v.mv_size = sizeof(rec);
    return mdb_put(txn, st->counts, &k, &v, 0);
}

apr_status_t vc_store_hit(vc_store_t *st, const char *key, vc_counts_t *after)
{
    MDB_txn *txn;
    int rc;

    if (!st) {
        return VC_STORE_CLOSED;
    }
    if ((rc = txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    if ((rc = read_counts(st, txn, key, after, NULL)) != MDB_SUCCESS) {
        txn_abort(st, txn);
        return map_rc(rc);
    }
    if (after->count == APR_UINT64_MAX) {
        txn_abort(st, txn);
        return VC_STORE_MAXED;
    }
    after->count++;
    if ((rc = write_counts(st, txn, key, after)) != MDB_SUCCESS) {
        txn_abort(st, txn);
        return map_rc(rc);
    }
    return map_rc(txn_commit(st, txn));
}

apr_status_t vc_store_get(vc_store_t *st, const char *key,
                          vc_counts_t *counts, int *found)
{
    MDB_txn *txn;
    int rc;

    if (!st) {
        return VC_STORE_CLOSED;
    }
    if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    rc = read_counts(st, txn, key, counts, found);
    txn_abort(st, txn);
    return map_rc(rc);
}

apr_status_t vc_store_set(vc_store_t *st, const char *key,
                          const vc_counts_t *counts)
{
    MDB_txn *txn;
    int rc;

    if (!st) {
        return VC_STORE_CLOSED;
    }
    if ((rc = txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    if ((rc = write_counts(st, txn, key, counts)) != MDB_SUCCESS) {
        txn_abort(st, txn);
        return map_rc(rc);
    }
    return map_rc(txn_commit(st, txn));
}

apr_status_t vc_store_delete(vc_store_t *st, const char *key, int *existed)
{
    MDB_txn *txn;
    MDB_val k = val_of(key);
    int rc;

    if (!st) {
        return VC_STORE_CLOSED;
    }
    if ((rc = txn_begin(st, 0, &txn)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    rc = mdb_del(txn, st->counts, &k, NULL);
    if (rc == MDB_NOTFOUND) {
        *existed = 0;
        txn_abort(st, txn);
        return APR_SUCCESS;
    }
    if (rc != MDB_SUCCESS) {
        txn_abort(st, txn);
        return map_rc(rc);
    }
    *existed = 1;
    return map_rc(txn_commit(st, txn));
}

apr_status_t vc_store_list(vc_store_t *st, const char *prefix,
                           const char *after, unsigned int limit,
                           apr_array_header_t **entries, int *more,
                           apr_pool_t *pool)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    apr_size_t plen = strlen(prefix);
    int rc;

    if (!st) {
        return VC_STORE_CLOSED;
    }
    *entries = apr_array_make(pool, limit < 64 ? (int)limit : 64,
                              sizeof(vc_entry_t));
    *more = 0;
    if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
        return map_rc(rc);
    }
    if ((rc = mdb_cursor_open(txn, st->counts, &cur)) != MDB_SUCCESS) {
        txn_abort(st, txn);
        return map_rc(rc);
    }
    /* Start at whichever of prefix and after sorts later. */
    k = strcmp(after, prefix) > 0 ? val_of(after) : val_of(prefix);
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
        decode(&v, &e->counts);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    txn_abort(st, txn);
    return rc == MDB_NOTFOUND ? APR_SUCCESS : map_rc(rc);
}
