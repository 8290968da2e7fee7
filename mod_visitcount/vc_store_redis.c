/* The Redis store: counts shared by several httpd servers through one
 * Redis (or Valkey) server, reached directly, over a unix socket, or as
 * the primary that Sentinel names.  With vc_store_redis_conn.c (connections,
 * commands, the pool) and vc_store_redis_bulk.c, the only files that see
 * hiredis.h.
 *
 * Every change is one EVALSHA of vc_store_redis.lua, which does the whole
 * hit (dedupe, unique, count, day bucket, history, key bound) atomically
 * on the server, so each hit costs one round trip; each read is one
 * command.  Each child keeps a pool of connections (an apr_reslist), made
 * only when a request needs one, never before fork, and a request holds
 * one at a time.  A connection that reported an error is freed, never
 * reused.  After a failure to reach Redis the child answers at once,
 * without trying, for VisitCountRedisFailFast.  A command that was sent
 * and got no answer may have run, so it is never sent again; only errors
 * that prove nothing ran are retried, once: NOSCRIPT (the script is
 * loaded again) and READONLY, LOADING or MASTERDOWN after a failover (on
 * a new connection, to the primary Sentinel names now).
 *
 * Nothing about a visitor reaches Redis but the ids vc_visitor_id() makes
 * under the daily secret; the secret and the visitors' records expire by
 * themselves once no visit can need them (VisitCountDedupe after the end
 * of their day).  Counts travel as decimal strings, exact to 2^64-1.
 * The admin tool's bulk operations are in vc_store_redis_bulk.c.
 */
#include "vc_store.h"
#include "vc_parse.h"

#include "apr_general.h"
#include "apr_reslist.h"
#include "apr_strings.h"

#include <hiredis.h>

#include <stdlib.h>
#include <string.h>

#include "vc_store_redis_int.h"

/* ---- hits ----------------------------------------------------------------- */

typedef struct {
    const char *key;
    const vc_visit_t *vis;
    apr_int64_t now;
    vc_counts_t *after;
    unsigned int *result;
} vc_hit_t;

static apr_status_t hit_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_hit_t *h = arg;
    const vc_visit_t *vis = h->vis;
    apr_int64_t day = vc_day_of(h->now);
    /* A day's visitors expire with its secret: once the longest visit
     * begun that day has ended. */
    apr_int64_t ttl = (day + 1) * VC_DAY_SECONDS
                      + (apr_int64_t)rs->o.longest_dedupe - h->now;
    char names[4][NAME_MAX_LEN], today[24], before[24], now[24];
    char dedupe[16], history[16], max_keys[24], seen_ttl[24];
    int tracked = vis && vis->id, crash = 0;
    redisReply *r;
    vc_cmd_t call;
    apr_status_t rv;

    vc_redis_day_str(today, day);
    vc_redis_day_str(before, day - 1);
    vc_redis_day_str(now, h->now);
    vc_redis_day_str(seen_ttl, ttl > 0 ? ttl : 1);
    apr_snprintf(dedupe, sizeof(dedupe), "%u", vis ? (unsigned)vis->dedupe : 0);
    apr_snprintf(history, sizeof(history), "%u", rs->o.history_days);
    apr_snprintf(max_keys, sizeof(max_keys), "%" APR_UINT64_T_FMT,
                 rs->o.max_keys);
    vc_redis_cmd_init(&call);
    vc_redis_cmd_str(&call, vc_redis_key_name(rs, names[0], h->key, NULL));
    vc_redis_cmd_str(&call, vc_redis_key_name(rs, names[1], h->key, today));
    vc_redis_cmd_str(&call, vc_redis_key_name(rs, names[2], h->key, before));
    vc_redis_cmd_str(&call, vc_redis_index_name(rs, names[3]));
    vc_redis_cmd_str(&call, "hit");
    vc_redis_cmd_str(&call, h->key);
    vc_redis_cmd_str(&call, now);
    vc_redis_cmd_str(&call, today);
    vc_redis_cmd_str(&call, dedupe);
    vc_redis_cmd_add(&call, tracked ? (const char *)vis->id : "",
            tracked ? VC_VISITOR_LEN : 0);
    vc_redis_cmd_add(&call, tracked && vis->id_before ? (const char *)vis->id_before
            : "", tracked && vis->id_before ? VC_VISITOR_LEN : 0);
    vc_redis_cmd_str(&call, vis && vis->unique ? "1" : "0");
    vc_redis_cmd_str(&call, history);
    vc_redis_cmd_str(&call, max_keys);
    vc_redis_cmd_str(&call, seen_ttl);
#ifdef VC_TEST_HOOKS
    crash = vis && vis->test_crash;
#endif
    rv = vc_redis_eval(rs, conn, "a hit", &call, 4, rs->o.wait_replicas > 0, crash, &r);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
        || r->element[0]->type != REDIS_REPLY_STRING
        || vc_redis_count_of(r->element[1], &h->after->count) != APR_SUCCESS
        || vc_redis_count_of(r->element[2], &h->after->unique) != APR_SUCCESS) {
        rv = VC_STORE_ENGINE;
    }
    else if (!strcmp(r->element[0]->str, "c")) {
        *h->result = VC_HIT_COUNTED;
    }
    freeReplyObject(r);
    return rv;
}

static apr_status_t redis_hit(vc_store_t *store, const char *key,
                              const vc_visit_t *vis, apr_int64_t now,
                              vc_counts_t *after, unsigned int *result)
{
    vc_hit_t h = { key, vis, now, after, result };

    memset(after, 0, sizeof(*after));
    return vc_redis_with_conn((vc_redis_t *)store, hit_call, &h);
}

/* ---- reads ---------------------------------------------------------------- */

typedef struct {
    const char *key;
    vc_counts_t *counts;
    int *found;
    apr_int64_t last_day;
    unsigned int ndays;
    vc_counts_t *daily;
    apr_pool_t *pool;
} vc_read_t;

/* HMGET P{K} count unique [d:DAY ...]: the totals and the ndays buckets,
 * in one command. */
static apr_status_t read_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_read_t *rd = arg;
    char name[NAME_MAX_LEN];
    redisReply *r;
    vc_cmd_t cmd;
    apr_status_t rv;
    unsigned int i;

    if (4 + rd->ndays > MAX_ARGS) {
        vc_redis_cmd_init_pool(&cmd, 4 + (int)rd->ndays, rd->pool);
    }
    else {
        vc_redis_cmd_init(&cmd);
    }
    vc_redis_cmd_str(&cmd, "HMGET");
    vc_redis_cmd_str(&cmd, vc_redis_key_name(rs, name, rd->key, NULL));
    vc_redis_cmd_str(&cmd, "count");
    vc_redis_cmd_str(&cmd, "unique");
    for (i = 0; i < rd->ndays; i++) {
        vc_redis_cmd_str(&cmd, apr_psprintf(rd->pool, "d:%" APR_INT64_T_FMT,
                                   rd->last_day - (apr_int64_t)(rd->ndays - 1 - i)));
    }
    if ((rv = vc_redis_send_all(rs, conn, "a read", 1, &cmd, &r, 0)) != APR_SUCCESS) {
        return rv;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        rv = vc_redis_refused(rs, conn, "a read", r);
    }
    else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 + rd->ndays
             || vc_redis_count_of(r->element[0], &rd->counts->count)
             || vc_redis_count_of(r->element[1], &rd->counts->unique)) {
        rv = VC_STORE_ENGINE;
    }
    for (i = 0; rv == APR_SUCCESS && i < rd->ndays; i++) {
        rv = vc_redis_bucket_of(r->element[2 + i], &rd->daily[i]);
    }
    if (rv == APR_SUCCESS && rd->found) {
        *rd->found = r->element[0]->type != REDIS_REPLY_NIL;
    }
    freeReplyObject(r);
    return rv;
}

static apr_status_t redis_get(vc_store_t *store, const char *key,
                              vc_counts_t *counts, int *found)
{
    vc_read_t rd = { key, counts, found, 0, 0, NULL, NULL };

    memset(counts, 0, sizeof(*counts));
    return vc_redis_with_conn((vc_redis_t *)store, read_call, &rd);
}

static apr_status_t redis_history(vc_store_t *store, const char *key,
                                  vc_counts_t *counts, apr_int64_t last_day,
                                  unsigned int ndays, vc_counts_t *daily,
                                  apr_pool_t *pool)
{
    vc_read_t rd = { key, counts, NULL, last_day, ndays, daily, pool };

    memset(counts, 0, sizeof(*counts));
    return vc_redis_with_conn((vc_redis_t *)store, read_call, &rd);
}

/* ---- daily secrets -------------------------------------------------------- */

typedef struct {
    apr_int64_t day;
    int create;
    apr_int64_t now;
    unsigned char *secret;
    int *found;
} vc_secret_t;

/* GET Psecret:DAY, or, to create it, SET Psecret:DAY FRESH NX GET EX TTL:
 * the first server to make the day's secret wins, and the others read
 * it.  It expires once the longest visit begun on its day has ended. */
static apr_status_t secret_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_secret_t *sc = arg;
    unsigned char fresh[VC_SECRET_LEN];
    char name[NAME_MAX_LEN], ttl[24];
    apr_int64_t expires = (sc->day + 1) * VC_DAY_SECONDS
                          + (apr_int64_t)rs->o.longest_dedupe - sc->now;
    redisReply *r;
    vc_cmd_t cmd;
    apr_status_t rv;

    apr_snprintf(name, sizeof(name), "%ssecret:%" APR_INT64_T_FMT,
                 rs->o.prefix, sc->day);
    vc_redis_cmd_init(&cmd);
    if (sc->create) {
        if ((rv = apr_generate_random_bytes(fresh, sizeof(fresh)))) {
            return rv;
        }
        vc_redis_day_str(ttl, expires > 0 ? expires : 1);
        vc_redis_cmd_str(&cmd, "SET");
        vc_redis_cmd_str(&cmd, name);
        vc_redis_cmd_add(&cmd, (const char *)fresh, sizeof(fresh));
        vc_redis_cmd_str(&cmd, "NX");
        vc_redis_cmd_str(&cmd, "GET");
        vc_redis_cmd_str(&cmd, "EX");
        vc_redis_cmd_str(&cmd, ttl);
    }
    else {
        vc_redis_cmd_str(&cmd, "GET");
        vc_redis_cmd_str(&cmd, name);
    }
    rv = vc_redis_send_all(rs, conn, "a secret", 1, &cmd, &r, 0);
    if (rv == APR_SUCCESS) {
        if (r->type == REDIS_REPLY_ERROR) {
            rv = vc_redis_refused(rs, conn, "a secret", r);
        }
        else if (r->type == REDIS_REPLY_STRING && r->len == VC_SECRET_LEN) {
            memcpy(sc->secret, r->str, VC_SECRET_LEN);      /* theirs */
            *sc->found = 1;
        }
        else if (r->type == REDIS_REPLY_NIL && sc->create) {
            memcpy(sc->secret, fresh, VC_SECRET_LEN);       /* ours */
            *sc->found = 1;
        }
        else if (r->type != REDIS_REPLY_NIL) {
            rv = VC_STORE_ENGINE;
        }
        freeReplyObject(r);
    }
    memset(fresh, 0, sizeof(fresh));
    return rv;
}

static apr_status_t redis_secret(vc_store_t *store, apr_int64_t day,
                                 int create, apr_int64_t now,
                                 unsigned char *secret, int *found)
{
    vc_secret_t sc = { day, create, now, secret, found };

    *found = 0;
    return vc_redis_with_conn((vc_redis_t *)store, secret_call, &sc);
}

/* ---- admin ---------------------------------------------------------------- */

typedef struct {
    const char *what;           /* "set" or "del" */
    const char *key;
    const vc_counts_t *counts;  /* set */
    int *existed;               /* del */
} vc_change_t;

static apr_status_t change_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_change_t *ch = arg;
    char names[2][NAME_MAX_LEN], count[24], unique[24], max_keys[24];
    redisReply *r;
    vc_cmd_t call;
    apr_status_t rv;

    vc_redis_cmd_init(&call);
    vc_redis_cmd_str(&call, vc_redis_key_name(rs, names[0], ch->key, NULL));
    vc_redis_cmd_str(&call, vc_redis_index_name(rs, names[1]));
    vc_redis_cmd_str(&call, ch->what);
    vc_redis_cmd_str(&call, ch->key);
    if (ch->counts) {
        apr_snprintf(count, sizeof(count), "%" APR_UINT64_T_FMT,
                     ch->counts->count);
        apr_snprintf(unique, sizeof(unique), "%" APR_UINT64_T_FMT,
                     ch->counts->unique);
        apr_snprintf(max_keys, sizeof(max_keys), "%" APR_UINT64_T_FMT,
                     rs->o.max_keys);
        vc_redis_cmd_str(&call, count);
        vc_redis_cmd_str(&call, unique);
        vc_redis_cmd_str(&call, max_keys);
    }
    rv = vc_redis_eval(rs, conn, ch->counts ? "a set" : "a delete", &call, 2,
              rs->o.wait_replicas > 0, 0, &r);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_INTEGER) {
        rv = VC_STORE_ENGINE;
    }
    else if (ch->existed) {
        *ch->existed = r->integer > 0;
    }
    freeReplyObject(r);
    return rv;
}

static apr_status_t redis_set(vc_store_t *store, const char *key,
                              const vc_counts_t *counts)
{
    vc_change_t ch = { "set", key, counts, NULL };

    return vc_redis_with_conn((vc_redis_t *)store, change_call, &ch);
}

static apr_status_t redis_remove(vc_store_t *store, const char *key,
                                 int *existed)
{
    vc_change_t ch = { "del", key, NULL, existed };

    return vc_redis_with_conn((vc_redis_t *)store, change_call, &ch);
}

typedef struct {
    const char *prefix, *after;
    unsigned int limit;
    apr_array_header_t *entries;
    int *more;
    apr_pool_t *pool;
} vc_list_t;

/* The keys, from the index in byte order (ZRANGEBYLEX), then their counts
 * (an HMGET each, all sent at once): two round trips.  A key deleted
 * between the two is left out. */
static apr_status_t list_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    const vc_list_t *ls = arg;
    char name[NAME_MAX_LEN], limit[16];
    const char *min = "-", *max = "+";
    redisReply *keys, **counts;
    vc_cmd_t cmd, *gets;
    apr_status_t rv;
    size_t i, n;

    if (*ls->after && strcmp(ls->after, ls->prefix) >= 0) {
        min = apr_pstrcat(ls->pool, "(", ls->after, NULL);
    }
    else if (*ls->prefix) {
        min = apr_pstrcat(ls->pool, "[", ls->prefix, NULL);
    }
    if (*ls->prefix) {
        max = apr_pstrcat(ls->pool, "(", ls->prefix, "\xff", NULL);
    }
    apr_snprintf(limit, sizeof(limit), "%u", ls->limit + 1);
    vc_redis_cmd_init(&cmd);
    vc_redis_cmd_str(&cmd, "ZRANGEBYLEX");
    vc_redis_cmd_str(&cmd, vc_redis_index_name(rs, name));
    vc_redis_cmd_str(&cmd, min);
    vc_redis_cmd_str(&cmd, max);
    vc_redis_cmd_str(&cmd, "LIMIT");
    vc_redis_cmd_str(&cmd, "0");
    vc_redis_cmd_str(&cmd, limit);
    if ((rv = vc_redis_send_all(rs, conn, "a list", 1, &cmd, &keys, 0))) {
        return rv;
    }
    if (keys->type != REDIS_REPLY_ARRAY) {
        rv = keys->type == REDIS_REPLY_ERROR ? vc_redis_refused(rs, conn, "a list", keys)
                                             : VC_STORE_ENGINE;
        freeReplyObject(keys);
        return rv;
    }
    n = keys->elements > ls->limit ? ls->limit : keys->elements;
    *ls->more = keys->elements > ls->limit;
    gets = apr_palloc(ls->pool, sizeof(*gets) * (n ? n : 1));
    counts = apr_palloc(ls->pool, sizeof(*counts) * (n ? n : 1));
    for (i = 0; i < n; i++) {
        vc_redis_cmd_init(&gets[i]);
        vc_redis_cmd_str(&gets[i], "HMGET");
        vc_redis_cmd_str(&gets[i], vc_redis_key_name(rs, apr_palloc(ls->pool, NAME_MAX_LEN),
                                   keys->element[i]->str, NULL));
        vc_redis_cmd_str(&gets[i], "count");
        vc_redis_cmd_str(&gets[i], "unique");
    }
    if (n && (rv = vc_redis_send_all(rs, conn, "a list", (int)n, gets, counts, 0))) {
        freeReplyObject(keys);
        return rv;
    }
    for (i = 0; i < n && rv == APR_SUCCESS; i++) {
        vc_entry_t e;
        if (counts[i]->type != REDIS_REPLY_ARRAY || counts[i]->elements != 2
            || vc_redis_count_of(counts[i]->element[0], &e.counts.count)
            || vc_redis_count_of(counts[i]->element[1], &e.counts.unique)) {
            rv = VC_STORE_ENGINE;
        }
        else if (counts[i]->element[0]->type != REDIS_REPLY_NIL) {
            e.key = apr_pstrdup(ls->pool, keys->element[i]->str);
            APR_ARRAY_PUSH(ls->entries, vc_entry_t) = e;
        }
    }
    for (i = 0; i < n; i++) {
        freeReplyObject(counts[i]);
    }
    freeReplyObject(keys);
    return rv;
}

static apr_status_t redis_list(vc_store_t *store, const char *prefix,
                               const char *after, unsigned int limit,
                               apr_array_header_t **entries, int *more,
                               apr_pool_t *pool)
{
    vc_list_t ls = { prefix, after, limit, NULL, more, pool };

    *entries = ls.entries = apr_array_make(pool, limit < 64 ? (int)limit : 64,
                                           sizeof(vc_entry_t));
    *more = 0;
    return vc_redis_with_conn((vc_redis_t *)store, list_call, &ls);
}

/* Keys in the index, and the server's memory: used, and maxmemory. */
static apr_status_t stats_call(vc_redis_t *rs, vc_conn_t *conn, void *arg)
{
    vc_store_stats_t *stats = arg;
    char name[NAME_MAX_LEN], used[32], max[32];
    redisReply *r[2];
    vc_cmd_t cmds[2];
    apr_status_t rv;

    vc_redis_cmd_init(&cmds[0]);
    vc_redis_cmd_str(&cmds[0], "ZCARD");
    vc_redis_cmd_str(&cmds[0], vc_redis_index_name(rs, name));
    vc_redis_cmd_init(&cmds[1]);
    vc_redis_cmd_str(&cmds[1], "INFO");
    vc_redis_cmd_str(&cmds[1], "memory");
    if ((rv = vc_redis_send_all(rs, conn, "a stats read", 2, cmds, r, 0))) {
        return rv;
    }
    if (r[0]->type != REDIS_REPLY_INTEGER || r[1]->type != REDIS_REPLY_STRING) {
        rv = VC_STORE_ENGINE;
    }
    else {
        stats->keys = (apr_uint64_t)r[0]->integer;
        stats->used_bytes = apr_atoi64(vc_redis_info_field(r[1], "used_memory", used,
                                                  sizeof(used)));
        stats->size_bytes = apr_atoi64(vc_redis_info_field(r[1], "maxmemory", max,
                                                  sizeof(max)));
    }
    freeReplyObject(r[0]);
    freeReplyObject(r[1]);
    return rv;
}

static apr_status_t redis_stats(vc_store_t *store, vc_store_stats_t *stats)
{
    return vc_redis_with_conn((vc_redis_t *)store, stats_call, stats);
}

/* ---- lifecycle ------------------------------------------------------------ */

static apr_status_t redis_prepare(const vc_store_options_t *o,
                                  int chown_to_user, uid_t uid, gid_t gid,
                                  const char **what, apr_pool_t *ptemp)
{
    /* Nothing to make, and nothing to try: httpd starts while Redis is
     * down, and its children connect when a request needs them to. */
    (void)o;
    (void)chown_to_user;
    (void)uid;
    (void)gid;
    (void)what;
    (void)ptemp;
    return APR_SUCCESS;
}

static vc_redis_t *redis_make(const vc_store_options_t *o, apr_pool_t *pool)
{
    vc_redis_t *rs = apr_pcalloc(pool, sizeof(*rs));

    rs->o = *o;
    return rs;
}

#define TRIM_PAGE 200           /* keys per round trip of the maintenance */

/* Trims the history of the keys of one page of the index (a ZRANGEBYLEX
 * reply), all sent at once.  Trimming twice is harmless, so a page whose
 * script the server lost (NOSCRIPT) is sent again whole. */
static apr_status_t trim_page(vc_redis_t *rs, vc_conn_t *conn,
                              const redisReply *keys, const char *first,
                              apr_pool_t *p, apr_size_t *trimmed)
{
    vc_cmd_t *cmds = apr_palloc(p, sizeof(*cmds) * keys->elements);
    redisReply **replies = apr_palloc(p, sizeof(*replies) * keys->elements);
    apr_status_t rv;
    size_t i;
    int tries;

    for (tries = 0; tries < 2; tries++) {
        for (i = 0; i < keys->elements; i++) {
            vc_redis_cmd_init(&cmds[i]);
            vc_redis_cmd_str(&cmds[i], "EVALSHA");
            vc_redis_cmd_str(&cmds[i], conn->sha);
            vc_redis_cmd_str(&cmds[i], "1");
            vc_redis_cmd_str(&cmds[i], vc_redis_key_name(rs, apr_palloc(p, NAME_MAX_LEN),
                                       keys->element[i]->str, NULL));
            vc_redis_cmd_str(&cmds[i], "trim");
            vc_redis_cmd_str(&cmds[i], first);
        }
        if ((rv = vc_redis_send_all(rs, conn, "a maintenance", (int)keys->elements,
                           cmds, replies, 0)) != APR_SUCCESS) {
            return rv;
        }
        for (i = 0; i < keys->elements; i++) {
            const redisReply *r = replies[i];
            if (r->type == REDIS_REPLY_INTEGER) {
                *trimmed += (apr_size_t)r->integer;
            }
            else if (rv == APR_SUCCESS) {
                rv = r->type == REDIS_REPLY_ERROR
                     ? vc_redis_refused(rs, conn, "a maintenance", r) : VC_STORE_ENGINE;
            }
            freeReplyObject(replies[i]);
        }
        if (rv != RETRY_NOSCRIPT) {
            return rv;
        }
        if ((rv = vc_redis_load_script(rs, conn)) != APR_SUCCESS) {
            return rv;
        }
    }
    return VC_STORE_ENGINE;
}

/* Parent: drops the buckets older than the history from every key, a page
 * of keys per round trip, on a connection of its own.  The secrets and
 * the records of visitors expire by themselves. */
static apr_status_t redis_maintain(const vc_store_options_t *o,
                                   apr_int64_t now, apr_int64_t keep_from,
                                   vc_purged_t *purged, const char **what,
                                   apr_pool_t *ptemp)
{
    vc_redis_t *rs = redis_make(o, ptemp);
    vc_conn_t conn;
    char first[24], index[NAME_MAX_LEN], limit[16];
    const char *after = "-";
    apr_status_t rv;

    (void)keep_from;
    memset(&conn, 0, sizeof(conn));
    conn.pool = ptemp;
    rs->o.fail_fast = 0;
    *what = "connecting";
    if ((rv = vc_redis_open_conn(rs, &conn)) == APR_SUCCESS) {
        *what = "trimming the history";
        vc_redis_day_str(first, vc_day_of(now) - (apr_int64_t)o->history_days + 1);
        apr_snprintf(limit, sizeof(limit), "%d", TRIM_PAGE);
        vc_redis_index_name(rs, index);
    }
    while (rv == APR_SUCCESS) {
        redisReply *keys;
        vc_cmd_t cmd;
        int last;

        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "ZRANGEBYLEX");
        vc_redis_cmd_str(&cmd, index);
        vc_redis_cmd_str(&cmd, after);
        vc_redis_cmd_str(&cmd, "+");
        vc_redis_cmd_str(&cmd, "LIMIT");
        vc_redis_cmd_str(&cmd, "0");
        vc_redis_cmd_str(&cmd, limit);
        if ((rv = vc_redis_setup_call(rs, &conn, "a maintenance", &cmd, &keys))) {
            break;
        }
        if (keys->type != REDIS_REPLY_ARRAY) {
            rv = VC_STORE_ENGINE;
        }
        else if (keys->elements) {
            rv = trim_page(rs, &conn, keys, first, ptemp, &purged->buckets);
            after = apr_pstrcat(ptemp, "(",
                                keys->element[keys->elements - 1]->str, NULL);
        }
        last = keys->type != REDIS_REPLY_ARRAY || keys->elements < TRIM_PAGE;
        freeReplyObject(keys);
        if (last) {
            break;
        }
    }
    if (conn.c) {
        redisFree(conn.c);
    }
    return rv;
}

static void redis_close(vc_store_t *store)
{
    vc_redis_t *rs = (vc_redis_t *)store;

    if (rs->conns) {
        apr_reslist_destroy(rs->conns);
        rs->conns = NULL;
    }
}

static apr_status_t redis_cleanup(void *data)
{
    redis_close(data);
    return APR_SUCCESS;
}

static apr_status_t redis_open(vc_store_t **store, const vc_store_options_t *o,
                               const char **what, apr_pool_t *pool)
{
    vc_redis_t *rs;
    apr_pool_t *conns_pool;
    apr_status_t rv;

    /* The pool's own memory, touched only under the pool's lock. */
    if ((rv = apr_pool_create(&conns_pool, pool)) != APR_SUCCESS) {
        *what = "creating the connection pool";
        return rv;
    }
    rs = redis_make(o, pool);
    rv = apr_reslist_create(&rs->conns, 0, o->pool_size, o->pool_size, 0,
                            vc_redis_conn_make, vc_redis_conn_free, rs, conns_pool);
    if (rv != APR_SUCCESS) {
        *what = "creating the connection pool";
        return rv;
    }
    apr_reslist_timeout_set(rs->conns,
                            (apr_interval_time_t)o->command_timeout_ms * 1000);
    apr_pool_pre_cleanup_register(pool, rs, redis_cleanup);
    *store = &rs->base;
    return APR_SUCCESS;
}

const vc_store_ops_t vc_store_redis_ops = {
    "redis",
    redis_prepare,
    redis_maintain,
    redis_open,
    redis_hit,
    redis_get,
    redis_history,
    redis_secret,
    redis_set,
    redis_remove,
    redis_list,
    redis_stats,
    redis_close,
    vc_redis_dump,
    vc_redis_load,
    NULL,               /* backup: Redis has RDB and AOF for that */
    vc_redis_verify
};
