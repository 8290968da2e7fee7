/* Directives of mod_visitcount: parsing and checking each one when the
 * configuration is read (so mistakes stop httpd with file and line), and
 * merging per-directory settings.  Unset fields carry a sentinel and are
 * resolved to defaults only when used.
 */
#include "vc_config.h"
#include "vc_parse.h"

#include "http_core.h"
#include "http_main.h"
#include "apr_strings.h"

extern module AP_MODULE_DECLARE_DATA visitcount_module;

void *vc_create_server_conf(apr_pool_t *p, server_rec *s)
{
    vc_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->durability = VC_UNSET;
    return sc;
}

#define MERGE_PTR(field) (add->field ? add->field : base->field)
#define MERGE_INT(field) (add->field != VC_UNSET ? add->field : base->field)

void *vc_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const vc_server_conf *base = basev, *add = addv;
    vc_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->db_dir = MERGE_PTR(db_dir);
    sc->map_size = add->map_size ? add->map_size : base->map_size;
    sc->durability = MERGE_INT(durability);
    sc->history_days = add->history_days ? add->history_days
                                         : base->history_days;
    sc->max_keys = add->max_keys ? add->max_keys : base->max_keys;
    sc->longest_dedupe = add->longest_dedupe > base->longest_dedupe
                         ? add->longest_dedupe : base->longest_dedupe;
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
    return dc;
}

/* True when a SetHandler in this section (or a container inside it, such
 * as <If>) names one of our handlers. */
static int maps_our_handler(const ap_directive_t *node, apr_pool_t *p)
{
    for (; node; node = node->next) {
        if (!strcasecmp(node->directive, "SetHandler")) {
            const char *args = node->args;
            const char *h = ap_getword_conf(p, &args);
            if (!strcasecmp(h, "visitcount")
                || !strcasecmp(h, "visitcount-admin")) {
                return 1;
            }
        }
        if (node->first_child && maps_our_handler(node->first_child, p)) {
            return 1;
        }
    }
    return 0;
}

static void add_mount(server_rec *s, const char *section_args, apr_pool_t *p)
{
    vc_server_conf *sc = ap_get_module_config(s->module_config,
                                              &visitcount_module);
    char *args = apr_pstrdup(p, section_args), *end, *path;
    const char *rest;
    apr_size_t n;

    /* A section's args run to its closing '>'. */
    if ((end = strrchr(args, '>')) != NULL) {
        *end = '\0';
    }
    rest = args;
    path = ap_getword_conf(p, &rest);
    if (path[0] != '/') {
        return;                       /* "~" regex sections have no mount */
    }
    n = strlen(path);
    while (n > 0 && path[n - 1] == '/') {
        path[--n] = '\0';
    }
    if (!sc->mounts) {
        sc->mounts = apr_array_make(p, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(sc->mounts, const char *) = path;
}

static server_rec *vhost_of(server_rec *main_server, const ap_directive_t *node)
{
    server_rec *s;

    for (s = main_server->next; s; s = s->next) {
        if (s->defn_line_number == (unsigned int)node->line_num && s->defn_name
            && node->filename && !strcmp(s->defn_name, node->filename)) {
            return s;
        }
    }
    return NULL;
}

static void find_mounts(const ap_directive_t *node, server_rec *s,
                        server_rec *main_server, apr_pool_t *p)
{
    for (; node; node = node->next) {
        if (!strcasecmp(node->directive, "<VirtualHost")) {
            server_rec *vs = vhost_of(main_server, node);
            find_mounts(node->first_child, vs ? vs : s, main_server, p);
        }
        else if (!strcasecmp(node->directive, "<Location")) {
            if (maps_our_handler(node->first_child, p)) {
                add_mount(s, node->args, p);
            }
        }
        else if (node->first_child) {
            find_mounts(node->first_child, s, main_server, p);
        }
    }
}

void vc_config_find_mounts(server_rec *main_server, apr_pool_t *p)
{
    find_mounts(ap_conftree, main_server, main_server, p);
}

static void longest_mount(const vc_server_conf *sc, const char *uri,
                          const char **best, apr_size_t *best_len)
{
    int i;

    for (i = 0; sc->mounts && i < sc->mounts->nelts; i++) {
        const char *m = APR_ARRAY_IDX(sc->mounts, i, const char *);
        apr_size_t n = strlen(m);

        if ((!*best || n > *best_len) && strncmp(uri, m, n) == 0
            && (uri[n] == '/' || uri[n] == '\0')) {
            *best = m;
            *best_len = n;
        }
    }
}

const char *vc_config_mount(request_rec *r)
{
    const char *best = NULL;
    apr_size_t len = 0;

    longest_mount(ap_get_module_config(r->server->module_config,
                                       &visitcount_module), r->uri,
                  &best, &len);
    if (r->server != ap_server_conf) {
        longest_mount(ap_get_module_config(ap_server_conf->module_config,
                                           &visitcount_module), r->uri,
                      &best, &len);
    }
    return best;
}

const char *vc_conf_db_dir(const vc_server_conf *sc)
{
    return sc->db_dir ? sc->db_dir : VC_DEFAULT_DBDIR;
}

apr_uint64_t vc_conf_map_size(const vc_server_conf *sc)
{
    return sc->map_size ? sc->map_size : VC_DEFAULT_MAP_SIZE;
}

vc_durability_e vc_conf_durability(const vc_server_conf *sc)
{
    return sc->durability != VC_UNSET ? (vc_durability_e)sc->durability
                                      : VC_DEFAULT_DURABILITY;
}

unsigned int vc_conf_history(const vc_server_conf *sc)
{
    return sc->history_days ? sc->history_days : VC_DEFAULT_HISTORY;
}

apr_uint64_t vc_conf_max_keys(const vc_server_conf *sc)
{
    return sc->max_keys ? sc->max_keys : VC_DEFAULT_MAX_KEYS;
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

const command_rec vc_cmds[] = {
    /* Store: server config only, one environment per server. */
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
    { NULL }
};
