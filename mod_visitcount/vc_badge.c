/* Badges (`SetHandler visitcount-badge`): GET /badge/KEY answers an SVG
 * image of KEY's count in shields.io's look, for a README or a page that
 * runs no JavaScript; format=shields answers shields' endpoint JSON, for
 * a badge that shields itself draws.
 *
 * A badge is an image in someone else's page, so it must always render:
 * bad parameters fall back to their defaults, and an invalid key or a
 * failing store give a grey "n/a" badge with status 200 (GitHub's image
 * proxy turns a reply with an error status into a broken image), never
 * cached; a store failure is logged as every handler logs one.
 *
 * Which fetches count is VisitCountBadgeCount's: none (off), GitHub's
 * image proxy's (camo: it fetches once per view of a README, on behalf of
 * a viewer it hides, so the robot filter and dedupe cannot apply), or
 * every GET (on).  A fetch that counts is never cached, so the proxy asks
 * again next time; a read is cached with a strong ETag and revalidated.
 */
#include "vc_badge.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_reply.h"
#include "vc_svg.h"
#include "vc_visitor.h"

#include "http_protocol.h"
#include "apr_strings.h"

#include <string.h>

#define BADGE_DEFAULT_LABEL "visits"
#define CAMO_UA "github-camo"
#define NO_CACHE "no-cache"
#define COUNTING_CACHE "max-age=0, no-cache, no-store, must-revalidate"

static const vc_methods_t badge_methods = {
    "GET, HEAD, OPTIONS", "GET, HEAD", VC_METHOD_BIT(M_GET)
    | VC_METHOD_BIT(M_OPTIONS)
};

typedef enum { VALUE_COUNT, VALUE_UNIQUE, VALUE_TODAY } badge_value_e;

/* What the query asks for, every part of it valid: a parameter that is
 * not keeps its default. */
typedef struct {
    const char *label;
    const char *color, *color_name;             /* SVG colour, JSON name */
    const char *label_color, *label_color_name; /* NULL: the default */
    vc_svg_style_e style;
    int style_given;
    badge_value_e value;
    int abbreviated;
    int json;                                   /* format=shields */
} badge_query_t;

static void query_param(request_rec *r, badge_query_t *q, const char *name,
                        const char *value)
{
    const char *c, *cname;

    if (!strcmp(name, "label")) {
        q->label = vc_svg_text(r->pool, value, VC_SVG_LABEL_MAX);
    }
    else if (!strcmp(name, "color") || !strcmp(name, "labelColor")) {
        if ((c = vc_svg_color(r->pool, value, &cname)) != NULL) {
            if (name[0] == 'c') {
                q->color = c;
                q->color_name = cname;
            }
            else {
                q->label_color = c;
                q->label_color_name = cname;
            }
        }
    }
    else if (!strcmp(name, "style")) {
        q->style_given |= vc_svg_style(value, &q->style) == 0;
    }
    else if (!strcmp(name, "value")) {
        q->value = !strcmp(value, "unique") ? VALUE_UNIQUE
                 : !strcmp(value, "today") ? VALUE_TODAY
                 : !strcmp(value, "count") ? VALUE_COUNT : q->value;
    }
    else if (!strcmp(name, "abbreviated")) {
        q->abbreviated = !*value || !strcmp(value, "1")
                         || !strcasecmp(value, "true")
                         || !strcasecmp(value, "on")
                         || !strcasecmp(value, "yes");
    }
    else if (!strcmp(name, "format")) {
        q->json = !strcmp(value, "shields");
    }
}

/* The query's wishes; unknown parameters (cache busters) are ignored, a
 * repeated one takes its last value, and a malformed pair ends the
 * reading with what came before it. */
static void badge_query(request_rec *r, badge_query_t *q)
{
    const char *cursor = r->args, *name, *value;

    memset(q, 0, sizeof(*q));
    q->label = BADGE_DEFAULT_LABEL;
    q->color = VC_SVG_DEFAULT_COLOR;
    q->color_name = "brightgreen";
    q->style = VC_SVG_FLAT;
    q->value = VALUE_COUNT;
    while (cursor && vc_query_next(r->pool, &cursor, &name, &value) > 0) {
        query_param(r, q, name, value);
    }
}

/* ---- the reply ---------------------------------------------------------- */

static const char *endpoint_json(request_rec *r, const badge_query_t *q,
                                 const char *message, int error,
                                 apr_size_t *len)
{
    vc_json_t j;

    vc_json_init(&j, r->pool, 160);
    vc_json_object_begin(&j);
    vc_json_key(&j, "schemaVersion");
    vc_json_uint64(&j, 1);
    vc_json_key(&j, "label");
    vc_json_cstring(&j, q->label);
    vc_json_key(&j, "message");
    vc_json_cstring(&j, message);
    vc_json_key(&j, "color");
    vc_json_cstring(&j, error ? "lightgrey" : q->color_name);
    if (q->label_color) {
        vc_json_key(&j, "labelColor");
        vc_json_cstring(&j, q->label_color_name);
    }
    if (q->style_given) {
        vc_json_key(&j, "style");
        vc_json_cstring(&j, vc_svg_style_name(q->style));
    }
    if (error) {
        vc_json_key(&j, "isError");
        vc_json_bool(&j, 1);
    }
    vc_json_object_end(&j);
    return vc_json_finish(&j, len);
}

/* Sends the badge saying message.  A badge that counted, or that reports
 * an error, is never cached; a read carries a strong ETag and answers a
 * matching If-None-Match with 304. */
static int send_badge(request_rec *r, const badge_query_t *q,
                      const char *key, const char *message, int error,
                      int counting)
{
    vc_svg_badge_t b;
    apr_size_t len;
    const char *body, *etag, *inm;

    if (q->json) {
        body = endpoint_json(r, q, message, error, &len);
        if (!body) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        ap_set_content_type(r, "application/json");
    }
    else {
        b.label = q->label;
        b.message = message;
        b.color = error ? VC_SVG_ERROR_COLOR : q->color;
        b.label_color = q->label_color;
        b.style = q->style;
        b.seed = key ? key : "";
        body = vc_svg_render(r->pool, &b, &len);
        ap_set_content_type(r, "image/svg+xml; charset=utf-8");
    }
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (counting || error) {
        apr_table_setn(r->headers_out, "Cache-Control", COUNTING_CACHE);
    }
    else {
        apr_table_setn(r->headers_out, "Cache-Control", NO_CACHE);
        etag = apr_psprintf(r->pool, "\"%016" APR_UINT64_T_HEX_FMT "\"",
                            vc_svg_hash(VC_SVG_HASH_INIT, body, len));
        apr_table_setn(r->headers_out, "ETag", etag);
        inm = apr_table_get(r->headers_in, "If-None-Match");
        if (inm && vc_etag_match(inm, etag)) {
            r->status = HTTP_NOT_MODIFIED;
            return OK;
        }
    }
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

/* The "n/a" badge of a failed store call, logged (rate-limited). */
static int store_failure_badge(request_rec *r, const badge_query_t *q,
                               apr_status_t status, const char *op,
                               const char *key)
{
    if (status == VC_STORE_CLOSED && vc_child.status != APR_SUCCESS) {
        status = vc_child.status;       /* why this process has no store */
        op = "open";
    }
    vc_log_store_error(r, status, op, key);
    return send_badge(r, q, key, "n/a", 1, 0);
}

/* ---- counts ------------------------------------------------------------ */

/* Whether this fetch counts, and with which vc_count_hit() flags.  A
 * camo fetch counts as one even where every GET counts, since the
 * ordinary filters would take the proxy for a robot and for one visitor. */
static int counts_view(request_rec *r, const vc_dir_conf *dc,
                       unsigned int *flags)
{
    const char *ua = apr_table_get(r->headers_in, "User-Agent");
    int camo = ua && !strncmp(ua, CAMO_UA, sizeof(CAMO_UA) - 1);
    vc_badge_count_e mode = vc_conf_badge_count(dc);

    *flags = camo ? VC_COUNT_CAMO : 0;
    if (r->method_number != M_GET || r->header_only || r->main) {
        return 0;
    }
    return mode == VC_BADGE_COUNT_ON || (mode == VC_BADGE_COUNT_CAMO && camo);
}

/* The figure the badge shows, as text. */
static const char *figure(request_rec *r, const badge_query_t *q,
                          const vc_counts_t *c, const vc_counts_t *today)
{
    apr_uint64_t n = q->value == VALUE_UNIQUE ? c->unique
                   : q->value == VALUE_TODAY ? today->count : c->count;
    char buf[24];

    if (!q->abbreviated) {
        return apr_psprintf(r->pool, "%" APR_UINT64_T_FMT, n);
    }
    vc_svg_abbreviate(n, buf, sizeof(buf));
    return apr_pstrdup(r->pool, buf);
}

static int badge(request_rec *r, const vc_dir_conf *dc, const char *key,
                 const badge_query_t *q)
{
    vc_counts_t c, today;
    vc_outcome_t out;
    unsigned int flags;
    int counting = counts_view(r, dc, &flags);
    apr_status_t st;

    memset(&today, 0, sizeof(today));
    if (counting) {
        if ((st = vc_count_hit(r, dc, key, NULL, flags, &out)) != APR_SUCCESS) {
            return store_failure_badge(r, q, st, "hit", key);
        }
        c = out.counts;
    }
    if (q->value == VALUE_TODAY) {
        st = vc_store_history(vc_child.store, key, &c,
                              vc_day_of(vc_clock_now(r->request_time)), 1,
                              &today, r->pool);
    }
    else {
        st = counting ? APR_SUCCESS : vc_store_get(vc_child.store, key, &c,
                                                   NULL);
    }
    if (st != APR_SUCCESS) {
        return store_failure_badge(r, q, st, "read", key);
    }
    return send_badge(r, q, key, figure(r, q, &c, &today), 0, counting);
}

int vc_badge_handler(request_rec *r)
{
    const vc_dir_conf *dc;
    const char *path, *key, *why;
    badge_query_t q;
    int cors_ok;

    if (!(dc = vc_reply_start(r, "visitcount-badge", &cors_ok))) {
        return DECLINED;
    }
    if (r->method_number == M_OPTIONS) {
        return vc_options_reply(r, &badge_methods, cors_ok);
    }
    if (r->method_number != M_GET) {
        return vc_method_not_allowed(r, &badge_methods);
    }
    badge_query(r, &q);
    path = vc_config_path_below_mount(r);
    why = path ? vc_key_from_path(r->pool, path, vc_conf_default_key(dc), &key)
               : "malformed URL path";
    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "VC0801: badge for %s: %s", r->uri, why);
        return send_badge(r, &q, NULL, "n/a", 1, 0);
    }
    return badge(r, dc, key, &q);
}
