/* The admin tool's bulk operations on the Redis store.
 *
 * dump and verify walk the index of keys a page at a time (ZRANGEBYLEX,
 * then an HGETALL per key, pipelined: two round trips per page).  Each
 * record is read whole by one command, so it is consistent in itself,
 * but the pages are read at successive moments: a key hit while the dump
 * runs shows its counts as of the moment its page was read.  A single
 * script returning every record at once would be one snapshot, but would
 * hold up every hit of every server for as long as it runs (seconds for a
 * large store), which counting cannot afford; an exact snapshot of Redis
 * is its own RDB file.
 *
 * load sends a batch of records as one call of vc_store_redis.lua, which
 * checks the whole batch (overflow, VisitCountMaxKeys) before it writes
 * any of it: a batch is stored entirely or not at all.
 */
#include "vc_store_redis_int.h"
#include "vc_parse.h"

#include "apr_escape.h"
#include "apr_strings.h"

#include <hiredis.h>

#include <string.h>

#define PAGE 500                /* keys per round trip of dump and verify */
#define DUMP_MAX_SPAN 100000    /* days a record may span */

/* Called for each key of a page with its HGETALL reply (an empty array
 * when the key went away meanwhile). */
typedef apr_status_t (*vc_each_fn)(void *baton, const char *key,
                                   const redisReply *hash, apr_pool_t *pool);

typedef struct {
    const char *prefix;
    vc_each_fn fn;
    void *baton;
    apr_pool_t *pool;
} vc_walk_t;

/* One page of keys after *after (a ZRANGEBYLEX bound), with their hashes;
 * sets *last when it was the last page. */
static apr_status_t walk_page(vc_redis_t *rs, vc_conn_t *conn,
                              const vc_walk_t *w, const char **after,
                              const char *max, int *last, apr_pool_t *p)
{
    char name[NAME_MAX_LEN], limit[16];
    redisReply *keys, **hashes;
    vc_cmd_t cmd, *gets;
    apr_status_t rv = APR_SUCCESS;
    size_t i, n;

    apr_snprintf(limit, sizeof(limit), "%d", PAGE);
    vc_redis_cmd_init(&cmd);
    vc_redis_cmd_str(&cmd, "ZRANGEBYLEX");
    vc_redis_cmd_str(&cmd, vc_redis_index_name(rs, name));
    vc_redis_cmd_str(&cmd, *after);
    vc_redis_cmd_str(&cmd, max);
    vc_redis_cmd_str(&cmd, "LIMIT");
    vc_redis_cmd_str(&cmd, "0");
    vc_redis_cmd_str(&cmd, limit);
    if ((rv = vc_redis_send_all(rs, conn, "a dump", 1, &cmd, &keys, 0))) {
        return rv;
    }
    if (keys->type != REDIS_REPLY_ARRAY) {
        rv = keys->type == REDIS_REPLY_ERROR
             ? vc_redis_refused(rs, conn, "a dump", keys) : VC_STORE_ENGINE;
        freeReplyObject(keys);
        return rv;
    }
    n = keys->elements;
    *last = n < PAGE;
    if (n == 0) {
        freeReplyObject(keys);
        return APR_SUCCESS;
    }
    gets = apr_palloc(p, sizeof(*gets) * n);
    hashes = apr_palloc(p, sizeof(*hashes) * n);
    for (i = 0; i < n; i++) {
        vc_redis_cmd_init(&gets[i]);
        vc_redis_cmd_str(&gets[i], "HGETALL");
        vc_redis_cmd_str(&gets[i],
                         vc_redis_key_name(rs, apr_palloc(p, NAME_MAX_LEN),
                                           keys->element[i]->str, NULL));
    }
    if ((rv = vc_redis_send_all(rs, conn, "a dump", (int)n, gets, hashes,
                                0))) {
        freeReplyObject(keys);
        return rv;
    }
    for (i = 0; i < n; i++) {
        if (rv == APR_SUCCESS) {
            rv = hashes[i]->type == REDIS_REPLY_ARRAY
                 ? w->fn(w->baton, keys->element[i]->str, hashes[i], p)
                 : VC_STORE_ENGINE;
        }
        freeReplyObject(hashes[i]);
    }
    *after = apr_pstrcat(w->pool, "(", keys->element[n - 1]->str, NULL);
    freeReplyObject(keys);
    return rv;
}

static apr_status_t walk_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_walk_t *w = arg;
    const char *after = "-", *max = "+";
    apr_pool_t *p;
    apr_status_t rv;
    int last = 0;

    if (*w->prefix) {
        after = apr_pstrcat(w->pool, "[", w->prefix, NULL);
        max = apr_pstrcat(w->pool, "(", w->prefix, "\xff", NULL);
    }
    if ((rv = apr_pool_create(&p, w->pool)) != APR_SUCCESS) {
        return rv;
    }
    while (rv == APR_SUCCESS && !last) {
        apr_pool_clear(p);
        rv = walk_page(rs, conn, w, &after, max, &last, p);
    }
    apr_pool_destroy(p);
    return rv;
}

/* ---- dump ----------------------------------------------------------------- */

typedef struct {
    int with_days;
    vc_dump_fn *fn;
    void *baton;
} vc_rdump_t;

static apr_status_t dump_key(void *baton, const char *key,
                             const redisReply *h, apr_pool_t *pool)
{
    const vc_rdump_t *d = baton;
    apr_array_header_t *days = apr_array_make(pool, 16, sizeof(apr_int64_t));
    apr_array_header_t *counts = apr_array_make(pool, 16, sizeof(vc_counts_t));
    vc_record_t rec;
    apr_int64_t first = 0, last = 0;
    int found = 0;
    size_t i;

    memset(&rec, 0, sizeof(rec));
    rec.key = key;
    for (i = 0; i + 1 < h->elements; i += 2) {
        const char *f = h->element[i]->str;
        const redisReply *v = h->element[i + 1];
        apr_status_t rv = APR_SUCCESS;
        apr_uint64_t day;

        if (!strcmp(f, "count")) {
            rv = vc_redis_count_of(v, &rec.counts.count);
            found = 1;
        }
        else if (!strcmp(f, "unique")) {
            rv = vc_redis_count_of(v, &rec.counts.unique);
        }
        else if (d->with_days && !strncmp(f, "d:", 2)) {
            if (vc_parse_uint(f + 2, 0, APR_UINT32_MAX, &day) != 0) {
                return VC_STORE_ENGINE;
            }
            APR_ARRAY_PUSH(days, apr_int64_t) = (apr_int64_t)day;
            rv = vc_redis_bucket_of(v, apr_array_push(counts));
            if (days->nelts == 1 || (apr_int64_t)day < first) {
                first = (apr_int64_t)day;
            }
            if (days->nelts == 1 || (apr_int64_t)day > last) {
                last = (apr_int64_t)day;
            }
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (!found) {
        return APR_SUCCESS;             /* deleted since the index was read */
    }
    if (days->nelts) {
        if (last - first >= DUMP_MAX_SPAN) {
            return VC_STORE_ENGINE;
        }
        rec.first_day = first;
        rec.ndays = (unsigned int)(last - first + 1);
        rec.daily = apr_pcalloc(pool, sizeof(vc_counts_t) * rec.ndays);
        for (i = 0; i < (size_t)days->nelts; i++) {
            rec.daily[APR_ARRAY_IDX(days, i, apr_int64_t) - first] =
                APR_ARRAY_IDX(counts, i, vc_counts_t);
        }
    }
    return d->fn(d->baton, &rec);
}

apr_status_t vc_redis_dump(vc_store_t *store, const char *prefix,
                           int with_days, vc_dump_fn *fn, void *baton,
                           apr_pool_t *pool)
{
    vc_rdump_t d = { with_days, fn, baton };
    vc_walk_t w = { prefix, dump_key, &d, pool };

    return vc_redis_with_conn((vc_redis_t *)store, walk_call, &w);
}

/* ---- load ----------------------------------------------------------------- */

typedef struct {
    const vc_record_t *records;
    apr_size_t n;
    vc_merge_e mode;
    apr_int64_t now;
    apr_size_t *bad;
    apr_pool_t *pool;
} vc_rload_t;

static const char *u64(apr_pool_t *p, apr_uint64_t v)
{
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

static apr_status_t load_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_rload_t *ld = arg;
    static const char *const modes[] = { "set", "add", "max" };
    apr_pool_t *p = ld->pool;
    apr_size_t i, words = ld->n + 5;
    redisReply *r;
    vc_cmd_t call;
    apr_status_t rv;
    unsigned int d;

    for (i = 0; i < ld->n; i++) {
        words += 5 + 2 * (apr_size_t)ld->records[i].ndays;
    }
    vc_redis_cmd_init_pool(&call, (int)words, p);
    for (i = 0; i < ld->n; i++) {
        vc_redis_cmd_str(&call, vc_redis_key_name(rs, apr_palloc(p,
                                                  NAME_MAX_LEN),
                                                  ld->records[i].key, NULL));
    }
    vc_redis_cmd_str(&call, vc_redis_index_name(rs, apr_palloc(p,
                                                NAME_MAX_LEN)));
    vc_redis_cmd_str(&call, "load");
    vc_redis_cmd_str(&call, modes[ld->mode]);
    vc_redis_cmd_str(&call, u64(p, rs->o.max_keys));
    vc_redis_cmd_str(&call, apr_psprintf(p, "%" APR_INT64_T_FMT,
                                         vc_day_of(ld->now)
                                         - (apr_int64_t)rs->o.history_days
                                         + 1));
    for (i = 0; i < ld->n; i++) {
        const vc_record_t *rec = &ld->records[i];
        vc_redis_cmd_str(&call, rec->key);
        vc_redis_cmd_str(&call, u64(p, rec->counts.count));
        vc_redis_cmd_str(&call, u64(p, rec->counts.unique));
        vc_redis_cmd_str(&call, apr_psprintf(p, "%u", rec->ndays));
        vc_redis_cmd_str(&call, apr_psprintf(p, "%" APR_INT64_T_FMT,
                                             rec->first_day));
        for (d = 0; d < rec->ndays; d++) {
            vc_redis_cmd_str(&call, u64(p, rec->daily[d].count));
            vc_redis_cmd_str(&call, u64(p, rec->daily[d].unique));
        }
    }
    rv = vc_redis_eval(rs, conn, "a load", &call, (int)ld->n + 1,
                       rs->o.wait_replicas > 0, 0, &r);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_STRING) {
        rv = VC_STORE_ENGINE;
    }
    else if (!strcmp(r->element[0]->str, "e") && r->elements == 3
             && r->element[1]->type == REDIS_REPLY_STRING
             && r->element[2]->type == REDIS_REPLY_INTEGER) {
        *ld->bad = (apr_size_t)r->element[2]->integer;
        rv = !strcmp(r->element[1]->str, "maxed") ? VC_STORE_MAXED
                                                  : VC_STORE_KEYS_FULL;
    }
    else if (strcmp(r->element[0]->str, "ok")) {
        rv = VC_STORE_ENGINE;
    }
    freeReplyObject(r);
    return rv;
}

apr_status_t vc_redis_load(vc_store_t *store, const vc_record_t *records,
                           apr_size_t n, vc_merge_e mode, apr_int64_t now,
                           apr_size_t *bad, apr_pool_t *pool)
{
    vc_rload_t ld = { records, n, mode, now, bad, pool };

    if (n == 0) {
        return APR_SUCCESS;
    }
    return vc_redis_with_conn((vc_redis_t *)store, load_call, &ld);
}

/* ---- verify --------------------------------------------------------------- */

typedef struct {
    apr_uint64_t problems;
    const char *first;
    apr_int64_t oldest, newest;
    apr_pool_t *pool;
} vc_rcheck_t;

static void problem(vc_rcheck_t *ck, const char *what, const char *key)
{
    if (ck->problems++ == 0) {
        ck->first = apr_psprintf(ck->pool, "%s (key \"%s\")", what,
                                 apr_pescape_echo(ck->pool, key, 0));
    }
}

static apr_status_t verify_key(void *baton, const char *key,
                               const redisReply *h, apr_pool_t *pool)
{
    vc_rcheck_t *ck = baton;
    vc_counts_t totals = { 0, 0 }, sum = { 0, 0 }, b;
    int has_count = 0, overflow = 0;
    size_t i;

    (void)pool;
    if (vc_key_check(key, strlen(key)) != NULL) {
        problem(ck, "a malformed key in the index", key);
    }
    for (i = 0; i + 1 < h->elements; i += 2) {
        const char *f = h->element[i]->str;
        const redisReply *v = h->element[i + 1];
        apr_uint64_t day;

        if (!strcmp(f, "count") || !strcmp(f, "unique")) {
            if (vc_redis_count_of(v, !strcmp(f, "count") ? &totals.count
                                                         : &totals.unique)) {
                problem(ck, "a total that is not a count", key);
            }
            has_count |= !strcmp(f, "count");
        }
        else if (!strncmp(f, "d:", 2)) {
            if (vc_parse_uint(f + 2, 0, APR_UINT32_MAX, &day) != 0) {
                problem(ck, "a malformed daily bucket name", key);
                continue;
            }
            if ((apr_int64_t)day < ck->oldest || (apr_int64_t)day > ck->newest) {
                problem(ck, "a daily bucket outside the history", key);
            }
            if (vc_redis_bucket_of(v, &b) != APR_SUCCESS) {
                problem(ck, "a malformed daily bucket", key);
                continue;
            }
            if (b.unique > b.count) {
                problem(ck, "a day with more unique visitors than hits", key);
            }
            if (sum.count > APR_UINT64_MAX - b.count
                || sum.unique > APR_UINT64_MAX - b.unique) {
                overflow = 1;
            }
            else {
                sum.count += b.count;
                sum.unique += b.unique;
            }
        }
        else {
            problem(ck, apr_psprintf(ck->pool, "an unknown field \"%s\"",
                                     apr_pescape_echo(ck->pool, f, 0)), key);
        }
    }
    if (h->elements == 0) {
        problem(ck, "a key in the index without a record", key);
        return APR_SUCCESS;
    }
    if (!has_count) {
        problem(ck, "a record without a count", key);
    }
    if (totals.unique > totals.count) {
        problem(ck, "more unique visitors than hits", key);
    }
    if (overflow || sum.count > totals.count || sum.unique > totals.unique) {
        problem(ck, "daily counts add up to more than the totals", key);
    }
    return APR_SUCCESS;
}

apr_status_t vc_redis_verify(vc_store_t *store, apr_int64_t now,
                             apr_uint64_t *problems, const char **first,
                             apr_pool_t *pool)
{
    vc_redis_t *rs = (vc_redis_t *)store;
    apr_int64_t today = vc_day_of(now);
    /* Maintenance trims twice a day: a bucket a day past the history is
     * not yet a fault. */
    vc_rcheck_t ck = { 0, NULL, today - (apr_int64_t)rs->o.history_days - 1,
                       today + 1, pool };
    vc_walk_t w = { "", verify_key, &ck, pool };
    apr_status_t rv = vc_redis_with_conn(rs, walk_call, &w);

    *problems = ck.problems;
    *first = ck.first;
    return rv;
}
