/* Settings of mod_visitcount: creating and merging the server and
 * per-directory records, and reading their effective values.  Unset fields
 * carry a sentinel and are resolved to defaults only when used.  The
 * directives that fill them are parsed in vc_config_cmds.c.
 */
#include "vc_config.h"
#include "vc_module.h"
#include "vc_parse.h"

#include "apr_lib.h"
#include "apr_strings.h"

void *vc_create_server_conf(apr_pool_t *p, server_rec *s)
{
    vc_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->durability = VC_UNSET;
    sc->redis_connect_ms = VC_UNSET;
    sc->redis_command_ms = VC_UNSET;
    sc->redis_pool = VC_UNSET;
    sc->redis_fail_fast = VC_UNSET;
    sc->redis_wait = VC_UNSET;
    sc->redis_wait_ms = VC_UNSET;
    return sc;
}

#define MERGE_PTR(field) (add->field ? add->field : base->field)
#define MERGE_INT(field) (add->field != VC_UNSET ? add->field : base->field)

void *vc_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const vc_server_conf *base = basev, *add = addv;
    vc_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->store = MERGE_PTR(store);
    sc->db_dir = MERGE_PTR(db_dir);
    sc->map_size = add->map_size ? add->map_size : base->map_size;
    sc->durability = MERGE_INT(durability);
    sc->history_days = add->history_days ? add->history_days
                                         : base->history_days;
    sc->max_keys = add->max_keys ? add->max_keys : base->max_keys;
    sc->longest_dedupe = add->longest_dedupe > base->longest_dedupe
                         ? add->longest_dedupe : base->longest_dedupe;
    sc->redis_prefix = MERGE_PTR(redis_prefix);
    sc->redis_password_file = MERGE_PTR(redis_password_file);
    sc->redis_password = MERGE_PTR(redis_password);
    sc->redis_connect_ms = MERGE_INT(redis_connect_ms);
    sc->redis_command_ms = MERGE_INT(redis_command_ms);
    sc->redis_pool = MERGE_INT(redis_pool);
    sc->redis_fail_fast = MERGE_INT(redis_fail_fast);
    sc->redis_wait = MERGE_INT(redis_wait);
    sc->redis_wait_ms = MERGE_INT(redis_wait_ms);
    return sc;
}

void *vc_create_dir_conf(apr_pool_t *p, char *dir)
{
    vc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    (void)dir;
    dc->any_origin = VC_UNSET;
    dc->increment_on_get = VC_UNSET;
    dc->dedupe = VC_UNSET;
    dc->unique = VC_UNSET;
    dc->count_bots = VC_UNSET;
    dc->page = VC_UNSET;
    dc->metrics_top_keys = VC_UNSET;
    dc->rate_limit = VC_UNSET;
    dc->rate_status = VC_UNSET;
    dc->badge_count = VC_UNSET;
    return dc;
}

void *vc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const vc_dir_conf *base = basev, *add = addv;
    vc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    dc->default_key = MERGE_PTR(default_key);
    /* The allow-list is replaced, not extended, by an inner scope. */
    if (add->any_origin != VC_UNSET) {
        dc->any_origin = add->any_origin;
        dc->origins = add->origins;
    }
    else {
        dc->any_origin = base->any_origin;
        dc->origins = base->origins;
    }
    dc->increment_on_get = MERGE_INT(increment_on_get);
    dc->dedupe = MERGE_INT(dedupe);
    dc->unique = MERGE_INT(unique);
    dc->count_bots = MERGE_INT(count_bots);
    dc->page = MERGE_INT(page);
    dc->metrics_top_keys = MERGE_INT(metrics_top_keys);
    /* The limit and its window go together. */
    dc->rate_limit = MERGE_INT(rate_limit);
    dc->rate_period = add->rate_limit != VC_UNSET ? add->rate_period
                                                  : base->rate_period;
    dc->rate_status = MERGE_INT(rate_status);
    dc->badge_count = MERGE_INT(badge_count);
    return dc;
}

unsigned int vc_conf_history(const vc_server_conf *sc)
{
    return sc->history_days ? sc->history_days : VC_DEFAULT_HISTORY;
}

apr_uint32_t vc_conf_longest_dedupe(server_rec *main_server)
{
    apr_uint32_t longest = VC_DEFAULT_DEDUPE;
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        const vc_server_conf *sc = ap_get_module_config(s->module_config,
                                                        &visitcount_module);
        if (sc->longest_dedupe > longest) {
            longest = sc->longest_dedupe;
        }
    }
    return longest;
}

const char *vc_conf_default_key(const vc_dir_conf *dc)
{
    return dc->default_key ? dc->default_key : VC_DEFAULT_KEY;
}

apr_uint32_t vc_conf_dedupe(const vc_dir_conf *dc)
{
    return dc->dedupe != VC_UNSET ? (apr_uint32_t)dc->dedupe
                                  : VC_DEFAULT_DEDUPE;
}

int vc_conf_unique(const vc_dir_conf *dc)
{
    return dc->unique != 0;             /* on unless switched off */
}

int vc_conf_count_bots(const vc_dir_conf *dc)
{
    return dc->count_bots == 1;         /* ignored unless asked for */
}

unsigned int vc_conf_metrics_top_keys(const vc_dir_conf *dc)
{
    return dc->metrics_top_keys != VC_UNSET
           ? (unsigned int)dc->metrics_top_keys : VC_DEFAULT_METRICS_TOP;
}

apr_uint32_t vc_conf_rate_limit(const vc_dir_conf *dc, apr_uint32_t *period)
{
    if (dc->rate_limit <= 0) {
        return 0;                       /* off unless asked for */
    }
    *period = (apr_uint32_t)dc->rate_period;
    return (apr_uint32_t)dc->rate_limit;
}

int vc_conf_rate_status(const vc_dir_conf *dc)
{
    return dc->rate_status != VC_UNSET ? dc->rate_status : HTTP_OK;
}

vc_badge_count_e vc_conf_badge_count(const vc_dir_conf *dc)
{
    return dc->badge_count != VC_UNSET ? (vc_badge_count_e)dc->badge_count
                                       : VC_BADGE_COUNT_OFF;
}
