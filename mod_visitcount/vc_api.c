/* The public and admin handlers.  A request is routed to a resource (a
 * key, or the admin collection), checked (method, key, query, body) before
 * the store is touched, served in one short store call, and answered with
 * JSON.  Every reply the handlers produce, errors included, carries the
 * CORS and content-type headers, so browsers and scripts always get a body
 * they can read.
 */
#include "vc_api.h"
#include "vc_config.h"
#include "vc_parse.h"
#include "vc_visitor.h"

#include "http_core.h"
#include "http_main.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include <errno.h>

extern module AP_MODULE_DECLARE_DATA visitcount_module;
APLOG_USE_MODULE(visitcount);

#define VC_RETRY_AFTER "30"        /* seconds, on 503 */

#define BIT(m) VC_METHOD_BIT(m)

static const vc_methods_t public_methods = {
    "GET, HEAD, POST, OPTIONS", "GET, HEAD, POST",
    BIT(M_GET) | BIT(M_POST) | BIT(M_OPTIONS)
};

/* ---- replies ---------------------------------------------------------- */

int vc_send_json(request_rec *r, int status, vc_json_t *j,
                     const char *cache_control)
{
    apr_size_t len;
    const char *body = vc_json_finish(j, &len);

    if (!body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "VC0201: internal error building a JSON reply");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", cache_control);
    ap_set_content_length(r, len + 1);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
        ap_rputc('\n', r);
    }
    return OK;
}

int vc_error_reply(request_rec *r, int status, const char *message)
{
    vc_json_t j;

    vc_json_init(&j, r->pool, 64);
    vc_json_object_begin(&j);
    vc_json_key(&j, "error");
    vc_json_cstring(&j, message);
    vc_json_object_end(&j);
    return vc_send_json(r, status, &j, "no-store");
}

int vc_method_not_allowed(request_rec *r, const vc_methods_t *m)
{
    r->allowed = m->bits;
    apr_table_setn(r->headers_out, "Allow", m->allow);
    return vc_error_reply(r, HTTP_METHOD_NOT_ALLOWED,
                       apr_pstrcat(r->pool, "method not allowed; use ",
                                   m->allow, NULL));
}

int vc_store_failure(request_rec *r, apr_status_t status,
                         const char *op, const char *key)
{
    if (status == VC_STORE_MAXED) {
        /* Not a store fault: only a count set near 2^64 gets here. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "VC0205: key '%s' is at its 64-bit maximum", key);
        return vc_error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "count is at its 64-bit maximum");
    }
    vc_log_store_error(r, status, op, key);
    if (status == VC_STORE_FULL) {
        return vc_error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "counter store is full");
    }
    if (status == VC_STORE_KEYS_FULL) {
        return vc_error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "counter store holds its most keys "
                           "(VisitCountMaxKeys); existing keys still count");
    }
    if (APR_STATUS_IS_ENOSPC(status) || status == APR_FROM_OS_ERROR(EDQUOT)) {
        return vc_error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "no space left on the disk of the counter store");
    }
    apr_table_setn(r->headers_out, "Retry-After", VC_RETRY_AFTER);
    return vc_error_reply(r, HTTP_SERVICE_UNAVAILABLE,
                       "counter store unavailable");
}

void vc_put_counts(vc_json_t *j, const char *key, const vc_counts_t *c)
{
    vc_json_key(j, "key");
    vc_json_cstring(j, key);
    vc_json_key(j, "count");
    vc_json_uint64(j, c->count);
    vc_json_key(j, "unique");
    vc_json_uint64(j, c->unique);
}

/* FNV-1a: a cheap fingerprint of the reply body for a strong ETag. */
static apr_uint64_t fingerprint(const char *s, apr_size_t n)
{
    apr_uint64_t h = APR_UINT64_C(0xcbf29ce484222325);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= APR_UINT64_C(0x100000001b3);
    }
    return h;
}

/* Appends "daily": the buckets of the ndays days ending with last_day. */
static void put_daily(vc_json_t *j, apr_int64_t last_day, unsigned int ndays,
                      const vc_counts_t *daily)
{
    char date[11];
    unsigned int i;

    vc_json_key(j, "daily");
    vc_json_array_begin(j);
    for (i = 0; i < ndays; i++) {
        vc_day_format(last_day - (apr_int64_t)(ndays - 1 - i), date);
        vc_json_object_begin(j);
        vc_json_key(j, "date");
        vc_json_cstring(j, date);
        vc_json_key(j, "count");
        vc_json_uint64(j, daily[i].count);
        vc_json_key(j, "unique");
        vc_json_uint64(j, daily[i].unique);
        vc_json_object_end(j);
    }
    vc_json_array_end(j);
}

int vc_read_key(request_rec *r, const char *key, const char *cache_control,
                unsigned int ndays)
{
    apr_int64_t today = vc_day_of(vc_clock_now(r->request_time));
    vc_counts_t c, *daily = NULL;
    apr_status_t st;
    vc_json_t j;
    apr_size_t len;
    const char *body, *etag, *inm;

    if (ndays) {
        daily = apr_palloc(r->pool, sizeof(*daily) * ndays);
    }
    st = vc_store_get(vc_child.store, key, &c, NULL, today, ndays, daily);
    if (st != APR_SUCCESS) {
        return vc_store_failure(r, st, "read", key);
    }
    vc_json_init(&j, r->pool, 128 + (apr_size_t)ndays * 48);
    vc_json_object_begin(&j);
    vc_put_counts(&j, key, &c);
    if (ndays) {
        put_daily(&j, today, ndays, daily);
    }
    vc_json_object_end(&j);
    if (!(body = vc_json_finish(&j, &len))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Strong: the tag names these exact bytes, so the dates roll over
     * into a new tag at midnight too. */
    etag = apr_psprintf(r->pool, "\"%016" APR_UINT64_T_HEX_FMT "\"",
                        fingerprint(body, len));
    apr_table_setn(r->headers_out, "ETag", etag);
    inm = apr_table_get(r->headers_in, "If-None-Match");
    if (inm && vc_etag_match(inm, etag)) {
        apr_table_setn(r->headers_out, "Cache-Control", cache_control);
        r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    return vc_send_json(r, HTTP_OK, &j, cache_control);
}

/* ---- CORS ------------------------------------------------------------- */

/* The configured origin equal to the request's Origin, or NULL.  The
 * configured string is what gets echoed, never the request's bytes. */
static const char *allowed_origin(const vc_dir_conf *dc, const char *origin)
{
    int i;

    if (!origin || !dc->origins) {
        return NULL;
    }
    for (i = 0; i < dc->origins->nelts; i++) {
        const char *o = APR_ARRAY_IDX(dc->origins, i, const char *);
        if (!strcasecmp(o, origin)) {
            return o;
        }
    }
    return NULL;
}

/* Headers every reply in this scope carries; returns whether the request's
 * origin may call us from a browser. */
static int set_cors(request_rec *r, const vc_dir_conf *dc)
{
    const char *match;

    if (dc->any_origin == 1) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", "*");
        return 1;
    }
    if (!dc->origins) {
        return 0;
    }
    /* Caches must keep one reply per origin, even the refusals. */
    apr_table_mergen(r->headers_out, "Vary", "Origin");
    match = allowed_origin(dc, apr_table_get(r->headers_in, "Origin"));
    if (match) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", match);
        return 1;
    }
    return 0;
}

/* True when s is a comma-separated list of header names, so it may be
 * echoed in Access-Control-Allow-Headers. */
static int header_list(const char *s)
{
    for (; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("-_ ,", *s)) {
            return 0;
        }
    }
    return 1;
}

int vc_options_reply(request_rec *r, const vc_methods_t *m, int cors_ok)
{
    const char *want_headers;

    r->allowed = m->bits;
    apr_table_setn(r->headers_out, "Allow", m->allow);
    if (cors_ok && apr_table_get(r->headers_in, "Access-Control-Request-Method")) {
        apr_table_setn(r->headers_out, "Access-Control-Allow-Methods",
                       m->cors_methods);
        want_headers = apr_table_get(r->headers_in,
                                     "Access-Control-Request-Headers");
        if (want_headers && header_list(want_headers)) {
            apr_table_setn(r->headers_out, "Access-Control-Allow-Headers",
                           want_headers);
        }
        apr_table_setn(r->headers_out, "Access-Control-Max-Age", "600");
    }
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/* ---- request parsing -------------------------------------------------- */

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

/* The raw path below the <Location> that maps this request's handler
 * (starting with '/', '?' or at the end).  Without such a section (the
 * handler was mapped another way) it is the whole path.  NULL when the raw
 * path does not decode to the mount, as with "/api//visits/x". */
static const char *path_below_mount(request_rec *r)
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

/* Reads a body of at most VC_BODY_MAX bytes into buf (VC_BODY_MAX + 1
 * bytes), before any transaction starts.  Returns OK or an HTTP status. */
int vc_read_body(request_rec *r, char *buf, apr_size_t *len)
{
    int rc;

    *len = 0;
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        return rc;
    }
    if (r->remaining > VC_BODY_MAX) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;   /* refused before reading */
    }
    if (!ap_should_client_block(r)) {
        return OK;
    }
    for (;;) {
        long n = ap_get_client_block(r, buf + *len, VC_BODY_MAX + 1 - *len);
        if (n == 0) {
            return OK;
        }
        if (n < 0) {
            return HTTP_BAD_REQUEST;
        }
        *len += (apr_size_t)n;
        if (*len > VC_BODY_MAX) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
}

int vc_body_error(request_rec *r, int status)
{
    switch (status) {
    case HTTP_REQUEST_ENTITY_TOO_LARGE:
        return vc_error_reply(r, status, "request body larger than 1 KiB");
    case HTTP_NOT_IMPLEMENTED:
        return vc_error_reply(r, status, "unsupported transfer coding");
    default:
        return vc_error_reply(r, status >= 400 && status < 500
                           ? status : HTTP_BAD_REQUEST,
                           "could not read the request body");
    }
}

/* ---- public API ------------------------------------------------------- */

int vc_change_reply(request_rec *r, const char *key, const vc_counts_t *c,
                    const vc_outcome_t *outcome)
{
    vc_json_t j;

    vc_json_init(&j, r->pool, 128);
    vc_json_object_begin(&j);
    vc_put_counts(&j, key, c);
    if (outcome) {
        vc_json_key(&j, "counted");
        vc_json_bool(&j, outcome->reason == NULL);
        if (outcome->reason) {
            vc_json_key(&j, "reason");
            vc_json_cstring(&j, outcome->reason);
        }
    }
    vc_json_object_end(&j);
    return vc_send_json(r, HTTP_OK, &j, "no-store");
}

/* The browser's visitor token from a hit's body, which may be empty or a
 * JSON object; other members are ignored.  Returns NULL or why the body
 * is refused. */
static const char *hit_token(request_rec *r, const char *body, apr_size_t len,
                             const char **token)
{
    char buf[VC_TOKEN_MAX + 2];
    const char *why;
    int found;

    *token = NULL;
    if (len == strspn(body, " \t\r\n")) {
        return NULL;
    }
    why = vc_json_read_string_member(body, len, "visitor", buf, sizeof(buf),
                                     &found);
    if (why) {
        return apr_pstrcat(r->pool, why, "; the body must be empty or a "
                           "JSON object such as {\"visitor\":\"TOKEN\"}",
                           NULL);
    }
    if (found && !vc_visitor_token_ok(buf)) {
        return "visitor must be 16 to 64 letters, digits, '-' or '_'";
    }
    *token = found ? apr_pstrdup(r->pool, buf) : NULL;
    return NULL;
}

static int hit(request_rec *r, const vc_dir_conf *dc, const char *key,
               const char *token)
{
    vc_outcome_t out;
    apr_status_t st;

    if ((st = vc_count_hit(r, dc, key, token, &out)) != APR_SUCCESS) {
        return vc_store_failure(r, st, "hit", key);
    }
    return vc_change_reply(r, key, &out.counts, &out);
}

/* The public query: days=N asks a read for the daily series; unknown
 * parameters (cache busters such as ?_=123) are ignored.  Returns NULL or
 * why the query is refused. */
static const char *public_query(request_rec *r, unsigned int *ndays)
{
    const vc_server_conf *sc = ap_get_module_config(ap_server_conf->module_config,
                                                    &visitcount_module);
    const char *q = r->args, *name, *value;
    apr_uint64_t n;
    int rc, seen_days = 0;

    *ndays = 0;
    while (q && (rc = vc_query_next(r->pool, &q, &name, &value)) != 0) {
        if (rc < 0) {
            return "malformed query string";
        }
        if (!strcmp(name, "days")) {
            if (seen_days++) {
                return "repeated query parameter";
            }
            if (vc_parse_uint(value, 1, vc_conf_history(sc), &n) != 0) {
                return apr_psprintf(r->pool, "days must be an integer from "
                                    "1 to %u (VisitCountHistory)",
                                    vc_conf_history(sc));
            }
            *ndays = (unsigned int)n;
        }
    }
    return NULL;
}

static int public_api(request_rec *r, const vc_dir_conf *dc, const char *path,
                      int cors_ok)
{
    char body[VC_BODY_MAX + 1];
    apr_size_t len;
    const char *key, *why, *token;
    unsigned int ndays;
    int rc;

    if (r->method_number == M_OPTIONS) {
        return vc_options_reply(r, &public_methods, cors_ok);
    }
    if (r->method_number != M_GET && r->method_number != M_POST) {
        return vc_method_not_allowed(r, &public_methods);
    }
    if (!path) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, "malformed URL path");
    }
    if ((why = vc_key_from_path(r->pool, path, vc_conf_default_key(dc), &key))) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if ((why = public_query(r, &ndays))) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if (r->method_number == M_POST) {
        if ((rc = vc_read_body(r, body, &len)) != OK) {
            return vc_body_error(r, rc);
        }
        body[len] = '\0';
        if ((why = hit_token(r, body, len, &token))) {
            return vc_error_reply(r, HTTP_BAD_REQUEST, why);
        }
        /* A subrequest (an SSI include, say) reads; only clients count. */
        return r->main ? vc_read_key(r, key, "no-store", ndays)
                       : hit(r, dc, key, token);
    }
    if (dc->increment_on_get == 1 && !r->header_only && !r->main) {
        return hit(r, dc, key, NULL);
    }
    return vc_read_key(r, key, "no-cache", ndays);
}

/* The counter's URLs are not files: like mod_proxy, the module maps them
 * itself, so httpd neither turns them into file names (which fails with
 * 403 for an absurdly long path) nor walks the file system for them (a
 * stat per path component, and a look for .htaccess in each directory
 * when overrides are allowed). */
int vc_api_translate_name(request_rec *r)
{
    if (!r->uri || r->uri[0] != '/' || !vc_config_mount(r)) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, "visitcount:", r->uri, NULL);
    return OK;
}

int vc_api_map_to_storage(request_rec *r)
{
    return r->filename && !strncmp(r->filename, "visitcount:", 11)
           ? OK : DECLINED;
}

int vc_api_handler(request_rec *r)
{
    const vc_dir_conf *dc;
    const char *path;
    int admin, cors_ok;

    if (!r->handler) {
        return DECLINED;
    }
    if (!strcmp(r->handler, "visitcount")) {
        admin = 0;
    }
    else if (!strcmp(r->handler, "visitcount-admin")) {
        admin = 1;
    }
    else {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &visitcount_module);
    path = path_below_mount(r);
    /* Every reply in this scope carries the CORS headers, errors too. */
    cors_ok = set_cors(r, dc);
    if (!vc_child.store && r->method_number != M_OPTIONS) {
        return vc_store_failure(r, vc_child.status, "open", NULL);
    }
    return admin ? vc_admin_api(r, path, cors_ok)
                 : public_api(r, dc, path, cors_ok);
}
