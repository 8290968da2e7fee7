/* Directives of mod_visitcount: parsing and checking each one when the
 * configuration is read, so that a mistake stops httpd with file, line
 * and directive, and the table httpd reads them by.  Creating, merging
 * and reading the settings is vc_config.c's.
 */
#include "vc_config.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_ratelimit.h"

#include "apr_lib.h"
#include "apr_strings.h"

static vc_server_conf *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &visitcount_module);
}

static const char *set_db(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *path;

    (void)dummy;
    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path || !*arg) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path ", arg,
                           NULL);
    }
    server_conf(cmd)->db_dir = path;
    return NULL;
}

static const char *set_map_size(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_uint64_t size;

    (void)dummy;
    if (err) {
        return err;
    }
    if (vc_parse_size(arg, &size) != 0 || size < VC_MIN_MAP_SIZE
        || size > VC_MAX_MAP_SIZE || (size_t)size != size) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not a size from 64K to 1024G (as 64M)", NULL);
    }
    server_conf(cmd)->map_size = size;
    return NULL;
}

static const char *set_durability(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    vc_server_conf *sc = server_conf(cmd);

    (void)dummy;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "strict")) {
        sc->durability = VC_DURABILITY_STRICT;
    }
    else if (!strcasecmp(arg, "group")) {
        sc->durability = VC_DURABILITY_GROUP;
    }
    else if (!strcasecmp(arg, "relaxed")) {
        sc->durability = VC_DURABILITY_RELAXED;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not strict, group or relaxed", NULL);
    }
    return NULL;
}

/* A server-wide count from 1 to max, as "a number of <unit>". */
static const char *global_count(cmd_parms *cmd, const char *arg,
                                apr_uint64_t max, const char *unit,
                                apr_uint64_t *out)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    if (vc_parse_uint(arg, 1, max, out) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of %s "
                            "from 1 to %" APR_UINT64_T_FMT, cmd->cmd->name,
                            arg, unit, max);
    }
    return NULL;
}

static const char *set_history(cmd_parms *cmd, void *dummy, const char *arg)
{
    apr_uint64_t days;
    const char *err = global_count(cmd, arg, VC_MAX_HISTORY, "days", &days);

    (void)dummy;
    if (!err) {
        server_conf(cmd)->history_days = (unsigned int)days;
    }
    return err;
}

static const char *set_max_keys(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    return global_count(cmd, arg, VC_MAX_MAX_KEYS, "keys",
                        &server_conf(cmd)->max_keys);
}

static const char *set_metrics_top_keys(cmd_parms *cmd, void *dcv,
                                        const char *arg)
{
    vc_dir_conf *dc = dcv;
    apr_uint64_t n;

    if (vc_parse_uint(arg, 0, VC_MAX_METRICS_TOP, &n) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of keys "
                            "from 0 to %d", cmd->cmd->name, arg,
                            VC_MAX_METRICS_TOP);
    }
    dc->metrics_top_keys = (int)n;
    return NULL;
}

static const char *set_dedupe(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;
    vc_server_conf *sc = server_conf(cmd);
    apr_uint64_t secs;

    if (!strcasecmp(arg, "off")) {
        dc->dedupe = 0;
        return NULL;
    }
    if (vc_parse_duration(arg, VC_MAX_DEDUPE, &secs) != 0) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not off or a duration up to 24h "
                           "(as 30m, 90s, 2h)", NULL);
    }
    dc->dedupe = (int)secs;
    if (secs > sc->longest_dedupe) {
        sc->longest_dedupe = (apr_uint32_t)secs;
    }
    return NULL;
}

static const char *set_bots(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;

    if (!strcasecmp(arg, "ignore")) {
        dc->count_bots = 0;
    }
    else if (!strcasecmp(arg, "count")) {
        dc->count_bots = 1;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not ignore or count", NULL);
    }
    return NULL;
}

static const char *set_badge_count(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;

    if (!strcasecmp(arg, "off")) {
        dc->badge_count = VC_BADGE_COUNT_OFF;
    }
    else if (!strcasecmp(arg, "camo")) {
        dc->badge_count = VC_BADGE_COUNT_CAMO;
    }
    else if (!strcasecmp(arg, "on")) {
        dc->badge_count = VC_BADGE_COUNT_ON;
    }
    else {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not off, camo or on", NULL);
    }
    return NULL;
}

static const char *set_default_key(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;
    const char *why = vc_key_check(arg, strlen(arg));

    if (why) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "': ", why,
                           NULL);
    }
    dc->default_key = arg;
    return NULL;
}

static const char *add_origin(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;
    const char *why;
    char *origin;

    if (!strcmp(arg, "*")) {
        if (dc->origins) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               ": '*' cannot be combined with origins", NULL);
        }
        dc->any_origin = 1;
        return NULL;
    }
    if (dc->any_origin == 1) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           ": '*' cannot be combined with origins", NULL);
    }
    if ((why = vc_origin_check(arg)) != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "': ", why,
                           NULL);
    }
    if (!dc->origins) {
        dc->origins = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    /* Browsers send the host in lower case; compare against the same. */
    origin = apr_pstrdup(cmd->pool, arg);
    ap_str_tolower(origin);
    *(const char **)apr_array_push(dc->origins) = origin;
    dc->any_origin = 0;
    return NULL;
}

/* ---- the Redis store ---------------------------------------------------- */

static const char *set_store(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    vc_url_t *url = apr_pcalloc(cmd->pool, sizeof(*url));

    (void)dummy;
    if (err) {
        return err;
    }
    /* The value may hold a password: never repeat it. */
    if ((err = vc_url_parse(cmd->pool, arg, url)) != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
#ifndef VC_HAVE_REDIS
    if (url->kind == VC_STORE_REDIS) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": this mod_visitcount "
                           "was built without Redis support (hiredis was not "
                           "found when it was built); use lmdb, or rebuild "
                           "it with libhiredis-dev installed", NULL);
    }
#endif
    server_conf(cmd)->store = url;
    return NULL;
}

static const char *set_redis_prefix(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_size_t i, n = strlen(arg);

    (void)dummy;
    if (err) {
        return err;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isgraph(arg[i]) || arg[i] == '{' || arg[i] == '}') {
            break;
        }
    }
    if (n == 0 || n > VC_MAX_REDIS_PREFIX || i < n) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "' is not "
                           "1 to 64 printable characters without spaces, "
                           "'{' or '}'", NULL);
    }
    server_conf(cmd)->redis_prefix = arg;
    return NULL;
}

static const char *set_redis_password_file(cmd_parms *cmd, void *dummy,
                                           const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *path;

    (void)dummy;
    if (err) {
        return err;
    }
    if (!*arg || !(path = ap_server_root_relative(cmd->pool, arg))) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path ", arg,
                           NULL);
    }
    server_conf(cmd)->redis_password_file = path;
    return NULL;
}

/* A server-wide whole number from min to max, as "a number of <unit>". */
static const char *global_int(cmd_parms *cmd, const char *arg, int min,
                              int max, const char *unit, int *out)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_uint64_t v;

    if (err) {
        return err;
    }
    if (vc_parse_uint(arg, (apr_uint64_t)min, (apr_uint64_t)max, &v) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of %s from "
                            "%d to %d", cmd->cmd->name, arg, unit, min, max);
    }
    *out = (int)v;
    return NULL;
}

/* VisitCountRedisConnectTimeout, or (cmd->info set) CommandTimeout. */
static const char *set_redis_ms(cmd_parms *cmd, void *dummy, const char *arg)
{
    vc_server_conf *sc = server_conf(cmd);

    (void)dummy;
    return global_int(cmd, arg, 1, VC_MAX_TIMEOUT_MS, "milliseconds",
                      cmd->info ? &sc->redis_command_ms : &sc->redis_connect_ms);
}

static const char *set_redis_pool(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    return global_int(cmd, arg, 1, VC_MAX_POOL, "connections",
                      &server_conf(cmd)->redis_pool);
}

static const char *set_redis_fail_fast(cmd_parms *cmd, void *dummy,
                                       const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_uint64_t secs = 0;

    (void)dummy;
    if (err) {
        return err;
    }
    if (strcasecmp(arg, "off")
        && vc_parse_duration(arg, VC_MAX_FAIL_FAST, &secs) != 0) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg, "' is not "
                           "off or a duration up to 1h (as 2s)", NULL);
    }
    server_conf(cmd)->redis_fail_fast = (int)secs;
    return NULL;
}

static const char *set_redis_wait(cmd_parms *cmd, void *dummy,
                                  const char *replicas, const char *ms)
{
    vc_server_conf *sc = server_conf(cmd);
    const char *err;

    (void)dummy;
    if (!strcasecmp(replicas, "off") && !ms) {
        if ((err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) == NULL) {
            sc->redis_wait = 0;
        }
        return err;
    }
    if ((err = global_int(cmd, replicas, 1, VC_MAX_WAIT_REPLICAS, "replicas",
                          &sc->redis_wait)) != NULL) {
        return err;
    }
    return ms ? global_int(cmd, ms, 1, VC_MAX_TIMEOUT_MS, "milliseconds",
                           &sc->redis_wait_ms) : NULL;
}

/* ---- flood control ------------------------------------------------------ */

/* VisitCountRateLimit off | N per DURATION */
static const char *set_rate_limit(cmd_parms *cmd, void *dcv, const char *n,
                                  const char *per, const char *duration)
{
    vc_dir_conf *dc = dcv;
    apr_uint64_t limit, secs;

    if (!per && !strcasecmp(n, "off")) {
        dc->rate_limit = 0;
        dc->rate_period = 0;
        return NULL;
    }
    if (!per || strcasecmp(per, "per")) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": expected off or "
                           "N per DURATION (as 10 per 1m)", NULL);
    }
    if (vc_parse_uint(n, 1, VC_RL_MAX_LIMIT, &limit) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of "
                            "attempts from 1 to %d", cmd->cmd->name, n,
                            VC_RL_MAX_LIMIT);
    }
    if (vc_parse_duration(duration, VC_RL_MAX_PERIOD, &secs) != 0
        || secs == 0) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", duration,
                           "' is not a duration from 1s to 24h (as 1m, "
                           "30s, 1h)", NULL);
    }
    dc->rate_limit = (int)limit;
    dc->rate_period = (int)secs;
    return NULL;
}

static const char *set_rate_status(cmd_parms *cmd, void *dcv, const char *arg)
{
    vc_dir_conf *dc = dcv;

    if (strcmp(arg, "200") && strcmp(arg, "429")) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": '", arg,
                           "' is not 200 or 429", NULL);
    }
    dc->rate_status = arg[0] == '4' ? HTTP_TOO_MANY_REQUESTS : HTTP_OK;
    return NULL;
}

const command_rec vc_cmds[] = {
    /* Store: server config only, one store per server. */
    AP_INIT_TAKE1("VisitCountDB", set_db, NULL, RSRC_CONF,
                  "Directory of the LMDB environment holding the counts"),
    AP_INIT_TAKE1("VisitCountMapSize", set_map_size, NULL, RSRC_CONF,
                  "Largest size the database may grow to (K, M, G suffixes)"),
    AP_INIT_TAKE1("VisitCountDurability", set_durability, NULL, RSRC_CONF,
                  "strict: each hit flushed before its reply; group: "
                  "hits arriving together share the flush; relaxed: the "
                  "last commit may be lost in an OS crash"),
    AP_INIT_TAKE1("VisitCountHistory", set_history, NULL, RSRC_CONF,
                  "Days of daily counts kept per key"),
    AP_INIT_TAKE1("VisitCountMaxKeys", set_max_keys, NULL, RSRC_CONF,
                  "Most keys the store may hold; hits on new keys beyond "
                  "it answer 507"),
    AP_INIT_TAKE1("VisitCountStore", set_store, NULL, RSRC_CONF,
                  "lmdb (the default), or a Redis server shared by several "
                  "httpd: redis://[[user]:password@]host[:port][/db], "
                  "redis+unix:///path[?db=N] or "
                  "redis-sentinel://host:port[,host:port]/master[/db]"),
    AP_INIT_TAKE1("VisitCountRedisPrefix", set_redis_prefix, NULL, RSRC_CONF,
                  "Prefix of every Redis key name (default vc:)"),
    AP_INIT_TAKE1("VisitCountRedisPasswordFile", set_redis_password_file,
                  NULL, RSRC_CONF,
                  "File whose first line is the Redis password, read at "
                  "start-up"),
    AP_INIT_TAKE1("VisitCountRedisConnectTimeout", set_redis_ms, NULL,
                  RSRC_CONF, "Milliseconds to wait for a Redis connection"),
    AP_INIT_TAKE1("VisitCountRedisCommandTimeout", set_redis_ms, (void *)1,
                  RSRC_CONF, "Milliseconds to wait for a Redis reply"),
    AP_INIT_TAKE1("VisitCountRedisPoolSize", set_redis_pool, NULL, RSRC_CONF,
                  "Redis connections per child (default: ThreadsPerChild)"),
    AP_INIT_TAKE1("VisitCountRedisFailFast", set_redis_fail_fast, NULL,
                  RSRC_CONF, "After a Redis failure, answer 503 without "
                  "trying for this long (as 2s), or off"),
    AP_INIT_TAKE12("VisitCountRedisWait", set_redis_wait, NULL, RSRC_CONF,
                   "off, or the number of replicas each hit must reach "
                   "(Redis WAIT) and the milliseconds to wait for them"),
    /* API behaviour: per directory or location. */
    AP_INIT_TAKE1("VisitCountDefaultKey", set_default_key, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Key used when the URL names none"),
    AP_INIT_ITERATE("VisitCountAllowOrigin", add_origin, NULL,
                    RSRC_CONF | ACCESS_CONF,
                    "Origins allowed to call the API from a browser, or *"),
    AP_INIT_FLAG("VisitCountIncrementOnGet", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(vc_dir_conf, increment_on_get),
                 RSRC_CONF | ACCESS_CONF,
                 "On: a GET counts like a POST (HEAD never counts)"),
    AP_INIT_TAKE1("VisitCountDedupe", set_dedupe, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "How long one visit lasts (as 30m), or off: a visitor's "
                  "repeat hits on a key inside it do not count"),
    AP_INIT_FLAG("VisitCountUnique", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(vc_dir_conf, unique),
                 RSRC_CONF | ACCESS_CONF,
                 "On: count distinct visitors per key and day"),
    AP_INIT_TAKE1("VisitCountBots", set_bots, NULL, RSRC_CONF | ACCESS_CONF,
                  "ignore: robots, link previews and prefetches do not "
                  "count; count: they do"),
    AP_INIT_FLAG("VisitCountPage", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(vc_dir_conf, page),
                 RSRC_CONF | ACCESS_CONF,
                 "On: each document served here counts a visit to its URL "
                 "path, and SSI sees VISITCOUNT_COUNT"),
    AP_INIT_TAKE1("VisitCountMetricsTopKeys", set_metrics_top_keys, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Keys with the highest counts that visitcount-metrics "
                  "labels (default 10, at most 1000; 0: none)"),
    /* Flood control: per directory or location. */
    AP_INIT_TAKE13("VisitCountRateLimit", set_rate_limit, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "off (the default), or N per DURATION (as 10 per 1m): "
                   "counting attempts allowed per client address (IPv4, "
                   "IPv6 /64) per window; beyond, hits do not count"),
    AP_INIT_TAKE1("VisitCountRateLimitStatus", set_rate_status, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "200 (the default): a limited hit answers 200 with "
                  "reason ratelimited; 429: Too Many Requests, with "
                  "Retry-After"),
    /* Badges (visitcount-badge). */
    AP_INIT_TAKE1("VisitCountBadgeCount", set_badge_count, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Which badge fetches count a view: off (none, the "
                  "default), camo (GitHub's image proxy's) or on (every GET)"),
    { NULL }
};
