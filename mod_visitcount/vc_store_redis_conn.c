/* The Redis store's plumbing: its reports, failing fast, commands and
 * their replies, the script (vc_store_redis.lua, loaded again when Redis
 * has forgotten it), new connections (directly, over a unix socket, or
 * to the primary Sentinel names, with the server's settings checked once),
 * the per-child pool of connections, and the names and values of keys.
 * What the store does with them is in vc_store_redis.c (the module's
 * operations) and vc_store_redis_bulk.c (the admin tool's).  With them,
 * the only files that see hiredis.h.
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

int vc_redis_starts(const char *s, const char *prefix)
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

void vc_redis_fail_fast(vc_redis_t *rs)
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
    vc_redis_fail_fast(rs);
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
    if (vc_redis_starts(r->str, "NOSCRIPT")) {
        return RETRY_NOSCRIPT;
    }
    if (vc_redis_starts(r->str, "VCMAXED")) {
        return VC_STORE_MAXED;
    }
    if (vc_redis_starts(r->str, "VCKEYSFULL")) {
        return VC_STORE_KEYS_FULL;
    }
    if (vc_redis_starts(r->str, "READONLY") || vc_redis_starts(r->str, "LOADING")
        || vc_redis_starts(r->str, "MASTERDOWN")) {
        report(rs, VC_LOG_WARNING, "VC0406: Redis at %s answered %s to %s: "
               "not the primary any more, or not ready; trying the primary "
               "anew", conn->where, r->str, op);
        return RETRY_FAILOVER;
    }
    report(rs, VC_LOG_ERR, "VC0403: Redis at %s refused %s: %s%s",
           conn->where, op, r->str, vc_redis_starts(r->str, "OOM")
           ? " (it holds maxmemory: raise maxmemory, or free memory)" : "");
    return vc_redis_starts(r->str, "OOM") ? VC_STORE_NOMEM : VC_STORE_ENGINE;
}

/* Sends one command and checks that its reply is not an error; the reply
 * is the caller's to free.  For the commands a new connection sends. */
apr_status_t vc_redis_setup_call(vc_redis_t *rs, vc_conn_t *conn,
                                 const char *op, const vc_cmd_t *cmd,
                                 redisReply **reply)
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
apr_status_t vc_redis_load_script(vc_redis_t *rs, vc_conn_t *conn)
{
    redisReply *r;
    vc_cmd_t cmd;
    apr_status_t rv;

    vc_redis_cmd_init(&cmd);
    vc_redis_cmd_str(&cmd, "SCRIPT");
    vc_redis_cmd_str(&cmd, "LOAD");
    vc_redis_cmd_add(&cmd, vc_redis_script, sizeof(vc_redis_script) - 1);
    if ((rv = vc_redis_setup_call(rs, conn, "SCRIPT LOAD", &cmd, &r)) != APR_SUCCESS) {
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
static apr_status_t eval_in(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                            const vc_cmd_t *call, int nkeys, int wait,
                            int crash, redisReply **reply, apr_pool_t *big)
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
        if (big) {
            vc_redis_cmd_init_pool(&cmds[0], call->argc + 3, big);
        }
        else {
            vc_redis_cmd_init(&cmds[0]);
        }
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
        if ((rv = vc_redis_load_script(rs, conn)) != APR_SUCCESS) {
            return rv;
        }
    }
    return VC_STORE_ENGINE;
}

/* eval_in(), with the words of a call too long for a vc_cmd_t of its own
 * (the admin tool's batches) held in a pool for the call's time. */
apr_status_t vc_redis_eval(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                           const vc_cmd_t *call, int nkeys, int wait, int crash,
                           redisReply **reply)
{
    apr_pool_t *big = NULL;
    apr_status_t rv;

    if (call->argc + 3 > MAX_ARGS
        && (rv = apr_pool_create(&big, conn->pool)) != APR_SUCCESS) {
        return rv;
    }
    rv = eval_in(rs, conn, op, call, nkeys, wait, crash, reply, big);
    if (big) {
        apr_pool_destroy(big);
    }
    return rv;
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
const char *vc_redis_info_field(const redisReply *r, const char *name,
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
    vc_redis_info_field(r[0], "aof_enabled", aof, sizeof(aof));
    vc_redis_info_field(r[1], "maxmemory_policy", policy, sizeof(policy));
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
apr_status_t vc_redis_open_conn(vc_redis_t *rs, vc_conn_t *conn)
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
        if ((rv = vc_redis_setup_call(rs, conn, "AUTH", &cmd, &r)) != APR_SUCCESS) {
            return rv;
        }
        freeReplyObject(r);
    }
    if (u->db) {
        apr_snprintf(db, sizeof(db), "%u", u->db);
        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "SELECT");
        vc_redis_cmd_str(&cmd, db);
        if ((rv = vc_redis_setup_call(rs, conn, "SELECT", &cmd, &r)) != APR_SUCCESS) {
            return rv;
        }
        freeReplyObject(r);
    }
    if (u->mode == VC_REDIS_SENTINEL) {
        int primary;
        vc_redis_cmd_init(&cmd);
        vc_redis_cmd_str(&cmd, "ROLE");
        if ((rv = vc_redis_setup_call(rs, conn, "ROLE", &cmd, &r)) != APR_SUCCESS) {
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
    if ((rv = vc_redis_load_script(rs, conn)) != APR_SUCCESS) {
        return rv;
    }
    check_settings(rs, conn);
    return APR_SUCCESS;
}

/* ---- the pool ----------------------------------------------------------- */

apr_status_t vc_redis_conn_free(void *resource, void *params,
                                apr_pool_t *pool)
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
apr_status_t vc_redis_conn_make(void **resource, void *params,
                                apr_pool_t *pool)
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
    if ((rv = vc_redis_open_conn(rs, conn)) != APR_SUCCESS) {
        vc_redis_fail_fast(rs);
        vc_redis_conn_free(conn, rs, pool);
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
    vc_redis_fail_fast(rs);
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

const char *vc_redis_day_str(char *buf, apr_int64_t day)
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
