/* Configuration of mod_visitcount: the server-wide store settings, the
 * per-directory API settings, their defaults, and how scopes merge
 * (vc_config.c); where the handlers are mounted (vc_config_mount.c); and
 * the store's effective settings (vc_config_store.c).
 */
#ifndef VC_CONFIG_H
#define VC_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "vc_store.h"

#define VC_UNSET (-1)

#define VC_DEFAULT_MAP_SIZE ((apr_uint64_t)64 << 20)
#define VC_MIN_MAP_SIZE     ((apr_uint64_t)64 << 10)
#define VC_MAX_MAP_SIZE     ((apr_uint64_t)1 << 40)
#define VC_DEFAULT_DURABILITY VC_DURABILITY_GROUP
#define VC_DEFAULT_KEY "default"
#define VC_DEFAULT_DEDUPE 1800          /* seconds: 30m */
#define VC_MAX_DEDUPE 86400             /* a visit fits in yesterday + today */
#define VC_DEFAULT_HISTORY 400          /* days */
#define VC_MAX_HISTORY 3660
#define VC_DEFAULT_MAX_KEYS 100000
#define VC_MAX_MAX_KEYS 1000000000
#define VC_DEFAULT_REDIS_PREFIX "vc:"
#define VC_MAX_REDIS_PREFIX 64
#define VC_DEFAULT_CONNECT_MS 500
#define VC_DEFAULT_COMMAND_MS 1000
#define VC_MAX_TIMEOUT_MS 60000
#define VC_DEFAULT_FAIL_FAST 2          /* seconds */
#define VC_MAX_FAIL_FAST 3600
#define VC_MAX_POOL 1024
#define VC_DEFAULT_WAIT_MS 100
#define VC_MAX_WAIT_REPLICAS 16
#define VC_DEFAULT_METRICS_TOP 10      /* keys labelled by the metrics */
#define VC_MAX_METRICS_TOP 1000

#ifndef VC_DEFAULT_DBDIR
#define VC_DEFAULT_DBDIR "/var/lib/visitcount"
#endif

/* Per server.  The store settings are read from the main server only. */
typedef struct {
    const vc_url_t *store;       /* NULL: lmdb */
    const char *db_dir;          /* NULL: VC_DEFAULT_DBDIR */
    apr_uint64_t map_size;       /* 0: VC_DEFAULT_MAP_SIZE */
    int durability;              /* VC_UNSET: VC_DEFAULT_DURABILITY */
    unsigned int history_days;   /* 0: VC_DEFAULT_HISTORY */
    apr_uint64_t max_keys;       /* 0: VC_DEFAULT_MAX_KEYS */
    apr_uint32_t longest_dedupe; /* longest VisitCountDedupe in this
                                    server's sections, seconds */
    /* Paths of this server's <Location> sections that map one of our
     * handlers, without trailing '/' ("" for "/"): keys are taken from
     * the URL below them.  Filled by vc_config_find_mounts(). */
    apr_array_header_t *mounts;
    /* The Redis store's settings (VC_UNSET or 0: the default). */
    const char *redis_prefix;
    const char *redis_password_file;
    const char *redis_password;  /* read from the file at start-up */
    int redis_connect_ms;
    int redis_command_ms;
    int redis_pool;
    int redis_fail_fast;         /* seconds; 0: off */
    int redis_wait;              /* replicas; 0: off */
    int redis_wait_ms;
} vc_server_conf;

/* Per directory or location: how the API behaves there. */
typedef struct {
    const char *default_key;          /* NULL: VC_DEFAULT_KEY */
    apr_array_header_t *origins;      /* NULL: no CORS; of const char * */
    int any_origin;                   /* VC_UNSET, 0, 1: "*" */
    int increment_on_get;             /* VC_UNSET, 0, 1 */
    int dedupe;                       /* VC_UNSET or seconds (0: off) */
    int unique;                       /* VC_UNSET, 0, 1 */
    int count_bots;                   /* VC_UNSET, 0 (ignore), 1 (count) */
    int page;                         /* VC_UNSET, 0, 1 */
    int metrics_top_keys;             /* VC_UNSET or 0..VC_MAX_METRICS_TOP */
    /* Flood control (VisitCountRateLimit, VisitCountRateLimitStatus). */
    int rate_limit;                   /* VC_UNSET, 0 (off) or attempts */
    int rate_period;                  /* seconds per window */
    int rate_status;                  /* VC_UNSET, 200 or 429 */
    /* Badges (visitcount-badge): */
    int badge_count;                  /* VC_UNSET or a vc_badge_count_e */
} vc_dir_conf;

/* VisitCountBadgeCount: which badge fetches count a view. */
typedef enum {
    VC_BADGE_COUNT_OFF = 0,           /* none: badges only read */
    VC_BADGE_COUNT_CAMO = 1,          /* GitHub's image proxy's */
    VC_BADGE_COUNT_ON = 2             /* every GET */
} vc_badge_count_e;

extern const command_rec vc_cmds[];

void *vc_create_server_conf(apr_pool_t *p, server_rec *s);
void *vc_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *vc_create_dir_conf(apr_pool_t *p, char *dir);
void *vc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* Walks the parsed configuration for <Location> sections whose SetHandler
 * names one of our handlers, and records their paths in the
 * mounts of the server (main or virtual host) they belong to. */
void vc_config_find_mounts(server_rec *main_server, apr_pool_t *p);

/* The longest recorded mount of r's server (or of the main server, whose
 * sections apply to every virtual host) that is r->uri or a path-segment
 * prefix of it; NULL when the handler was mapped another way. */
const char *vc_config_mount(request_rec *r);

/* The raw path below the <Location> that maps this request's handler
 * (starting with '/', '?' or at the end).  Without such a section (the
 * handler was mapped another way) it is the whole path.  NULL when the raw
 * path does not decode to the mount, as with "/api//visits/x". */
const char *vc_config_path_below_mount(request_rec *r);

/* The store's settings for this MPM, with defaults applied; log, with
 * baton, reports what the store cannot say in a status. */
void vc_config_store_options(server_rec *main_server, vc_store_options_t *o,
                             vc_store_log_fn *log, void *baton);

/* At start-up, as root: reads VisitCountRedisPasswordFile, checks that the
 * store directives agree with each other, and logs a notice for those the
 * chosen store ignores.  Returns NULL, or why httpd must not start. */
const char *vc_config_store_check(server_rec *main_server, apr_pool_t *p);

unsigned int vc_conf_history(const vc_server_conf *sc);
/* The longest visit any scope of any server may count with: the longest
 * VisitCountDedupe configured, and at least the default. */
apr_uint32_t vc_conf_longest_dedupe(server_rec *main_server);
const char *vc_conf_default_key(const vc_dir_conf *dc);
apr_uint32_t vc_conf_dedupe(const vc_dir_conf *dc);
int vc_conf_unique(const vc_dir_conf *dc);
int vc_conf_count_bots(const vc_dir_conf *dc);
unsigned int vc_conf_metrics_top_keys(const vc_dir_conf *dc);
/* VisitCountRateLimit: 0 when off (the default), else the attempts
 * allowed per window of *period seconds. */
apr_uint32_t vc_conf_rate_limit(const vc_dir_conf *dc, apr_uint32_t *period);
/* VisitCountRateLimitStatus: 200 (the default) or 429. */
int vc_conf_rate_status(const vc_dir_conf *dc);
vc_badge_count_e vc_conf_badge_count(const vc_dir_conf *dc);

#endif
