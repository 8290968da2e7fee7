/* mod_visitcount: a visitor counter served by httpd itself.
 *
 * This file owns the module's lifecycle.  The parent prepares the store
 * in post_config (for LMDB: creating and checking the directory, giving
 * it to User) and lets go of it again, because neither an LMDB
 * environment nor a connection to Redis may cross fork().  Each child
 * opens its own in child_init, after privileges are dropped, and closes
 * it with the child pool; Redis connections are made only when a request
 * needs one, so httpd starts while Redis is down.  A child whose open
 * fails keeps serving: its handlers answer 503 until it is replaced.
 * Twice a day the parent, from the MPM's monitor hook, maintains the
 * store: after midnight, to destroy the secrets and seen-sets of days
 * before yesterday and the history past VisitCountHistory, and once no
 * visit begun before midnight can still be running, to destroy
 * yesterday's.  The figures of /server-status and of the metrics
 * handler are mapped once by the parent, on its first start, and kept for
 * its whole life (vc_stats.c).
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "ap_mmn.h"
#include "ap_mpm.h"
#include "mpm_common.h"
#include "unixd.h"

#include "vc_admin.h"
#include "vc_api.h"
#include "vc_badge.h"
#include "vc_count.h"
#include "vc_countapi.h"
#include "vc_config.h"
#include "vc_dashboard.h"
#include "vc_metrics.h"
#include "vc_stats.h"
#include "vc_status.h"
#include "vc_store.h"

#include "mod_status.h"

#include "apr_strings.h"

#include <string.h>
#include <unistd.h>

module AP_MODULE_DECLARE_DATA visitcount_module;

#define VC_MAINTAIN_RETRY 60        /* seconds before a failed maintenance
                                       is tried again */

/* The directive that names the store, and its value, for log lines. */
static const char *store_name(const vc_store_options_t *o, apr_pool_t *p)
{
    return o->url.kind == VC_STORE_LMDB
           ? apr_pstrcat(p, "VisitCountDB ", o->dir, NULL)
           : apr_pstrcat(p, "VisitCountStore ", vc_url_display(p, &o->url),
                         NULL);
}

/* The first day whose visitors the last maintenance kept, and when a
 * failed one may be tried again. */
static apr_int64_t maintained_from = -1;
static apr_time_t maintain_retry_at;

/* Runs the maintenance when the first day whose secret and seen-set must
 * be kept has moved since the last run: yesterday's serve the visits begun
 * before midnight, so they stay until the longest visit window has passed
 * since.  A failure is logged and tried again a minute later. */
static void maintain(server_rec *s, apr_pool_t *ptemp)
{
    apr_int64_t now = vc_clock_now(apr_time_now());
    apr_int64_t today = vc_day_of(now);
    apr_int64_t keep_from = now - today * VC_DAY_SECONDS
                            >= (apr_int64_t)vc_conf_longest_dedupe(s)
                            ? today : today - 1;
    vc_store_options_t o;
    vc_purged_t purged;
    const char *what = "";
    char buf[120];
    apr_status_t rv;

    if (keep_from == maintained_from || apr_time_now() < maintain_retry_at) {
        return;
    }
    vc_config_store_options(s, &o, vc_log_store_message, s);
    rv = vc_store_maintain(&o, now, keep_from, &purged, &what, ptemp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "VC0004: %s: maintenance failed: %s: %s; trying again "
                     "in %d s", store_name(&o, ptemp), what,
                     vc_store_strerror(rv, buf, sizeof(buf)),
                     VC_MAINTAIN_RETRY);
        maintain_retry_at = apr_time_now()
                            + apr_time_from_sec(VC_MAINTAIN_RETRY);
        return;
    }
    maintained_from = keep_from;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "VC0005: maintenance removed %" APR_SIZE_T_FMT
                 " secrets, %" APR_SIZE_T_FMT " visitor records and %"
                 APR_SIZE_T_FMT " daily buckets", purged.secrets,
                 purged.seen, purged.buckets);
}

static int vc_monitor(apr_pool_t *p, server_rec *s)
{
    vc_clock_init();
    maintain(s, p);
    return DECLINED;
}

/* The debug line saying how the store was set up. */
static void log_ready(server_rec *s, const vc_store_options_t *o,
                      apr_pool_t *p)
{
    if (o->url.kind == VC_STORE_LMDB) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     "VC0002: store %s ready: map size %" APR_UINT64_T_FMT
                     " bytes, durability %s, %u readers", o->dir,
                     o->map_size, vc_durability_name(o->durability),
                     o->max_readers);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "VC0002: store %s, prefix '%s': up to %u connections per "
                 "child, timeouts %u ms (connect) and %u ms (command), "
                 "failing fast for %u s after a failure, WAIT for %u "
                 "replicas", vc_url_display(p, &o->url), o->prefix,
                 o->pool_size, (unsigned int)o->connect_timeout_ms,
                 (unsigned int)o->command_timeout_ms,
                 (unsigned int)o->fail_fast, o->wait_replicas);
}

static int vc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    vc_store_options_t o;
    const char *what = "", *err;
    char buf[120];
    apr_status_t rv;

    (void)plog;
    /* The first pass only checks the configuration; prepare once, on the
     * pass that will really run. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    vc_config_find_mounts(s, pconf);
    vc_clock_init();
    if ((err = vc_stats_init(s)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "VC0010: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = vc_ratelimit_init(s)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "VC0011: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = vc_config_store_check(s, pconf)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "VC0009: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    vc_config_store_options(s, &o, vc_log_store_message, s);
    rv = vc_store_prepare(&o, geteuid() == 0, ap_unixd_config.user_id,
                          ap_unixd_config.group_id, &what, ptemp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "VC0001: %s: %s: %s",
                     store_name(&o, ptemp), what,
                     vc_store_strerror(rv, buf, sizeof(buf)));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    log_ready(s, &o, ptemp);
    if (o.url.kind == VC_STORE_LMDB && o.durability != VC_DURABILITY_STRICT
        && !o.threaded) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "VC0006: VisitCountDurability %s: this MPM runs one "
                     "request per process, so each hit commits alone%s",
                     vc_durability_name(o.durability),
                     o.durability == VC_DURABILITY_GROUP ? " (as strict)" : "");
    }
    maintained_from = -1;
    maintain_retry_at = 0;
    /* A shared store waits for the monitor: a Redis server that is down
     * must not hold up the start. */
    if (o.url.kind == VC_STORE_LMDB) {
        maintain(s, ptemp);
    }
    return OK;
}

static void vc_child_init(apr_pool_t *pchild, server_rec *s)
{
    vc_store_options_t o;
    const char *what = "";
    char buf[120];

    vc_clock_init();
    vc_config_store_options(s, &o, vc_log_store_message, s);
    vc_child.status = vc_store_open(&vc_child.store, &o, &what, pchild);
    if (vc_child.status != APR_SUCCESS) {
        /* Never exit() here: the parent would only fork a replacement that
         * fails the same way.  Serve 503 and say why, once per child. */
        vc_child.store = NULL;
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "VC0003: %s: %s failed in child %ld: %s; counter "
                     "requests will get 503", store_name(&o, pchild), what,
                     (long)getpid(), vc_store_strerror(vc_child.status, buf,
                                                       sizeof(buf)));
    }
}

/* The counter's URLs are not files: like mod_proxy, the module maps them
 * itself, so httpd neither turns them into file names (which fails with
 * 403 for an absurdly long path) nor walks the file system for them (a
 * stat per path component, and a look for .htaccess in each directory
 * when overrides are allowed). */
static int vc_translate_name(request_rec *r)
{
    if (!r->uri || r->uri[0] != '/' || !vc_config_mount(r)) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, "visitcount:", r->uri, NULL);
    return OK;
}

static int vc_map_to_storage(request_rec *r)
{
    return r->filename && !strncmp(r->filename, "visitcount:", 11)
           ? OK : DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    /* Pages are counted after mod_dir has mapped a directory to its index
     * document, so "/" counts as the page it serves. */
    static const char *const after_dir[] = { "mod_dir.c", NULL };

    (void)p;
    ap_hook_post_config(vc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(vc_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(vc_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    /* Last among the translators, so Alias and rewrites still apply. */
    ap_hook_translate_name(vc_translate_name, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(vc_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(vc_page_fixup, after_dir, NULL, APR_HOOK_LAST);
    ap_hook_handler(vc_api_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(vc_admin_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(vc_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(vc_countapi_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(vc_dashboard_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(vc_badge_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* Our section of /server-status, when mod_status is loaded. */
    APR_OPTIONAL_HOOK(ap, status_hook, vc_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(visitcount) = {
    STANDARD20_MODULE_STUFF,
    vc_create_dir_conf,         /* per-directory config */
    vc_merge_dir_conf,          /* merge per-directory config */
    vc_create_server_conf,      /* per-server config */
    vc_merge_server_conf,       /* merge per-server config */
    vc_cmds,                    /* directives */
    register_hooks,             /* hooks */
#if AP_MODULE_MAGIC_AT_LEAST(AP_MODULE_FLAGS_MMN_MAJOR, AP_MODULE_FLAGS_MMN_MINOR)
    AP_MODULE_FLAG_NONE         /* flags */
#endif
};
