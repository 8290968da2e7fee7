/* Configuration of mod_visitcount: the server-wide store settings, the
 * per-directory API settings, their defaults, and how scopes merge.
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

#ifndef VC_DEFAULT_DBDIR
#define VC_DEFAULT_DBDIR "/var/lib/visitcount"
#endif

/* Per server.  The store settings are read from the main server only. */
typedef struct {
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
} vc_dir_conf;

extern const command_rec vc_cmds[];

void *vc_create_server_conf(apr_pool_t *p, server_rec *s);
void *vc_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *vc_create_dir_conf(apr_pool_t *p, char *dir);
void *vc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* Walks the parsed configuration for <Location> sections whose SetHandler
 * names visitcount or visitcount-admin, and records their paths in the
 * mounts of the server (main or virtual host) they belong to. */
void vc_config_find_mounts(server_rec *main_server, apr_pool_t *p);

/* The longest recorded mount of r's server (or of the main server, whose
 * sections apply to every virtual host) that is r->uri or a path-segment
 * prefix of it; NULL when the handler was mapped another way. */
const char *vc_config_mount(request_rec *r);

/* Effective values, with defaults applied. */
const char *vc_conf_db_dir(const vc_server_conf *sc);
apr_uint64_t vc_conf_map_size(const vc_server_conf *sc);
vc_durability_e vc_conf_durability(const vc_server_conf *sc);
unsigned int vc_conf_history(const vc_server_conf *sc);
apr_uint64_t vc_conf_max_keys(const vc_server_conf *sc);
/* The longest visit any scope of any server may count with: the longest
 * VisitCountDedupe configured, and at least the default. */
apr_uint32_t vc_conf_longest_dedupe(server_rec *main_server);
const char *vc_conf_default_key(const vc_dir_conf *dc);
apr_uint32_t vc_conf_dedupe(const vc_dir_conf *dc);
int vc_conf_unique(const vc_dir_conf *dc);
int vc_conf_count_bots(const vc_dir_conf *dc);

#endif
