/* The inside of the Redis store, shared by its three files:
 *   vc_store_redis_conn.c  reports, commands, the script, connections and
 *                          their pool, key names and values
 *   vc_store_redis.c       the module's operations: hits, reads, secrets,
 *                          admin, maintenance, opening and closing
 *   vc_store_redis_bulk.c  the admin tool's dump, load and verify
 * Both use the first; vc_store_redis.c's table of operations also names
 * the bulk ones, and vc_store_redis_bulk.c uses nothing else.  Only these
 * files include hiredis.h; this header names its types by their struct
 * tags so it needs not.
 */
#ifndef VC_STORE_REDIS_INT_H
#define VC_STORE_REDIS_INT_H

#include "vc_store.h"

#include "apr_reslist.h"

struct redisContext;
struct redisReply;

/* Outcomes that stay inside the store: the command did not run. */
#define RETRY_NOSCRIPT (VC_STORE_ERRSPACE + 90)
#define RETRY_FAILOVER (VC_STORE_ERRSPACE + 91)

#define NAME_MAX_LEN 256        /* a Redis key name we build */
#define MAX_ARGS 24             /* words in a command we build */

typedef struct {
    struct redisContext *c;
    apr_pool_t *pool;
    char sha[41];               /* the script, as this server knows it */
    const char *where;          /* host:port or socket, for log lines */
    apr_uint32_t generation;    /* rs->generation when it was made */
} vc_conn_t;

typedef struct {
    vc_store_t base;            /* first: a vc_redis_t is a vc_store_t */
    vc_store_options_t o;
    apr_reslist_t *conns;
    volatile apr_uint32_t down_until;   /* fail fast until (seconds) */
    volatile apr_uint32_t generation;   /* bumped by a failover */
    volatile apr_uint32_t checked;      /* the settings were checked */
} vc_redis_t;

/* One command: its words and their lengths, held in the struct itself up
 * to MAX_ARGS words, or in a pool (vc_redis_cmd_init_pool).  Never
 * copied. */
typedef struct {
    int argc, cap;
    const char **argv;
    size_t *len;
    const char *argv_here[MAX_ARGS];
    size_t len_here[MAX_ARGS];
} vc_cmd_t;

void vc_redis_cmd_init(vc_cmd_t *cmd);
void vc_redis_cmd_init_pool(vc_cmd_t *cmd, int cap, apr_pool_t *pool);
void vc_redis_cmd_add(vc_cmd_t *cmd, const char *s, size_t len);
void vc_redis_cmd_str(vc_cmd_t *cmd, const char *s);

/* Sends n commands pipelined and reads their n replies; on a broken
 * connection VC_STORE_TIMEOUT or VC_STORE_DOWN, nothing to free. */
apr_status_t vc_redis_send_all(vc_redis_t *rs, vc_conn_t *conn,
                               const char *op, int n, const vc_cmd_t *cmds,
                               struct redisReply **replies, int crash);

/* What an error reply means, as a status. */
apr_status_t vc_redis_refused(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                              const struct redisReply *r);

/* Runs the store's script (KEYS, then ARGV in call), reloading it once if
 * the server lost it; *reply is the caller's to free. */
apr_status_t vc_redis_eval(vc_redis_t *rs, vc_conn_t *conn, const char *op,
                           const vc_cmd_t *call, int nkeys, int wait,
                           int crash, struct redisReply **reply);

/* Runs fn on a pooled connection, once more after a failover. */
typedef apr_status_t (*vc_call_fn)(vc_redis_t *rs, vc_conn_t *conn,
                                   void *arg);
apr_status_t vc_redis_with_conn(vc_redis_t *rs, vc_call_fn fn, void *arg);

/* P{K} (day NULL) or P{K}:s:DAY, and Pkeys, in buf (NAME_MAX_LEN). */
const char *vc_redis_key_name(const vc_redis_t *rs, char *buf,
                              const char *key, const char *day);
const char *vc_redis_index_name(const vc_redis_t *rs, char *buf);

/* A count from a string reply (nil: 0), and a bucket "COUNT UNIQUE";
 * VC_STORE_ENGINE when malformed. */
apr_status_t vc_redis_count_of(const struct redisReply *r, apr_uint64_t *v);
apr_status_t vc_redis_bucket_of(const struct redisReply *r, vc_counts_t *c);

/* ---- vc_store_redis_bulk.c ----------------------------------------------- */

apr_status_t vc_redis_dump(vc_store_t *store, const char *prefix,
                           int with_days, vc_dump_fn *fn, void *baton,
                           apr_pool_t *pool);
apr_status_t vc_redis_load(vc_store_t *store, const vc_record_t *records,
                           apr_size_t n, vc_merge_e mode, apr_int64_t now,
                           apr_size_t *bad, apr_pool_t *pool);
apr_status_t vc_redis_verify(vc_store_t *store, apr_int64_t now,
                             apr_uint64_t *problems, const char **first,
                             apr_pool_t *pool);

/* ---- more of vc_store_redis_conn.c, for vc_store_redis.c ----------------- */

/* 1 when s begins with prefix. */
int vc_redis_starts(const char *s, const char *prefix);

/* Stops this process trying Redis for VisitCountRedisFailFast. */
void vc_redis_fail_fast(vc_redis_t *rs);

/* One command of the connection's setting up, its reply in *reply. */
apr_status_t vc_redis_setup_call(vc_redis_t *rs, vc_conn_t *conn,
                                 const char *op, const vc_cmd_t *cmd,
                                 struct redisReply **reply);

/* SCRIPT LOAD of the store's script on conn, its SHA1 kept in conn. */
apr_status_t vc_redis_load_script(vc_redis_t *rs, vc_conn_t *conn);

/* The value of "name:" in an INFO reply, or "", in buf. */
const char *vc_redis_info_field(const struct redisReply *r, const char *name,
                                char *buf, apr_size_t size);

/* Connects conn to the server (asking Sentinel where it is) and sets the
 * connection up: password, database, settings checked once. */
apr_status_t vc_redis_open_conn(vc_redis_t *rs, vc_conn_t *conn);

/* The pool's constructor and destructor of connections. */
apr_status_t vc_redis_conn_make(void **resource, void *params,
                                apr_pool_t *pool);
apr_status_t vc_redis_conn_free(void *resource, void *params,
                                apr_pool_t *pool);

/* A day number in decimal, in buf (24 bytes). */
const char *vc_redis_day_str(char *buf, apr_int64_t day);

#endif
