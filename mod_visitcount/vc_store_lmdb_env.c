/* The LMDB environment of mod_visitcount: its lifecycle (prepared by the
 * parent, opened per child, never across fork), its transactions, and the
 * rules for LMDB's recoverable conditions: a map grown by another process
 * is adopted, a full reader table is swept for dead readers and retried
 * once, a full map is reported, never fatal.  Also the flusher thread of
 * relaxed durability.  The bottom of the LMDB store: it calls no other
 * file of it.
 */
#include <lmdb.h>

#include "vc_store_lmdb.h"

#include "apr_strings.h"
#include "apr_file_info.h"
#include "apr_atomic.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#define VC_MAX_DBS 8

/* The one mapping from LMDB results to APR status codes. */
apr_status_t vc_lmdb_rc(int rc)
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

const char *vc_store_lmdb_strerror(apr_status_t status)
{
    if (status == VC_STORE_FULL) {
        return mdb_strerror(MDB_MAP_FULL);
    }
    return mdb_strerror(MDB_KEYEXIST + (int)(status - VC_STORE_LMDB_BASE));
}

MDB_val vc_lmdb_val(const char *s)
{
    MDB_val v;
    v.mv_data = (void *)s;
    v.mv_size = strlen(s);
    return v;
}

/* Creates the environment handle with our settings; closes it on error. */
int vc_lmdb_env_open(MDB_env **envp, const vc_store_options_t *o,
                     const char **what)
{
    MDB_env *env;
    unsigned int flags = MDB_NOTLS;
    int rc;

    /* relaxed flushes the data of each commit but not the meta page that
     * makes it current: LMDB keeps the database intact and an OS crash
     * can only undo the last commit (which the flusher bounds to a
     * second).  MDB_NOSYNC would skip the data flush too, and with it the
     * write ordering that keeps the database intact. */
    if (o->durability == VC_DURABILITY_RELAXED) {
        flags |= MDB_NOMETASYNC;
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
int vc_lmdb_dbs_open(MDB_env *env, int create, vc_dbis_t *db,
                     const char **what)
{
    MDB_txn *txn;
    MDB_dbi meta;
    MDB_val k = vc_lmdb_val("format"), v;
    unsigned int dbflags = create ? MDB_CREATE : 0;
    int rc;

    if ((rc = mdb_txn_begin(env, NULL, create ? 0 : MDB_RDONLY, &txn))) {
        *what = "mdb_txn_begin";
        return rc;
    }
    if ((rc = mdb_dbi_open(txn, "counts", dbflags, &db->counts))
        || (rc = mdb_dbi_open(txn, "daily", dbflags, &db->daily))
        || (rc = mdb_dbi_open(txn, "seen", dbflags, &db->seen))
        || (rc = mdb_dbi_open(txn, "secrets", dbflags, &db->secrets))
        || (rc = mdb_dbi_open(txn, "meta", dbflags, &meta))) {
        *what = "mdb_dbi_open";
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND && create) {
        MDB_val f = vc_lmdb_val(VC_FORMAT);
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

apr_status_t vc_lmdb_prepare(const vc_store_options_t *o, int chown_to_user,
                             uid_t uid, gid_t gid, const char **what,
                             apr_pool_t *ptemp)
{
    apr_finfo_t fi;
    apr_status_t rv;
    MDB_env *env;
    vc_dbis_t db;
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
    if ((rc = vc_lmdb_env_open(&env, o, what)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    rc = vc_lmdb_dbs_open(env, 1, &db, what);
    mdb_env_close(env);
    if (rc == MDB_INCOMPATIBLE) {
        return VC_STORE_BADFORMAT;
    }
    if (rc != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
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

/* ---- relaxed durability: one flusher thread per process --------------
 * It makes the last commit durable within a second when hits stop, so an
 * OS crash costs at most the commits of the last second. */

static void *APR_THREAD_FUNC flusher_main(apr_thread_t *thread, void *data)
{
    vc_lmdb_t *st = data;
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

void vc_lmdb_env_close(vc_lmdb_t *st)
{
    if (st->flusher) {
        apr_status_t ignored;
        apr_thread_mutex_lock(st->flush_mutex);
        st->stopping = 1;
        apr_thread_cond_signal(st->flush_cond);
        apr_thread_mutex_unlock(st->flush_mutex);
        apr_thread_join(&ignored, st->flusher);
        st->flusher = NULL;
    }
    while (st->idle_readers && st->idle_readers->nelts > 0) {
        mdb_txn_abort(*(MDB_txn **)apr_array_pop(st->idle_readers));
    }
    if (st->env) {
        mdb_env_sync(st->env, 1);
        mdb_env_close(st->env);
        st->env = NULL;
    }
}

static apr_status_t env_cleanup(void *data)
{
    vc_lmdb_env_close(data);
    return APR_SUCCESS;
}

apr_status_t vc_lmdb_env_start(vc_lmdb_t **lmdb, const vc_store_options_t *o,
                               const char **what, apr_pool_t *pool)
{
    vc_lmdb_t *st = apr_pcalloc(pool, sizeof(*st));
    apr_status_t rv;
    int rc;

    st->history_days = o->history_days;
    st->max_keys = o->max_keys;
    st->seen_max = (apr_size_t)VC_SEEN_MAX(o->map_size);
    /* At most one idle read transaction per thread: the array never grows
     * past the thread count, so pushes stop allocating once warm. */
    st->idle_readers = apr_array_make(pool, 64, sizeof(MDB_txn *));
    if ((rc = vc_lmdb_env_open(&st->env, o, what)) != MDB_SUCCESS) {
        return vc_lmdb_rc(rc);
    }
    /* A pre-cleanup: it must join the flusher before the pool destroys
     * the thread's own subpool. */
    apr_pool_pre_cleanup_register(pool, st, env_cleanup);
    if ((rc = vc_lmdb_dbs_open(st->env, 0, &st->db, what)) != MDB_SUCCESS) {
        return rc == MDB_INCOMPATIBLE ? VC_STORE_BADFORMAT : vc_lmdb_rc(rc);
    }
    if (o->threaded
        && ((rv = apr_thread_rwlock_create(&st->txn_lock, pool))
            || (rv = apr_thread_mutex_create(&st->reader_mutex,
                                             APR_THREAD_MUTEX_DEFAULT, pool)))) {
        *what = "creating the store's thread locks";
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
    *lmdb = st;
    return APR_SUCCESS;
}

/* ---- transactions ---------------------------------------------------- */

static void txn_lock(vc_lmdb_t *st)
{
    if (st->txn_lock) {
        apr_thread_rwlock_rdlock(st->txn_lock);
    }
}

static void txn_unlock(vc_lmdb_t *st)
{
    if (st->txn_lock) {
        apr_thread_rwlock_unlock(st->txn_lock);
    }
}

/* A read transaction: a reset one from the cache, renewed (no allocation,
 * and it keeps its reader slot), or a new one. */
static int read_begin(vc_lmdb_t *st, MDB_txn **txn)
{
    MDB_txn *cached = NULL;
    int rc;

    if (st->reader_mutex) {
        apr_thread_mutex_lock(st->reader_mutex);
    }
    if (st->idle_readers->nelts > 0) {
        cached = *(MDB_txn **)apr_array_pop(st->idle_readers);
    }
    if (st->reader_mutex) {
        apr_thread_mutex_unlock(st->reader_mutex);
    }
    if (!cached) {
        return mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    }
    if ((rc = mdb_txn_renew(cached)) != MDB_SUCCESS) {
        mdb_txn_abort(cached);
        return rc;
    }
    *txn = cached;
    return MDB_SUCCESS;
}

/* Begins a transaction under the shared lock.  Adopts a map another
 * process grew, and sweeps dead readers when the table is full, each
 * once.  On success the caller must end the transaction with exactly one
 * of vc_lmdb_txn_commit(), vc_lmdb_txn_abort() or (read-only)
 * vc_lmdb_read_end(). */
int vc_lmdb_txn_begin(vc_lmdb_t *st, unsigned int flags, MDB_txn **txn)
{
    int rc, tries;

    for (tries = 0; tries < 3; tries++) {
        txn_lock(st);
        rc = flags & MDB_RDONLY ? read_begin(st, txn)
                                : mdb_txn_begin(st->env, NULL, flags, txn);
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
int vc_lmdb_txn_commit(vc_lmdb_t *st, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn);
    txn_unlock(st);
    if (rc == MDB_SUCCESS && st->flusher) {
        apr_atomic_inc32(&st->unflushed);
    }
    return rc;
}

void vc_lmdb_txn_abort(vc_lmdb_t *st, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    txn_unlock(st);
}

void vc_lmdb_read_end(vc_lmdb_t *st, MDB_txn *txn)
{
    mdb_txn_reset(txn);
    if (st->reader_mutex) {
        apr_thread_mutex_lock(st->reader_mutex);
    }
    *(MDB_txn **)apr_array_push(st->idle_readers) = txn;
    if (st->reader_mutex) {
        apr_thread_mutex_unlock(st->reader_mutex);
    }
    txn_unlock(st);
}

