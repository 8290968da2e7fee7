/* The dashboard (`SetHandler visitcount-dashboard`): one server-rendered
 * HTML page with the totals, a chart of the site's daily visits and
 * unique visitors over 30, 90 or 365 days (?days=), today's top keys, the
 * keys ranked by count, and a page per key (?key=KEY) with its own chart.
 * No script and nothing from elsewhere: a Content-Security-Policy forbids
 * both, and the one inline style block is allowed by its hash.  Every
 * figure comes through the store interface, so it reads LMDB and Redis
 * alike; the work is bounded: one walk of the keys (as the metrics do)
 * and the history of at most VC_DASH_KEYS keys.  Like the admin API it is
 * guarded by the administrator's Require, nothing else.
 */
#include "vc_dashboard.h"
#include "vc_chart.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_reply.h"
#include "vc_store_top.h"

#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_strings.h"

#include <stdlib.h>

#define VC_DASH_KEYS 100            /* keys ranked, and summed into the
                                       site's daily series */
#define VC_DASH_TODAY 10            /* today's top keys shown */
#define VC_DASH_RETRY "30"          /* Retry-After on 503, seconds */

/* The page's only style, allowed by its SHA-256 in the policy below
 * (t/dashboard/page.t recomputes it: change both together). */
#define VC_DASH_CSS \
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;" \
    "--line:#d1d9e0;--visits:#1f6feb;--unique:#c2410c}" \
    "@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;" \
    "--muted:#9198a1;--line:#3d444d;--visits:#58a6ff;--unique:#f0883e}}" \
    "body{margin:0;background:var(--bg);color:var(--fg);" \
    "font:1rem/1.5 system-ui,sans-serif}" \
    "main{max-width:60rem;margin:0 auto;padding:1rem}" \
    "a{color:var(--visits)}nav a{margin-right:1rem}" \
    "nav a[aria-current]{font-weight:bold;text-decoration:none}" \
    ".vc-chart{display:block;width:100%;height:auto}" \
    "@media (max-width: 36rem){.vc-chart{font-size:20px}" \
    ".vc-chart .vc-odd{display:none}}" \
    ".vc-visits{stroke:var(--visits)}.vc-unique{stroke:var(--unique)}" \
    ".vc-grid{stroke:var(--line);stroke-opacity:1}" \
    ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}" \
    "caption{text-align:left;font-weight:bold}" \
    "th,td{padding:.2rem .5rem;border-bottom:1px solid var(--line);" \
    "text-align:right}th[scope=row],.key{text-align:left;" \
    "overflow-wrap:break-word}" \
    ".totals{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:0}" \
    ".totals dd{margin:0;font-size:1.5rem}.note{color:var(--muted)}"
#define VC_DASH_CSS_HASH "sha256-G4ROVSg+arROPfIV5Hlx1a6CY3lGn2awLlksii/InYY="

#define VC_DASH_CSP \
    "default-src 'none'; style-src '" VC_DASH_CSS_HASH "'; " \
    "img-src 'none'; script-src 'none'; base-uri 'none'; " \
    "form-action 'none'; frame-ancestors 'none'"

static const vc_methods_t dash_methods = {
    "GET, HEAD", "GET, HEAD", VC_METHOD_BIT(M_GET)
};

/* What a request asks for: a period, and perhaps one key. */
typedef struct {
    unsigned int days;
    const char *key;            /* NULL: the whole site */
    apr_int64_t today;          /* the last day shown */
} dash_query_t;

/* ---- the page frame ---------------------------------------------------- */

static const char *esc(apr_pool_t *p, const char *s)
{
    return vc_chart_escape(p, s);
}

static void page_begin(apr_bucket_brigade *bb, const char *title,
                       apr_pool_t *p)
{
    apr_brigade_printf(bb, NULL, NULL, "<!DOCTYPE html>\n<html lang=\"en\">"
                       "<head><meta charset=\"utf-8\"/><meta name=\"viewport\""
                       " content=\"width=device-width, initial-scale=1\"/>"
                       "<meta name=\"color-scheme\" content=\"light dark\"/>"
                       "<meta name=\"robots\" content=\"noindex\"/>"
                       "<title>%s</title><style>%s</style></head>\n<body>"
                       "<main>", esc(p, title), VC_DASH_CSS);
}

static void page_end(apr_bucket_brigade *bb)
{
    apr_brigade_puts(bb, NULL, NULL, "</main></body></html>\n");
}

/* Sends the page in bb with status, never cached, under the policy. */
static int send_page(request_rec *r, int status, apr_bucket_brigade *bb)
{
    apr_size_t len;
    char *body;

    if (apr_brigade_pflatten(bb, &body, &len, r->pool) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    /* Counts may be private, and a page is read at once or not at all. */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Content-Security-Policy", VC_DASH_CSP);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

static apr_bucket_brigade *new_page(request_rec *r)
{
    return apr_brigade_create(r->pool, r->connection->bucket_alloc);
}

/* A whole page saying what went wrong, with a way back. */
static int html_error(request_rec *r, int status, const char *title,
                      const char *message)
{
    apr_bucket_brigade *bb = new_page(r);
    const char *home = vc_config_mount(r);

    page_begin(bb, title, r->pool);
    apr_brigade_printf(bb, NULL, NULL, "<h1>%s</h1><p id=\"error\">%s</p>"
                       "<p><a href=\"%s\">The dashboard</a></p>",
                       esc(r->pool, title), esc(r->pool, message),
                       home ? esc(r->pool, home) : "?");
    page_end(bb);
    return send_page(r, status, bb);
}

/* 503 with Retry-After for a store that did not answer: the dashboard
 * only reads, so there is nothing to be full. */
static int store_failure(request_rec *r, apr_status_t status, const char *op,
                         const char *key)
{
    if (status == VC_STORE_CLOSED && vc_child.status != APR_SUCCESS) {
        status = vc_child.status;       /* why this process has no store */
        op = "open";
    }
    vc_log_store_error(r, status, op, key);
    apr_table_setn(r->headers_out, "Retry-After", VC_DASH_RETRY);
    return html_error(r, HTTP_SERVICE_UNAVAILABLE, "Counter store unavailable",
                      "The counter store did not answer. Try again in a "
                      "moment.");
}

/* ---- parts of both pages ----------------------------------------------- */

/* The links to the three periods, the current one marked; key, when set,
 * stays in them. */
static void put_periods(apr_bucket_brigade *bb, const dash_query_t *q,
                        apr_pool_t *p)
{
    static const unsigned int periods[] = { 30, 90, 365 };
    int i;

    apr_brigade_puts(bb, NULL, NULL, "<nav aria-label=\"Period\">");
    for (i = 0; i < 3; i++) {
        /* Keys are [A-Za-z0-9._~/-]: nothing to percent-encode. */
        apr_brigade_printf(bb, NULL, NULL, "<a href=\"?%s%s%sdays=%u\"%s>%u "
                           "days</a>", q->key ? "key=" : "",
                           q->key ? esc(p, q->key) : "",
                           q->key ? "&amp;" : "", periods[i],
                           periods[i] == q->days
                           ? " aria-current=\"page\"" : "", periods[i]);
    }
    apr_brigade_puts(bb, NULL, NULL, "</nav>");
}

static void put_total(apr_bucket_brigade *bb, const char *id,
                      const char *label, apr_uint64_t n)
{
    apr_brigade_printf(bb, NULL, NULL, "<div><dt>%s</dt><dd id=\"%s\">%"
                       APR_UINT64_T_FMT "</dd></div>", label, id, n);
}

/* The chart of a series, a note when the period reaches past the history
 * the store keeps, and the table behind the chart. */
static void put_series(apr_bucket_brigade *bb, request_rec *r,
                       const dash_query_t *q, const char *title,
                       const vc_counts_t *daily)
{
    const vc_server_conf *sc = ap_get_module_config(r->server->module_config,
                                                    &visitcount_module);
    unsigned int kept = vc_conf_history(sc);
    vc_chart_t c;

    c.id = "series";
    c.title = title;
    c.first_day = q->today - (apr_int64_t)q->days + 1;
    c.ndays = q->days;
    c.daily = daily;
    apr_brigade_printf(bb, NULL, NULL, "<section id=\"series\" "
                       "aria-labelledby=\"series-h\"><h2 id=\"series-h\">%s"
                       "</h2>", esc(r->pool, title));
    if (kept < q->days) {
        apr_brigade_printf(bb, NULL, NULL, "<p class=\"note\" id=\"kept\">"
                           "This server keeps %u days of history "
                           "(VisitCountHistory): the days before read as "
                           "zero.</p>", kept);
    }
    apr_brigade_printf(bb, NULL, NULL, "%s<details><summary>The figures as a"
                       " table</summary><div class=\"scroll\">%s</div>"
                       "</details></section>", vc_chart_svg(r->pool, &c),
                       vc_chart_table(r->pool, &c));
}

/* ---- the site's page --------------------------------------------------- */

/* A key's figures of today, for ranking. */
typedef struct {
    const char *key;
    vc_counts_t today;
} today_t;

static int today_cmp(const void *a, const void *b)
{
    const today_t *x = a, *y = b;

    if (x->today.count != y->today.count) {
        return x->today.count < y->today.count ? 1 : -1;
    }
    return strcmp(x->key, y->key);
}

static apr_uint64_t add_sat(apr_uint64_t a, apr_uint64_t b)
{
    return a > APR_UINT64_MAX - b ? APR_UINT64_MAX : a + b;
}

/* Sums the daily series of the keys in top into series, and gives each
 * key's figures of today in today[]. */
static apr_status_t sum_series(request_rec *r, const dash_query_t *q,
                               const apr_array_header_t *top,
                               vc_counts_t *series, today_t *today,
                               const char **failed)
{
    vc_counts_t *daily = apr_palloc(r->pool, sizeof(*daily) * q->days), c;
    apr_pool_t *scratch;
    apr_status_t rv;
    unsigned int d;
    int i;

    memset(series, 0, sizeof(*series) * q->days);
    if ((rv = apr_pool_create(&scratch, r->pool)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < top->nelts; i++) {
        const char *key = APR_ARRAY_IDX(top, i, vc_entry_t).key;
        rv = vc_store_history(vc_child.store, key, &c, q->today, q->days,
                              daily, scratch);
        apr_pool_clear(scratch);
        if (rv != APR_SUCCESS) {
            *failed = key;
            break;
        }
        for (d = 0; d < q->days; d++) {
            series[d].count = add_sat(series[d].count, daily[d].count);
            series[d].unique = add_sat(series[d].unique, daily[d].unique);
        }
        today[i].key = key;
        today[i].today = daily[q->days - 1];
    }
    apr_pool_destroy(scratch);
    return rv;
}

static void put_today(apr_bucket_brigade *bb, today_t *today, int n,
                      int bounded, apr_pool_t *p)
{
    int i, shown = 0;

    qsort(today, (size_t)n, sizeof(*today), today_cmp);
    apr_brigade_puts(bb, NULL, NULL, "<section id=\"today\" aria-labelledby="
                     "\"today-h\"><h2 id=\"today-h\">Today&#39;s top keys"
                     "</h2>");
    for (i = 0; i < n && shown < VC_DASH_TODAY; i++) {
        if (today[i].today.count == 0) {
            break;
        }
        if (!shown++) {
            apr_brigade_puts(bb, NULL, NULL, "<div class=\"scroll\"><table>"
                             "<thead><tr><th scope=\"col\" class=\"key\">"
                             "Key</th><th scope=\"col\">Visits today</th>"
                             "<th scope=\"col\">Unique visitors today</th>"
                             "</tr></thead><tbody>");
        }
        apr_brigade_printf(bb, NULL, NULL, "<tr><td class=\"key\"><a href="
                           "\"?key=%s\">%s</a></td><td>%" APR_UINT64_T_FMT
                           "</td><td>%" APR_UINT64_T_FMT "</td></tr>",
                           esc(p, today[i].key), esc(p, today[i].key),
                           today[i].today.count, today[i].today.unique);
    }
    apr_brigade_puts(bb, NULL, NULL, shown ? "</tbody></table></div>"
                     : "<p id=\"no-today\">No visits yet today (UTC).</p>");
    if (bounded) {
        apr_brigade_printf(bb, NULL, NULL, "<p class=\"note\">Among the %d "
                           "keys with the highest counts.</p>", VC_DASH_KEYS);
    }
    apr_brigade_puts(bb, NULL, NULL, "</section>");
}

static void put_ranked(apr_bucket_brigade *bb, const apr_array_header_t *top,
                       apr_uint64_t nkeys, apr_pool_t *p)
{
    int i;

    apr_brigade_puts(bb, NULL, NULL, "<section id=\"ranked\" aria-labelledby"
                     "=\"ranked-h\"><h2 id=\"ranked-h\">Keys by count</h2>");
    if (top->nelts == 0) {
        apr_brigade_puts(bb, NULL, NULL, "<p>No keys yet.</p></section>");
        return;
    }
    if (nkeys > (apr_uint64_t)top->nelts) {
        apr_brigade_printf(bb, NULL, NULL, "<p class=\"note\">The %d keys "
                           "with the highest counts, of %" APR_UINT64_T_FMT
                           ".</p>", top->nelts, nkeys);
    }
    apr_brigade_puts(bb, NULL, NULL, "<div class=\"scroll\"><table><thead>"
                     "<tr><th scope=\"col\">Rank</th><th scope=\"col\" "
                     "class=\"key\">Key</th><th scope=\"col\">Visits</th>"
                     "<th scope=\"col\">Unique visitors</th></tr></thead>"
                     "<tbody>");
    for (i = 0; i < top->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(top, i, vc_entry_t);
        apr_brigade_printf(bb, NULL, NULL, "<tr><td>%d</td><td class=\"key\">"
                           "<a href=\"?key=%s\">%s</a></td><td>%"
                           APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
                           "</td></tr>", i + 1, esc(p, e->key),
                           esc(p, e->key), e->counts.count, e->counts.unique);
    }
    apr_brigade_puts(bb, NULL, NULL, "</tbody></table></div></section>");
}

static int site_page(request_rec *r, const dash_query_t *q)
{
    apr_bucket_brigade *bb = new_page(r);
    vc_counts_t sum, *series = apr_palloc(r->pool, sizeof(*series) * q->days);
    apr_array_header_t *top;
    apr_uint64_t nkeys;
    today_t *today;
    const char *failed = NULL;
    apr_status_t rv;
    int bounded;

    rv = vc_store_top_sum(vc_child.store, VC_DASH_KEYS, &top, &nkeys, &sum,
                          r->pool);
    if (rv != APR_SUCCESS) {
        return store_failure(r, rv, "list", NULL);
    }
    today = apr_pcalloc(r->pool, sizeof(*today) * (top->nelts + 1));
    if ((rv = sum_series(r, q, top, series, today, &failed)) != APR_SUCCESS) {
        return store_failure(r, rv, "read", failed);
    }
    bounded = nkeys > (apr_uint64_t)top->nelts;
    page_begin(bb, "Visit counts", r->pool);
    apr_brigade_puts(bb, NULL, NULL, "<h1>Visit counts</h1>");
    put_periods(bb, q, r->pool);
    apr_brigade_puts(bb, NULL, NULL, "<section id=\"totals\" aria-labelledby"
                     "=\"totals-h\"><h2 id=\"totals-h\">Totals</h2>"
                     "<dl class=\"totals\">");
    put_total(bb, "total-keys", "Keys", nkeys);
    put_total(bb, "total-visits", "Visits", sum.count);
    put_total(bb, "total-unique", "Unique visitors", sum.unique);
    apr_brigade_puts(bb, NULL, NULL, "</dl><p class=\"note\">Unique visitors"
                     " are counted per key and per day, then added up.</p>"
                     "</section>");
    put_series(bb, r, q, apr_psprintf(r->pool, "Daily visits, last %u days",
                                      q->days), series);
    if (bounded) {
        apr_brigade_printf(bb, NULL, NULL, "<p class=\"note\" id=\"bound\">"
                           "The daily figures are the sums of the %d keys "
                           "with the highest counts, of %" APR_UINT64_T_FMT
                           " keys.</p>", top->nelts, nkeys);
    }
    put_today(bb, today, top->nelts, bounded, r->pool);
    put_ranked(bb, top, nkeys, r->pool);
    apr_brigade_puts(bb, NULL, NULL, "<p class=\"note\">Days are UTC days."
                     "</p>");
    page_end(bb);
    return send_page(r, HTTP_OK, bb);
}

/* ---- one key's page ---------------------------------------------------- */

static int key_page(request_rec *r, const dash_query_t *q)
{
    apr_bucket_brigade *bb = new_page(r);
    vc_counts_t c, *daily = apr_palloc(r->pool, sizeof(*daily) * q->days);
    apr_status_t rv;
    int found;

    rv = vc_store_get(vc_child.store, q->key, &c, &found);
    if (rv == APR_SUCCESS && !found) {
        return html_error(r, HTTP_NOT_FOUND, "No such key",
                          apr_pstrcat(r->pool, "No visits were ever counted "
                                      "for ", q->key, ".", NULL));
    }
    if (rv == APR_SUCCESS) {
        rv = vc_store_history(vc_child.store, q->key, &c, q->today, q->days,
                              daily, r->pool);
    }
    if (rv != APR_SUCCESS) {
        return store_failure(r, rv, "read", q->key);
    }
    page_begin(bb, apr_pstrcat(r->pool, q->key, " - visit counts", NULL),
               r->pool);
    apr_brigade_printf(bb, NULL, NULL, "<h1>%s</h1><p><a href=\"?days=%u\">"
                       "All keys</a></p>", esc(r->pool, q->key), q->days);
    put_periods(bb, q, r->pool);
    apr_brigade_puts(bb, NULL, NULL, "<section id=\"totals\" aria-labelledby"
                     "=\"totals-h\"><h2 id=\"totals-h\">Totals</h2>"
                     "<dl class=\"totals\">");
    put_total(bb, "total-visits", "Visits", c.count);
    put_total(bb, "total-unique", "Unique visitors", c.unique);
    apr_brigade_puts(bb, NULL, NULL, "</dl></section>");
    put_series(bb, r, q, apr_psprintf(r->pool, "Daily visits of %s, last %u "
                                      "days", q->key, q->days), daily);
    apr_brigade_puts(bb, NULL, NULL, "<p class=\"note\">Days are UTC days."
                     "</p>");
    page_end(bb);
    return send_page(r, HTTP_OK, bb);
}

/* ---- the request ------------------------------------------------------- */

/* Reads ?days= and ?key=; NULL, or the reason for a 400. */
static const char *parse_query(request_rec *r, dash_query_t *q)
{
    const char *cursor = r->args, *name, *value, *days = NULL, *why;
    int rc;

    q->key = NULL;
    while (cursor && (rc = vc_query_next(r->pool, &cursor, &name, &value))) {
        const char **slot = NULL;
        if (rc < 0) {
            return "The query string is malformed.";
        }
        if (!strcmp(name, "days")) slot = &days;
        else if (!strcmp(name, "key")) slot = &q->key;
        if (!slot) {
            return apr_pstrcat(r->pool, "Unknown query parameter \"", name,
                               "\": use days and key.", NULL);
        }
        if (*slot) {
            return apr_pstrcat(r->pool, "The parameter ", name, " is given "
                               "twice.", NULL);
        }
        *slot = value;
    }
    if (!days) {
        q->days = 30;
    }
    else if (!strcmp(days, "30") || !strcmp(days, "90")
             || !strcmp(days, "365")) {
        q->days = (unsigned int)atoi(days);
    }
    else {
        return apr_pstrcat(r->pool, "days must be 30, 90 or 365, not \"",
                           days, "\".", NULL);
    }
    if (q->key && (why = vc_key_check(q->key, strlen(q->key))) != NULL) {
        return apr_pstrcat(r->pool, "\"", q->key, "\" is not a key: ", why,
                           ".", NULL);
    }
    return NULL;
}

/* True when the path below the mount is the mount itself. */
static int at_mount(request_rec *r)
{
    const char *path;

    if (!vc_config_mount(r)) {
        return 1;                       /* mapped some other way: any path */
    }
    path = vc_config_path_below_mount(r);
    return path && (path[0] == '\0' || path[0] == '?'
                    || (path[0] == '/' && (path[1] == '\0'
                                           || path[1] == '?')));
}

static int dashboard(request_rec *r)
{
    dash_query_t q;
    const char *why;

    if (r->method_number != M_GET) {
        return vc_method_not_allowed(r, &dash_methods);
    }
    if (!at_mount(r)) {
        return html_error(r, HTTP_NOT_FOUND, "Not found", "The dashboard "
                          "takes no path; choose a key with ?key=KEY.");
    }
    if ((why = parse_query(r, &q)) != NULL) {
        return html_error(r, HTTP_BAD_REQUEST, "Bad request", why);
    }
    q.today = vc_day_of(vc_clock_now(r->request_time));
    return q.key ? key_page(r, &q) : site_page(r, &q);
}

int vc_dashboard_handler(request_rec *r)
{
    int cors_ok;

    if (!vc_reply_start(r, "visitcount-dashboard", &cors_ok)) {
        return DECLINED;
    }
    return dashboard(r);
}
