/* mod_visitcount: a visitor counter served by httpd itself.
 *
 * This file owns the module's lifecycle.  The parent prepares the LMDB
 * environment in post_config (creating and checking the directory, giving
 * it to User) and closes it again, because an LMDB environment must never
 * cross fork().  Each child opens its own in child_init, after privileges
 * are dropped, and closes it with the child pool.  A child whose open
 * fails keeps serving: its handlers answer 503 until it is replaced.
 * Twice a day the parent, from the MPM's monitor hook, opens the store
 * briefly: after midnight, to destroy the secrets and seen-sets of days
 * before yesterday and the history past VisitCountHistory, and once no
 * visit begun before midnight can still be running, to destroy
 * yesterday's.
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

#include "vc_api.h"
#include "vc_count.h"
#include "vc_config.h"
#include "vc_store.h"

#include <unistd.h>

module AP_MODULE_DECLARE_DATA visitcount_module;

/* Read transactions all processes may hold at once: one per worker
 * thread, twice over because the children of an old generation finish
 * their requests beside the new ones after a graceful restart. */
static unsigned int max_readers(void)
{
    int daemons = 0, threads = 0;
    unsigned int n;

    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
    n = 2u * (unsigned int)(daemons > 0 ? daemons : 1)
           * (unsigned int)(threads > 0 ? threads : 1) + 16u;
    return n < 126u ? 126u : n;
}

static void store_options(vc_store_options_t *o, server_rec *s)
{
    const vc_server_conf *sc = ap_get_module_config(s->module_config,
                                                    &visitcount_module);
    int threaded = AP_MPMQ_NOT_SUPPORTED;

    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    o->dir = vc_conf_db_dir(sc);
    o->map_size = vc_conf_map_size(sc);
    o->durability = vc_conf_durability(sc);
    o->max_readers = max_readers();
    o->threaded = threaded != AP_MPMQ_NOT_SUPPORTED;
    o->history_days = vc_conf_history(sc);
    o->max_keys = vc_conf_max_keys(sc);
}

/* The first day whose visitors the last maintenance kept. */
static apr_int64_t maintained_from = -1;

/* Runs the maintenance when the first day whose secret and seen-set must
 * be kept has moved since the last run: yesterday's serve the visits begun
 * before midnight, so they stay until the longest visit window has passed
 * since.  A failure is logged and tried again at the next monitor call. */
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

    if (keep_from == maintained_from) {
        return;
    }
    store_options(&o, s);
    rv = vc_store_maintain(&o, now, keep_from, &purged, &what, ptemp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "VC0004: VisitCountDB %s: maintenance failed: "
                     "%s: %s", o.dir, what,
                     vc_store_strerror(rv, buf, sizeof(buf)));
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

static int vc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    vc_store_options_t o;
    const char *what = "";
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
    store_options(&o, s);
    rv = vc_store_prepare(&o, geteuid() == 0, ap_unixd_config.user_id,
                          ap_unixd_config.group_id, &what, ptemp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "VC0001: VisitCountDB %s: %s: %s", o.dir, what,
                     vc_store_strerror(rv, buf, sizeof(buf)));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "VC0002: store %s ready: map size %" APR_UINT64_T_FMT
                 " bytes, durability %s, %u readers", o.dir, o.map_size,
                 vc_durability_name(o.durability), o.max_readers);
    if (o.durability != VC_DURABILITY_STRICT && !o.threaded) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "VC0006: VisitCountDurability %s: this MPM runs one "
                     "request per process, so each hit commits alone%s",
                     vc_durability_name(o.durability),
                     o.durability == VC_DURABILITY_GROUP ? " (as strict)" : "");
    }
    maintained_from = -1;
    maintain(s, ptemp);
    return OK;
}

static void vc_child_init(apr_pool_t *pchild, server_rec *s)
{
    vc_store_options_t o;
    const char *what = "";
    char buf[120];

    vc_clock_init();
    store_options(&o, s);
    vc_child.status = vc_store_open(&vc_child.store, &o, &what, pchild);
    if (vc_child.status != APR_SUCCESS) {
        /* Never exit() here: the parent would only fork a replacement that
         * fails the same way.  Serve 503 and say why, once per child. */
        vc_child.store = NULL;
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "VC0003: VisitCountDB %s: %s failed in child %ld: %s; "
                     "counter requests will get 503", o.dir, what,
                     (long)getpid(), vc_store_strerror(vc_child.status, buf,
                                                       sizeof(buf)));
    }
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
    ap_hook_translate_name(vc_api_translate_name, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(vc_api_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(vc_page_fixup, after_dir, NULL, APR_HOOK_LAST);
    ap_hook_handler(vc_api_handler, NULL, NULL, APR_HOOK_MIDDLE);
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
