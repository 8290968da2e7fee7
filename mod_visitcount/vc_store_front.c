/* The front of the store: the functions vc_store.h declares for the
 * module.  It chooses the engine VisitCountStore names, hands each call to
 * that engine's table of operations, and does what every engine shares:
 * naming the status codes and caching the daily secrets a process has
 * read.  Engines never call back into this file.
 */
#include "vc_store.h"
#include "vc_parse.h"


#include <string.h>

/* ---- status codes ------------------------------------------------------ */

const char *vc_store_strerror(apr_status_t status, char *buf,
                              apr_size_t bufsize)
{
    switch (status) {
    case VC_STORE_FULL:
        return vc_store_lmdb_strerror(status);
    case VC_STORE_MAXED:
        return "count is at its 64-bit maximum";
    case VC_STORE_BADFORMAT:
        return "not a mod_visitcount database, or one from a newer version";
    case VC_STORE_CLOSED:
        return "store is not open in this process";
    case VC_STORE_KEYS_FULL:
        return "the store holds VisitCountMaxKeys keys";
    case VC_STORE_DOWN:
        return "cannot reach the store";
    case VC_STORE_TIMEOUT:
        return "the store did not answer in time";
    case VC_STORE_FAILFAST:
        return "not tried: the store failed moments ago";
    case VC_STORE_ENGINE:
        return "the store refused the command";
    case VC_STORE_UNREPLICATED:
        return "fewer replicas than VisitCountRedisWait asks for confirmed "
               "the write";
    case VC_STORE_UNSUPPORTED:
        return "this build has no support for that store";
    case VC_STORE_NOMEM:
        return "the Redis server holds maxmemory";
    }
    if (status >= VC_STORE_LMDB_BASE && status <= VC_STORE_LMDB_LAST) {
        return vc_store_lmdb_strerror(status);
    }
    return apr_strerror(status, buf, bufsize);
}

const char *vc_durability_name(vc_durability_e d)
{
    return d == VC_DURABILITY_GROUP ? "group"
         : d == VC_DURABILITY_RELAXED ? "relaxed" : "strict";
}

/* ---- the calls, handed to the engine ---------------------------------- */

const vc_store_ops_t *vc_store_engine(const vc_store_options_t *o)
{
    if (o->url.kind == VC_STORE_LMDB) {
        return &vc_store_lmdb_ops;
    }
#ifdef VC_HAVE_REDIS
    return &vc_store_redis_ops;
#else
    return NULL;
#endif
}

apr_status_t vc_store_prepare(const vc_store_options_t *o, int chown_to_user,
                              uid_t uid, gid_t gid, const char **what,
                              apr_pool_t *ptemp)
{
    const vc_store_ops_t *ops = vc_store_engine(o);

    if (!ops) {
        *what = "choosing the engine";
        return VC_STORE_UNSUPPORTED;
    }
    return ops->prepare(o, chown_to_user, uid, gid, what, ptemp);
}

apr_status_t vc_store_maintain(const vc_store_options_t *o, apr_int64_t now,
                               apr_int64_t keep_from, vc_purged_t *purged,
                               const char **what, apr_pool_t *ptemp)
{
    const vc_store_ops_t *ops = vc_store_engine(o);

    memset(purged, 0, sizeof(*purged));
    if (!ops) {
        *what = "choosing the engine";
        return VC_STORE_UNSUPPORTED;
    }
    return ops->maintain(o, now, keep_from, purged, what, ptemp);
}

apr_status_t vc_store_open(vc_store_t **store, const vc_store_options_t *o,
                           const char **what, apr_pool_t *pool)
{
    const vc_store_ops_t *ops = vc_store_engine(o);
    vc_store_t *st;
    apr_status_t rv;

    *store = NULL;
    if (!ops) {
        *what = "choosing the engine";
        return VC_STORE_UNSUPPORTED;
    }
    if ((rv = ops->open(&st, o, what, pool)) != APR_SUCCESS) {
        return rv;
    }
    st->ops = ops;
    st->secrets[0].day = st->secrets[1].day = -1;
    if (o->threaded
        && (rv = apr_thread_mutex_create(&st->secret_mutex,
                                         APR_THREAD_MUTEX_DEFAULT, pool))) {
        *what = "creating the secrets' lock";
        ops->close(st);
        return rv;
    }
    *store = st;
    return APR_SUCCESS;
}

apr_status_t vc_store_hit(vc_store_t *st, const char *key,
                          const vc_visit_t *visit, apr_int64_t now,
                          vc_counts_t *after, unsigned int *result)
{
    *result = 0;
    return st ? st->ops->hit(st, key, visit, now, after, result)
              : VC_STORE_CLOSED;
}

apr_status_t vc_store_get(vc_store_t *st, const char *key,
                          vc_counts_t *counts, int *found)
{
    return st ? st->ops->get(st, key, counts, found) : VC_STORE_CLOSED;
}

apr_status_t vc_store_history(vc_store_t *st, const char *key,
                              vc_counts_t *counts, apr_int64_t last_day,
                              unsigned int ndays, vc_counts_t *daily,
                              apr_pool_t *pool)
{
    return st ? st->ops->history(st, key, counts, last_day, ndays, daily, pool)
              : VC_STORE_CLOSED;
}

apr_status_t vc_store_set(vc_store_t *st, const char *key,
                          const vc_counts_t *counts)
{
    return st ? st->ops->set(st, key, counts) : VC_STORE_CLOSED;
}

apr_status_t vc_store_delete(vc_store_t *st, const char *key, int *existed)
{
    *existed = 0;
    return st ? st->ops->remove(st, key, existed) : VC_STORE_CLOSED;
}

apr_status_t vc_store_list(vc_store_t *st, const char *prefix,
                           const char *after, unsigned int limit,
                           apr_array_header_t **entries, int *more,
                           apr_pool_t *pool)
{
    return st ? st->ops->list(st, prefix, after, limit, entries, more, pool)
              : VC_STORE_CLOSED;
}

apr_status_t vc_store_stats(vc_store_t *st, vc_store_stats_t *stats)
{
    memset(stats, 0, sizeof(*stats));
    return st ? st->ops->stats(st, stats) : VC_STORE_CLOSED;
}

void vc_store_close(vc_store_t *st)
{
    if (st) {
        st->ops->close(st);
    }
}

apr_status_t vc_store_dump(vc_store_t *st, const char *prefix, int with_days,
                           vc_dump_fn *fn, void *baton, apr_pool_t *pool)
{
    return st ? st->ops->dump(st, prefix, with_days, fn, baton, pool)
              : VC_STORE_CLOSED;
}

/* Whether a record is one a store could hold: a valid key, no more
 * unique visitors than hits, overall and on each day, and days that add
 * up to no more than the totals. */
static int record_sound(const vc_record_t *r)
{
    vc_counts_t sum = { 0, 0 };
    unsigned int i;

    if (!r->key || vc_key_check(r->key, strlen(r->key)) != NULL
        || r->counts.unique > r->counts.count
        || (r->ndays && (!r->daily || r->first_day < 0))) {
        return 0;
    }
    for (i = 0; i < r->ndays; i++) {
        const vc_counts_t *d = &r->daily[i];
        if (d->unique > d->count || d->count > r->counts.count - sum.count
            || d->unique > r->counts.unique - sum.unique) {
            return 0;
        }
        sum.count += d->count;
        sum.unique += d->unique;
    }
    return 1;
}

apr_status_t vc_store_load(vc_store_t *st, const vc_record_t *records,
                           apr_size_t n, vc_merge_e mode, apr_int64_t now,
                           apr_size_t *bad, apr_pool_t *pool)
{
    apr_size_t i;

    *bad = 0;
    for (i = 0; i < n; i++) {
        if (!record_sound(&records[i])) {
            *bad = i;
            return APR_EINVAL;
        }
    }
    return st ? st->ops->load(st, records, n, mode, now, bad, pool)
              : VC_STORE_CLOSED;
}

apr_status_t vc_store_backup(vc_store_t *st, const char *dest,
                             apr_uint64_t *txnid, const char **what,
                             apr_pool_t *pool)
{
    *txnid = 0;
    *what = NULL;
    if (!st) {
        return VC_STORE_CLOSED;
    }
    return st->ops->backup ? st->ops->backup(st, dest, txnid, what, pool)
                           : VC_STORE_UNSUPPORTED;
}

apr_status_t vc_store_verify(vc_store_t *st, apr_int64_t now,
                             apr_uint64_t *problems, const char **first,
                             apr_pool_t *pool)
{
    *problems = 0;
    *first = NULL;
    return st ? st->ops->verify(st, now, problems, first, pool)
              : VC_STORE_CLOSED;
}

/* ---- the daily secrets, cached -------------------------------------- */

static int secret_cached(vc_store_t *st, apr_int64_t day,
                         unsigned char *secret)
{
    int i;

    for (i = 0; i < 2; i++) {
        if (st->secrets[i].day == day) {
            memcpy(secret, st->secrets[i].secret, VC_SECRET_LEN);
            return 1;
        }
    }
    return 0;
}

/* Keeps the two most recent days; an older secret is wiped, not left. */
static void secret_cache(vc_store_t *st, apr_int64_t day,
                         const unsigned char *secret)
{
    vc_secret_slot_t *slot = st->secrets[0].day <= st->secrets[1].day
                             ? &st->secrets[0] : &st->secrets[1];

    if (slot->day > day) {
        return;
    }
    slot->day = day;
    memcpy(slot->secret, secret, VC_SECRET_LEN);
    if (st->secrets[0].day < day - 1 || st->secrets[1].day < day - 1) {
        vc_secret_slot_t *old = st->secrets[0].day < st->secrets[1].day
                                ? &st->secrets[0] : &st->secrets[1];
        memset(old->secret, 0, VC_SECRET_LEN);
        old->day = -1;
    }
}

apr_status_t vc_store_secret(vc_store_t *st, apr_int64_t day, int create,
                             apr_int64_t now,
                             unsigned char secret[VC_SECRET_LEN], int *found)
{
    apr_status_t rv;

    *found = 0;
    if (!st) {
        return VC_STORE_CLOSED;
    }
    if (st->secret_mutex) {
        apr_thread_mutex_lock(st->secret_mutex);
    }
    if (secret_cached(st, day, secret)) {
        *found = 1;
        rv = APR_SUCCESS;
    }
    else if ((rv = st->ops->secret(st, day, create, now, secret, found))
             == APR_SUCCESS && *found) {
        secret_cache(st, day, secret);
    }
    if (st->secret_mutex) {
        apr_thread_mutex_unlock(st->secret_mutex);
    }
    return rv;
}
