/* The Redis store: counts shared by several httpd servers through one
 * Redis (or Valkey) server, reached directly, over a unix socket, or as
 * the primary that Sentinel names.  The only file that sees hiredis.h.
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

#include "apr_atomic.h"
#include "apr_general.h"
#include "apr_reslist.h"
#include "apr_strings.h"

#include <hiredis.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#ifdef VC_TEST_HOOKS
#include <signal.h>
#endif

/* The script, from vc_store_redis.lua (generated at build time). */
#include "vc_store_redis_lua.h"

#include "vc_store_redis_int.h"

/* ---- reports ------------------------------------------------------------ */

static void report(const vc_redis_t *rs, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!rs->o.log) {
        return;
    }
    va_start(ap, fmt);
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rs->o.log(rs->o.log_baton, level, msg);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- failing fast ------------------------------------------------------- */

static apr_uint32_t now_sec(void)
{
    return (apr_uint32_t)apr_time_sec(apr_time_now());
}

static int failing_fast(vc_redis_t *rs)
{
    return now_sec() < apr_atomic_read32(&rs->down_until);
}

static void fail_fast(vc_redis_t *rs)
{
    if (rs->o.fail_fast) {
        apr_atomic_set32(&rs->down_until, now_sec() + rs->o.fail_fast);
    }
}

/* ---- commands ----------------------------------------------------------- */

void vc_redis_cmd_init(vc_cmd_t *cmd)
{
    cmd->argc = 0;
    cmd->cap = MAX_ARGS;
    cmd->argv = cmd->argv_here;
    cmd->len = cmd->len_here;
}

/* A command of up to cap words, from pool. */
void vc_redis_cmd_init_pool(vc_cmd_t *cmd, int cap, apr_pool_t *pool)
{
    cmd->argc = 0;
    cmd->cap = cap;
    cmd->argv = apr_palloc(pool, sizeof(*cmd->argv) * (apr_size_t)cap);
    cmd->len = apr_palloc(pool, sizeof(*cmd->len) * (apr_size_t)cap);
}

void vc_redis_cmd_add(vc_cmd_t *cmd, const char *s, size_t len)
{
    if (cmd->argc < cmd->cap) {
        cmd->argv[cmd->argc] = s;
        cmd->len[cmd->argc++] = len;
    }
}

void vc_redis_cmd_str(vc_cmd_t *cmd, const char *s)
{
    vc_redis_cmd_add(cmd, s, strlen(s));
}

/* Why the connection failed, as a status: a reply that did not come in
 * time is a timeout (the command may have run), anything else a lost
 * connection. */
static apr_status_t io_failure(const redisContext *c, int err)
{
    return c->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK
                                      || err == ETIMEDOUT)
           ? VC_STORE_TIMEOUT : VC_STORE_DOWN;
}

/* Sends n commands at once (pipelined) and reads their n replies into
 * replies[].  On a broken connection frees what was read, reports it and
 * returns VC_STORE_TIMEOUT or VC_STORE_DOWN; the connection is then
 * unusable.  In test builds, crash kills the process once the commands
 * are sent, before any reply is read. */
apr_status_t vc_redis_send_all(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                               int n, const vc_cmd_t *cmds,
                               redisReply **replies, int crash)
{
    apr_status_t rv;
    int i, err;

    for (i = 0; i < n; i++) {
        replies[i] = NULL;
        redisAppendCommandArgv(conn->c, cmds[i].argc, cmds[i].argv,
                               cmds[i].len);
    }
#ifdef VC_TEST_HOOKS
    if (crash) {
        int done = 0;
        while (!done && redisBufferWrite(conn->c, &done) == REDIS_OK) {
        }
        raise(SIGKILL);             /* a child dying in the middle of a hit */
    }
#else
    (void)crash;
#endif
    for (i = 0; i < n; i++) {
        if (redisGetReply(conn->c, (void **)&replies[i]) != REDIS_OK) {
            break;
        }
    }
    if (i == n) {
        return APR_SUCCESS;
    }
    err = errno;
    rv = io_failure(conn->c, err);
    while (i-- > 0) {
        freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    fail_fast(rs);
    report(rs, VC_LOG_ERR, "VC0402: Redis at %s: %s %s: %s; %s for %u s",
           conn->where, op, rv == VC_STORE_TIMEOUT ? "got no answer in time"
           : "lost the connection", conn->c->errstr,
           rv == VC_STORE_TIMEOUT ? "it may have run, so it is not sent "
           "again; answering 503" : "answering 503", (unsigned int)rs->o.fail_fast);
    return rv;
}

/* What an error reply means; reports what it cannot name. */
apr_status_t vc_redis_refused(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                              const redisReply *r)
{
    if (starts(r->str, "NOSCRIPT")) {
        return RETRY_NOSCRIPT;
    }
    if (starts(r->str, "VCMAXED")) {
        return VC_STORE_MAXED;
    }
    if (starts(r->str, "VCKEYSFULL")) {
        return VC_STORE_KEYS_FULL;
    }
    if (starts(r->str, "READONLY") || starts(r->str, "LOADING")
        || starts(r->str, "MASTERDOWN")) {
        report(rs, VC_LOG_WARNING, "VC0406: Redis at %s answered %s to %s: "
               "not the primary any more, or not ready; trying the primary "
               "anew", conn->where, r->str, op);
        return RETRY_FAILOVER;
    }
    report(rs, VC_LOG_ERR, "VC0403: Redis at %s refused %s: %s%s",
           conn->where, op, r->str, starts(r->str, "OOM")
           ? " (it holds maxmemory: raise maxmemory, or free memory)" : "");
    return starts(r->str, "OOM") ? VC_STORE_NOMEM : VC_STORE_ENGINE;
}

/* Sends one command and checks that its reply is not an error; the reply
 * is the caller's to free.  For the commands a new connection sends. */
static apr_status_t setup_call(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                               const vc_cmd_t *cmd, redisReply **reply)
{
    apr_status_t rv = vc_redis_send_all(rs, conn, op, 1, cmd, reply, 0);

    if (rv == APR_SUCCESS && (*reply)->type == REDIS_REPLY_ERROR) {
        rv = vc_redis_refused(rs, conn, op, *reply);
        freeReplyObject(*reply);
        *reply = NULL;
        return rv == RETRY_FAILOVER ? VC_STORE_DOWN : rv;
    }
    return rv;
}

/* SCRIPT LOAD: the server keeps the script, and names it by its SHA-1. */
static apr_status_t load_script(vc_redis_t *rs, vc_conn_t *conn)
{
    redisReply *r;
    vc_cmd_t cmd;
    apr_status_t rv;

    vc_redis_cmd_init(&cmd);
    vc_redis_cmd_str(&cmd, "SCRIPT");
    vc_redis_cmd_str(&cmd, "LOAD");
    vc_redis_cmd_add(&cmd, vc_redis_script, sizeof(vc_redis_script) - 1);
    if ((rv = setup_call(rs, conn, "SCRIPT LOAD", &cmd, &r)) != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        freeReplyObject(r);
        return VC_STORE_ENGINE;
    }
    memcpy(conn->sha, r->str, 40);
    conn->sha[40] = '\0';
    freeReplyObject(r);
    return APR_SUCCESS;
}

/* Runs the script on conn with the words of call (KEYS, then ARGV), and
 * WAIT after it when wait is set; a script the server has lost is loaded
 * again, once.  On success *reply is the script's reply, the caller's to
 * free; a WAIT that fell short is VC_STORE_UNREPLICATED. */
apr_status_t vc_redis_eval(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                           const vc_cmd_t *call, int nkeys, int wait, int crash,
                           redisReply **reply)
{
    vc_cmd_t cmds[2];
    redisReply *replies[2];
    char nk[8], waits[2][24];
    apr_status_t rv;
    int i, tries;

    apr_snprintf(nk, sizeof(nk), "%d", nkeys);
    apr_snprintf(waits[0], sizeof(waits[0]), "%u", rs->o.wait_replicas);
    apr_snprintf(waits[1], sizeof(waits[1]), "%u",
                 (unsigned int)rs->o.wait_timeout_ms);
    vc_redis_cmd_init(&cmds[1]);
    vc_redis_cmd_str(&cmds[1], "WAIT");
    vc_redis_cmd_str(&cmds[1], waits[0]);
    vc_redis_cmd_str(&cmds[1], waits[1]);
    *reply = NULL;
    for (tries = 0; tries < 2; tries++) {
        vc_redis_cmd_init(&cmds[0]);
        vc_redis_cmd_str(&cmds[0], "EVALSHA");
        vc_redis_cmd_str(&cmds[0], conn->sha);
        vc_redis_cmd_str(&cmds[0], nk);
        for (i = 0; i < call->argc; i++) {
            vc_redis_cmd_add(&cmds[0], call->argv[i], call->len[i]);
        }
        if ((rv = vc_redis_send_all(rs, conn, op, wait ? 2 : 1, cmds, replies, crash))) {
            return rv;
        }
        rv = replies[0]->type == REDIS_REPLY_ERROR
             ? vc_redis_refused(rs, conn, op, replies[0]) : APR_SUCCESS;
        if (rv == APR_SUCCESS && wait
            && (replies[1]->type != REDIS_REPLY_INTEGER
                || replies[1]->integer < (long long)rs->o.wait_replicas)) {
            report(rs, VC_LOG_ERR, "VC0407: Redis at %s: %s reached %lld "
                   "of %u replicas in %u ms (VisitCountRedisWait); "
                   "answering 503", conn->where, op,
                   replies[1]->type == REDIS_REPLY_INTEGER
                   ? replies[1]->integer : -1LL, rs->o.wait_replicas,
                   (unsigned int)rs->o.wait_timeout_ms);
            rv = VC_STORE_UNREPLICATED;
        }
        if (wait) {
            freeReplyObject(replies[1]);
        }
        if (rv == APR_SUCCESS) {
            *reply = replies[0];
            return rv;
        }
        freeReplyObject(replies[0]);
        if (rv != RETRY_NOSCRIPT) {
            return rv;
        }
        if ((rv = load_script(rs, conn)) != APR_SUCCESS) {
            return rv;
        }
    }
    return VC_STORE_ENGINE;
}

/* ---- new connections ---------------------------------------------------- */

static struct timeval ms_tv(apr_uint32_t ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return tv;
}

/* The value of "name:" in an INFO reply, or "" (in buf). */
static const char *info_field(const redisReply *r, const char *name,
                              char *buf, apr_size_t size)
{
    const char *p;
    apr_size_t n = strlen(name);

    buf[0] = '\0';
    for (p = r && r->type == REDIS_REPLY_STRING ? r->str : NULL; p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncmp(p, name, n) && p[n] == ':') {
            apr_size_t len = strcspn(p + n + 1, "\r\n");
            apr_cpystrn(buf, p + n + 1, len + 1 < size ? len + 1 : size);
            break;
        }
    }
    return buf;
}

/* Once per child: says, in one warning, which Redis settings could lose
 * or evict acknowledged hits, and what to set instead. */
static void check_settings(vc_redis_t *rs, vc_conn_t *conn)
{
    vc_cmd_t cmds[3];
    redisReply *r[3];
    char aof[8], policy[32], fsync[16] = "";
    const char *want = "";

    if (apr_atomic_cas32(&rs->checked, 1, 0) != 0) {
        return;
    }
    vc_redis_cmd_init(&cmds[0]);
    vc_redis_cmd_str(&cmds[0], "INFO");
    vc_redis_cmd_str(&cmds[0], "persistence");
    vc_redis_cmd_init(&cmds[1]);
    vc_redis_cmd_str(&cmds[1], "INFO");
    vc_redis_cmd_str(&cmds[1], "memory");
    vc_redis_cmd_init(&cmds[2]);
    vc_redis_cmd_str(&cmds[2], "CONFIG");
    vc_redis_cmd_str(&cmds[2], "GET");
    vc_redis_cmd_str(&cmds[2], "appendfsync");
    if (vc_redis_send_all(rs, conn, "INFO", 3, cmds, r, 0) != APR_SUCCESS) {
        return;
    }
    info_field(r[0], "aof_enabled", aof, sizeof(aof));
    info_field(r[1], "maxmemory_policy", policy, sizeof(policy));
    if (r[2]->type == REDIS_REPLY_ARRAY && r[2]->elements == 2
        && r[2]->element[1]->type == REDIS_REPLY_STRING) {
        apr_cpystrn(fsync, r[2]->element[1]->str, sizeof(fsync));
    }
    if (strcmp(aof, "1")) {
        want = "appendonly yes, appendfsync always";
    }
    else if (strcmp(fsync, "always")) {
        want = "appendfsync always";
    }
    if (*policy && strcmp(policy, "noeviction")) {
        want = apr_pstrcat(conn->pool, want, *want ? ", " : "",
                           "maxmemory-policy noeviction", NULL);
    }
    if (*want) {
        report(rs, VC_LOG_WARNING, "VC0405: Redis at %s can lose or evict "
               "acknowledged hits (appendonly %s, appendfsync %s, "
               "maxmemory-policy %s): set %s", conn->where,
               strcmp(aof, "1") ? "no" : "yes", *fsync ? fsync : "unknown",
               *policy ? policy : "unknown", want);
    }
    freeReplyObject(r[0]);
    freeReplyObject(r[1]);
    freeReplyObject(r[2]);
}

/* The primary's address, from the first Sentinel that names one. */
static apr_status_t ask_sentinels(vc_redis_t *rs, apr_pool_t *p,
                                  const char **host, int *port)
{
    const apr_array_header_t *sentinels = rs->o.url.sentinels;
    int i;

    for (i = 0; i < sentinels->nelts; i++) {
        const vc_hostport_t *hp = &APR_ARRAY_IDX(sentinels, i, vc_hostport_t);
        redisContext *c = redisConnectWithTimeout(hp->host, hp->port,
                                                  ms_tv(rs->o.connect_timeout_ms));
        redisReply *r = NULL;

        if (c && !c->err) {
            redisSetTimeout(c, ms_tv(rs->o.command_timeout_ms));
            r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
                             rs->o.url.master);
        }
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2
            && r->element[0]->type == REDIS_REPLY_STRING
            && r->element[1]->type == REDIS_REPLY_STRING) {
            *host = apr_pstrdup(p, r->element[0]->str);
            *port = atoi(r->element[1]->str);
        }
        if (r) {
            freeReplyObject(r);
        }
        if (c) {
            redisFree(c);
        }
        if (*host) {
            return APR_SUCCESS;
        }
    }
    report(rs, VC_LOG_ERR, "VC0404: none of the %d Sentinels of %s named "
           "a primary for '%s'; answering 503 for %u s", sentinels->nelts,
           vc_url_display(p, &rs->o.url), rs->o.url.master,
           (unsigned int)rs->o.fail_fast);
    return VC_STORE_DOWN;
}

/* Connects conn to the server, or to the primary Sentinel names. */
static apr_status_t connect_server(vc_redis_t *rs, vc_conn_t *conn)
{
    const vc_url_t *u = &rs->o.url;
    struct timeval tv = ms_tv(rs->o.connect_timeout_ms);
    const char *host = u->server.host;
    int port = u->server.port;
    apr_status_t rv;

    if (u->mode == VC_REDIS_UNIX) {
        conn->where = u->path;
        conn->c = redisConnectUnixWithTimeout(u->path, tv);
    }
    else {
        if (u->mode == VC_REDIS_SENTINEL) {
            host = NULL;
            if ((rv = ask_sentinels(rs, conn->pool, &host, &port))) {
                return rv;
            }
        }
        conn->where = apr_psprintf(conn->pool, strchr(host, ':') ? "[%s]:%d"
                                   : "%s:%d", host, port);
        conn->c = redisConnectWithTimeout(host, port, tv);
    }
    if (!conn->c || conn->c->err) {
        report(rs, VC_LOG_ERR, "VC0401: cannot connect to Redis at %s: "
               "%s; answering 503 for %u s", conn->where,
               conn->c ? conn->c->errstr : "out of memory",
               (unsigned int)rs->o.fail_fast);
        return VC_STORE_DOWN;
    }
    redisSetTimeout(conn->c, ms_tv(rs->o.command_timeout_ms));
    return APR_SUCCESS;
}

/* A connection ready for use: connected, authenticated, on its database,
 * to a primary, with the script loaded. */
static apr_status_t open_conn(vc_redis_t *rs, vc_conn_t *conn)
{
    const vc_url_t *u = &rs->o.url;
    char db[16];
    redisReply *r;
    vc_cmd_t cmd;
    apr_status_t rv;

    if ((rv = connect_server(rs, conn)) != APR_SUCCESS) {
        return rv;
    }
    if (rs->o.password) {
        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "AUTH");
        if (u->user) {
            vc_redis_cmd_str(&cmd, u->user);
        }
        vc_redis_cmd_str(&cmd, rs->o.password);
        if ((rv = setup_call(rs, conn, "AUTH", &cmd, &r)) != APR_SUCCESS) {
            return rv;
        }
        freeReplyObject(r);
    }
    if (u->db) {
        apr_snprintf(db, sizeof(db), "%u", u->db);
        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "SELECT");
        vc_redis_cmd_str(&cmd, db);
        if ((rv = setup_call(rs, conn, "SELECT", &cmd, &r)) != APR_SUCCESS) {
            return rv;
        }
        freeReplyObject(r);
    }
    if (u->mode == VC_REDIS_SENTINEL) {
        int primary;
        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "ROLE");
        if ((rv = setup_call(rs, conn, "ROLE", &cmd, &r)) != APR_SUCCESS) {
            return rv;
        }
        primary = r->type == REDIS_REPLY_ARRAY && r->elements > 0
                  && r->element[0]->type == REDIS_REPLY_STRING
                  && !strcmp(r->element[0]->str, "master");
        freeReplyObject(r);
        if (!primary) {
            report(rs, VC_LOG_WARNING, "VC0406: Sentinel named %s as the "
                   "primary, but it is not one (yet): a failover is under "
                   "way; answering 503 for %u s", conn->where,
                   (unsigned int)rs->o.fail_fast);
            return VC_STORE_DOWN;
        }
    }
    if ((rv = load_script(rs, conn)) != APR_SUCCESS) {
        return rv;
    }
    check_settings(rs, conn);
    return APR_SUCCESS;
}

/* ---- the pool ----------------------------------------------------------- */

static apr_status_t conn_free(void *resource, void *params, apr_pool_t *pool)
{
    vc_conn_t *conn = resource;

    (void)params;
    (void)pool;
    if (conn->c) {
        redisFree(conn->c);
        conn->c = NULL;
    }
    apr_pool_destroy(conn->pool);
    return APR_SUCCESS;
}

/* The pool's constructor: called under the pool's lock, so while the
 * child fails fast, the threads queued behind a failed connect do not
 * each wait for a timeout of their own. */
static apr_status_t conn_make(void **resource, void *params, apr_pool_t *pool)
{
    vc_redis_t *rs = params;
    vc_conn_t *conn;
    apr_pool_t *cp;
    apr_status_t rv;

    if (failing_fast(rs)) {
        return VC_STORE_FAILFAST;
    }
    if ((rv = apr_pool_create(&cp, pool)) != APR_SUCCESS) {
        return rv;
    }
    conn = apr_pcalloc(cp, sizeof(*conn));
    conn->pool = cp;
    conn->generation = apr_atomic_read32(&rs->generation);
    if ((rv = open_conn(rs, conn)) != APR_SUCCESS) {
        fail_fast(rs);
        conn_free(conn, rs, pool);
        return rv;
    }
    *resource = conn;
    return APR_SUCCESS;
}

/* True when the server closed the idle connection (a restart, an idle
 * timeout): it then reads as ready, since Redis sends nothing unasked. */
static int stale(const vc_conn_t *conn)
{
    struct pollfd pfd;

    pfd.fd = conn->c->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) != 0;
}

/* A connection for this thread, until release(). */
static apr_status_t acquire(vc_redis_t *rs, vc_conn_t **conn)
{
    unsigned int tries;
    apr_status_t rv;

    for (tries = 0; tries <= rs->o.pool_size; tries++) {
        if (failing_fast(rs)) {
            return VC_STORE_FAILFAST;
        }
        rv = apr_reslist_acquire(rs->conns, (void **)conn);
        if (APR_STATUS_IS_EAGAIN(rv) || APR_STATUS_IS_TIMEUP(rv)) {
            return VC_STORE_TIMEOUT;    /* every connection stayed busy */
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if ((*conn)->generation == apr_atomic_read32(&rs->generation)
            && !stale(*conn)) {
            return APR_SUCCESS;
        }
        apr_reslist_invalidate(rs->conns, *conn);
    }
    return VC_STORE_DOWN;
}

/* Gives conn back to the pool, or, when it failed, frees it. */
static void release(vc_redis_t *rs, vc_conn_t *conn)
{
    if (conn->c->err) {
        apr_reslist_invalidate(rs->conns, conn);
    }
    else {
        apr_reslist_release(rs->conns, conn);
    }
}

/* Runs fn on a connection of the pool.  After a failover (READONLY and
 * the like: nothing ran) every connection of the old primary is dropped,
 * and fn runs once more on a new one. */
apr_status_t vc_redis_with_conn(vc_redis_t *rs, vc_call_fn fn, void *arg)
{
    vc_conn_t *conn;
    apr_status_t rv;
    int tries;

    for (tries = 0; tries < 2; tries++) {
        if ((rv = acquire(rs, &conn)) != APR_SUCCESS) {
            return rv;
        }
        rv = fn(rs, conn, arg);
        if (rv != RETRY_FAILOVER) {
            release(rs, conn);
            return rv;
        }
        apr_atomic_inc32(&rs->generation);
        apr_reslist_invalidate(rs->conns, conn);
    }
    fail_fast(rs);
    return VC_STORE_DOWN;
}

/* ---- key names and values ----------------------------------------------- */

/* P{K}, or with a day P{K}:s:DAY: one key's records, one hash tag. */
const char *vc_redis_key_name(const vc_redis_t *rs, char *buf, const char *key,
                              const char *day)
{
    apr_snprintf(buf, NAME_MAX_LEN, "%s{%s}%s%s", rs->o.prefix, key,
                 day ? ":s:" : "", day ? day : "");
    return buf;
}

const char *vc_redis_index_name(const vc_redis_t *rs, char *buf)
{
    apr_snprintf(buf, NAME_MAX_LEN, "%skeys", rs->o.prefix);
    return buf;
}

static const char *day_str(char *buf, apr_int64_t day)
{
    apr_snprintf(buf, 24, "%" APR_INT64_T_FMT, day);
    return buf;
}

/* An unsigned count from a string reply; nil reads as 0.  A count that is
 * not one is the store's fault, not the client's. */
apr_status_t vc_redis_count_of(const redisReply *r, apr_uint64_t *v)
{
    *v = 0;
    if (r->type == REDIS_REPLY_NIL) {
        return APR_SUCCESS;
    }
    if (r->type != REDIS_REPLY_STRING
        || vc_parse_uint(r->str, 0, APR_UINT64_MAX, v) != 0) {
        return VC_STORE_ENGINE;
    }
    return APR_SUCCESS;
}

/* A day bucket, "COUNT UNIQUE", or nil. */
apr_status_t vc_redis_bucket_of(const redisReply *r, vc_counts_t *c)
{
    char count[24];
    const char *space;

    memset(c, 0, sizeof(*c));
    if (r->type == REDIS_REPLY_NIL) {
        return APR_SUCCESS;
    }
    if (r->type != REDIS_REPLY_STRING
        || !(space = strchr(r->str, ' ')) || space - r->str >= 24) {
        return VC_STORE_ENGINE;
    }
    apr_cpystrn(count, r->str, (apr_size_t)(space - r->str) + 1);
    return vc_parse_uint(count, 0, APR_UINT64_MAX, &c->count) == 0
           && vc_parse_uint(space + 1, 0, APR_UINT64_MAX, &c->unique) == 0
           ? APR_SUCCESS : VC_STORE_ENGINE;
}

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

    day_str(today, day);
    day_str(before, day - 1);
    day_str(now, h->now);
    day_str(seen_ttl, ttl > 0 ? ttl : 1);
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
        day_str(ttl, expires > 0 ? expires : 1);
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
        stats->used_bytes = apr_atoi64(info_field(r[1], "used_memory", used,
                                                  sizeof(used)));
        stats->size_bytes = apr_atoi64(info_field(r[1], "maxmemory", max,
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
        if ((rv = load_script(rs, conn)) != APR_SUCCESS) {
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
    if ((rv = open_conn(rs, &conn)) == APR_SUCCESS) {
        *what = "trimming the history";
        day_str(first, vc_day_of(now) - (apr_int64_t)o->history_days + 1);
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
        if ((rv = setup_call(rs, &conn, "a maintenance", &cmd, &keys))) {
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
                            conn_make, conn_free, rs, conns_pool);
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
