/* VisitCountStore's value: which engine holds the counts, and for Redis
 * where to reach it.  Pure parsing, over APR only. */
#ifndef VC_URL_H
#define VC_URL_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_network_io.h"

typedef enum {
    VC_STORE_LMDB = 0,
    VC_STORE_REDIS = 1
} vc_store_kind_e;

typedef enum {
    VC_REDIS_TCP = 0,           /* redis://host:port/db */
    VC_REDIS_UNIX = 1,          /* redis+unix:///path?db=N */
    VC_REDIS_SENTINEL = 2       /* redis-sentinel://h:p,h:p/master/db */
} vc_redis_mode_e;

typedef struct {
    const char *host;
    apr_port_t port;
} vc_hostport_t;

/* A VisitCountStore value, parsed. */
typedef struct {
    vc_store_kind_e kind;
    vc_redis_mode_e mode;
    const char *user;           /* ACL user, or NULL */
    const char *password;       /* or NULL */
    vc_hostport_t server;       /* TCP */
    const char *path;           /* unix socket */
    apr_array_header_t *sentinels; /* of vc_hostport_t */
    const char *master;         /* the Sentinel master's name */
    unsigned int db;
} vc_url_t;

#define VC_REDIS_DEFAULT_PORT 6379
#define VC_SENTINEL_DEFAULT_PORT 26379
#define VC_REDIS_MAX_DB 65535
#define VC_REDIS_MAX_SENTINELS 16

/* Parses "lmdb" or a Redis URL (see the README's VisitCountStore) into
 * *url.  Returns NULL, or why s is not a store. */
const char *vc_url_parse(apr_pool_t *p, const char *s,
                         vc_url_t *url);

/* The URL without its password, fit for a log line. */
const char *vc_url_display(apr_pool_t *p, const vc_url_t *url);

#endif
