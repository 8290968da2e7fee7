/* Where the handlers are mapped: the <Location> sections whose SetHandler
 * names one of ours, found in the parsed configuration tree once at
 * start-up, and the raw request path below the one that maps a request,
 * from which its key is taken.  (httpd creates a module's per-directory
 * configuration only for sections that use one of its directives, so
 * the sections themselves are the only reliable record of a mount.)
 */
#include "vc_config.h"
#include "vc_module.h"
#include "vc_parse.h"

#include "http_core.h"
#include "http_main.h"
#include "apr_strings.h"
#include "apr_uri.h"

/* True when a SetHandler in this section (or a container inside it, such
 * as <If>) names one of our handlers. */
static int maps_our_handler(const ap_directive_t *node, apr_pool_t *p)
{
    for (; node; node = node->next) {
        if (!strcasecmp(node->directive, "SetHandler")) {
            const char *args = node->args;
            const char *h = ap_getword_conf(p, &args);
            if (!strcasecmp(h, "visitcount")
                || !strcasecmp(h, "visitcount-admin")
                || !strcasecmp(h, "visitcount-metrics")
                || !strcasecmp(h, "visitcount-countapi")
                || !strcasecmp(h, "visitcount-dashboard")
                || !strcasecmp(h, "visitcount-badge")) {
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

/* The path exactly as the client sent it, still percent-encoded, so that
 * "..", "//" and "%2F" can be refused rather than silently normalised. */
static const char *raw_path(request_rec *r)
{
    apr_uri_t u;

    if (r->unparsed_uri && r->unparsed_uri[0] == '/') {
        return r->unparsed_uri;
    }
    if (r->unparsed_uri && apr_uri_parse(r->pool, r->unparsed_uri, &u)
                           == APR_SUCCESS && u.path) {
        return u.path;
    }
    return "/";
}

const char *vc_config_path_below_mount(request_rec *r)
{
    const char *mount = vc_config_mount(r), *raw = raw_path(r), *q;
    apr_size_t mlen, i, segs = 0, plen;
    char *decoded;

    if (!mount) {
        return raw;
    }
    mlen = strlen(mount);
    for (i = 0; i < mlen; i++) {
        segs += mount[i] == '/';
    }
    for (q = raw, i = 0; i < segs; i++) {
        if (*q != '/') {
            return NULL;
        }
        q++;
        q += strcspn(q, "/?#");
    }
    decoded = vc_unescape(r->pool, raw, (apr_size_t)(q - raw), 0, &plen);
    if (!decoded || plen != mlen || memcmp(decoded, mount, mlen) != 0) {
        return NULL;
    }
    return q;
}
