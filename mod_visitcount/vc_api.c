/* The public and admin handlers.  A request is routed to a resource (a
 * key, or the admin collection), checked (method, key, query, body) before
 * the store is touched, served in one short store call, and answered with
 * JSON.  Every reply the handlers produce, errors included, carries the
 * CORS and content-type headers, so browsers and scripts always get a body
 * they can read.
 */
#include "vc_api.h"
#include "vc_config.h"
#include "vc_json.h"
#include "vc_parse.h"

#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"

extern module AP_MODULE_DECLARE_DATA visitcount_module;
APLOG_USE_MODULE(visitcount);

#define VC_BODY_MAX 1024           /* bytes a POST or PUT body may have */
#define VC_LIST_DEFAULT 100
#define VC_LIST_MAX 1000
#define VC_RETRY_AFTER "30"        /* seconds, on 503 */
#define VC_LOG_INTERVAL 10         /* seconds between store error lines */

vc_child_t vc_child;

/* What a resource accepts: the Allow header, the methods a CORS preflight
 * may ask for, and the method bits for r->allowed. */
typedef struct {
    const char *allow;
    const char *cors_methods;
    apr_int64_t bits;
} vc_methods_t;

#define BIT(m) (AP_METHOD_BIT << (m))

static const vc_methods_t public_methods = {
    "GET, HEAD, POST, OPTIONS", "GET, HEAD, POST",
    BIT(M_GET) | BIT(M_POST) | BIT(M_OPTIONS)
};
static const vc_methods_t admin_item_methods = {
    "GET, HEAD, PUT, DELETE, OPTIONS", "GET, HEAD, PUT, DELETE",
    BIT(M_GET) | BIT(M_PUT) | BIT(M_DELETE) | BIT(M_OPTIONS)
};
static const vc_methods_t admin_list_methods = {
    "GET, HEAD, OPTIONS", "GET, HEAD",
    BIT(M_GET) | BIT(M_OPTIONS)
};

/* ---- replies ---------------------------------------------------------- */

static int send_json(request_rec *r, int status, vc_json_t *j,
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

static int error_reply(request_rec *r, int status, const char *message)
{
    vc_json_t j;

    vc_json_init(&j, r->pool, 64);
    vc_json_object_begin(&j);
    vc_json_key(&j, "error");
    vc_json_cstring(&j, message);
    vc_json_object_end(&j);
    return send_json(r, status, &j, "no-store");
}

static int method_not_allowed(request_rec *r, const vc_methods_t *m)
{
    r->allowed = m->bits;
    apr_table_setn(r->headers_out, "Allow", m->allow);
    return error_reply(r, HTTP_METHOD_NOT_ALLOWED,
                       apr_pstrcat(r->pool, "method not allowed; use ",
                                   m->allow, NULL));
}

/* Logs a store failure, at most once per VC_LOG_INTERVAL per process so a
 * full disk or a broken store cannot flood the error log. */
static void log_store_error(request_rec *r, apr_status_t status,
                            const char *op, const char *key)
{
    static apr_uint32_t next_sec, suppressed;
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(r->request_time);
    apr_uint32_t next = apr_atomic_read32(&next_sec);
    apr_uint32_t missed;
    char buf[120];

    if (now < next
        || apr_atomic_cas32(&next_sec, now + VC_LOG_INTERVAL, next) != next) {
        apr_atomic_inc32(&suppressed);
        return;
    }
    missed = apr_atomic_xchg32(&suppressed, 0);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "VC0202: store %s of key '%s' failed: %s"
                  " (%u more store errors in the last %d s not logged)",
                  op, key ? key : "", vc_store_strerror(status, buf, sizeof(buf)),
                  missed, VC_LOG_INTERVAL);
}

static int store_failure(request_rec *r, apr_status_t status,
                         const char *op, const char *key)
{
    if (status == VC_STORE_MAXED) {
        /* Not a store fault: only a count set near 2^64 gets here. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "VC0205: key '%s' is at its 64-bit maximum", key);
        return error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "count is at its 64-bit maximum");
    }
    log_store_error(r, status, op, key);
    if (status == VC_STORE_FULL) {
        return error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                           "counter store is full");
    }
    apr_table_setn(r->headers_out, "Retry-After", VC_RETRY_AFTER);
    return error_reply(r, HTTP_SERVICE_UNAVAILABLE,
                       "counter store unavailable");
}

static void put_counts(vc_json_t *j, const char *key, const vc_counts_t *c)
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

/* A read: the counts with a strong ETag, or 304 when the client has them. */
static int read_reply(request_rec *r, const char *key, const vc_counts_t *c,
                      const char *cache_control)
{
    vc_json_t j;
    apr_size_t len;
    const char *body, *etag, *inm;

    vc_json_init(&j, r->pool, 128);
    vc_json_object_begin(&j);
    put_counts(&j, key, c);
    vc_json_object_end(&j);
    if (!(body = vc_json_finish(&j, &len))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    etag = apr_psprintf(r->pool, "\"%016" APR_UINT64_T_HEX_FMT "\"",
                        fingerprint(body, len));
    apr_table_setn(r->headers_out, "ETag", etag);
    inm = apr_table_get(r->headers_in, "If-None-Match");
    if (inm && vc_etag_match(inm, etag)) {
        apr_table_setn(r->headers_out, "Cache-Control", cache_control);
        r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    return send_json(r, HTTP_OK, &j, cache_control);
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

static int options_reply(request_rec *r, const vc_methods_t *m, int cors_ok)
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
static int read_body(request_rec *r, char *buf, apr_size_t *len)
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

static int body_error(request_rec *r, int status)
{
    switch (status) {
    case HTTP_REQUEST_ENTITY_TOO_LARGE:
        return error_reply(r, status, "request body larger than 1 KiB");
    case HTTP_NOT_IMPLEMENTED:
        return error_reply(r, status, "unsupported transfer coding");
    default:
        return error_reply(r, status >= 400 && status < 500
                           ? status : HTTP_BAD_REQUEST,
                           "could not read the request body");
    }
}

/* ---- public API ------------------------------------------------------- */

/* The reply to a change (a hit or an admin set): the counts after it,
 * never cached.  A hit also says it was counted. */
static int change_reply(request_rec *r, const char *key, const vc_counts_t *c,
                        int is_hit)
{
    vc_json_t j;

    vc_json_init(&j, r->pool, 128);
    vc_json_object_begin(&j);
    put_counts(&j, key, c);
    if (is_hit) {
        vc_json_key(&j, "counted");
        vc_json_bool(&j, 1);
    }
    vc_json_object_end(&j);
    return send_json(r, HTTP_OK, &j, "no-store");
}

static int hit(request_rec *r, const char *key)
{
    vc_counts_t c;
    apr_status_t st;

    if ((st = vc_store_hit(vc_child.store, key, &c)) != APR_SUCCESS) {
        return store_failure(r, st, "hit", key);
    }
    return change_reply(r, key, &c, 1);
}

static int read_key(request_rec *r, const char *key, const char *cache)
{
    vc_counts_t c;
    apr_status_t st;

    if ((st = vc_store_get(vc_child.store, key, &c, NULL)) != APR_SUCCESS) {
        return store_failure(r, st, "read", key);
    }
    return read_reply(r, key, &c, cache);
}

/* Public queries carry no parameters yet; unknown ones (cache busters
 * such as ?_=123) are ignored, but a malformed query is refused. */
static int public_query_ok(request_rec *r)
{
    const char *q = r->args, *name, *value;
    int rc;

    while (q && (rc = vc_query_next(r->pool, &q, &name, &value)) != 0) {
        if (rc < 0) {
            return 0;
        }
    }
    return 1;
}

static int public_api(request_rec *r, const vc_dir_conf *dc, const char *path,
                      int cors_ok)
{
    char body[VC_BODY_MAX + 1];
    apr_size_t len;
    const char *key, *why;
    int rc;

    if (r->method_number == M_OPTIONS) {
        return options_reply(r, &public_methods, cors_ok);
    }
    if (r->method_number != M_GET && r->method_number != M_POST) {
        return method_not_allowed(r, &public_methods);
    }
    if (!path) {
        return error_reply(r, HTTP_BAD_REQUEST, "malformed URL path");
    }
    if ((why = vc_key_from_path(r->pool, path, vc_conf_default_key(dc), &key))) {
        return error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if (!public_query_ok(r)) {
        return error_reply(r, HTTP_BAD_REQUEST, "malformed query string");
    }
    if (r->method_number == M_POST) {
        if ((rc = read_body(r, body, &len)) != OK) {
            return body_error(r, rc);
        }
        /* A subrequest (an SSI include, say) reads; only clients count. */
        return r->main ? read_key(r, key, "no-store") : hit(r, key);
    }
    if (dc->increment_on_get == 1 && !r->header_only && !r->main) {
        return hit(r, key);
    }
    return read_key(r, key, "no-cache");
}

/* ---- admin API -------------------------------------------------------- */

static int prefix_ok(const char *s)
{
    apr_size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-/");
    return n <= VC_KEY_MAX && s[n] == '\0';
}

static int admin_list(request_rec *r)
{
    const char *q = r->args, *name, *value;
    const char *prefix = NULL, *after = NULL, *limit_arg = NULL;
    apr_uint64_t limit = VC_LIST_DEFAULT;
    apr_array_header_t *entries;
    apr_status_t st;
    vc_json_t j;
    int rc, more, i;

    while (q && (rc = vc_query_next(r->pool, &q, &name, &value)) != 0) {
        const char **slot = NULL;
        if (rc < 0) {
            return error_reply(r, HTTP_BAD_REQUEST, "malformed query string");
        }
        if (!strcmp(name, "prefix")) slot = &prefix;
        else if (!strcmp(name, "after")) slot = &after;
        else if (!strcmp(name, "limit")) slot = &limit_arg;
        if (!slot) {
            return error_reply(r, HTTP_BAD_REQUEST,
                               "unknown query parameter; use prefix, after, limit");
        }
        if (*slot) {
            return error_reply(r, HTTP_BAD_REQUEST, "repeated query parameter");
        }
        *slot = value;
    }
    if (prefix && !prefix_ok(prefix)) {
        return error_reply(r, HTTP_BAD_REQUEST, "prefix is not part of a key");
    }
    if (after && *after && vc_key_check(after, strlen(after))) {
        return error_reply(r, HTTP_BAD_REQUEST, "after is not a key");
    }
    if (limit_arg && vc_parse_uint(limit_arg, 1, VC_LIST_MAX, &limit) != 0) {
        return error_reply(r, HTTP_BAD_REQUEST,
                           "limit must be an integer from 1 to 1000");
    }
    st = vc_store_list(vc_child.store, prefix ? prefix : "",
                       after ? after : "", (unsigned int)limit, &entries,
                       &more, r->pool);
    if (st != APR_SUCCESS) {
        return store_failure(r, st, "list", prefix);
    }
    vc_json_init(&j, r->pool, 64 + (apr_size_t)entries->nelts * 64);
    vc_json_object_begin(&j);
    vc_json_key(&j, "keys");
    vc_json_array_begin(&j);
    for (i = 0; i < entries->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(entries, i, vc_entry_t);
        vc_json_object_begin(&j);
        put_counts(&j, e->key, &e->counts);
        vc_json_object_end(&j);
    }
    vc_json_array_end(&j);
    vc_json_key(&j, "next");
    if (more) {
        vc_json_cstring(&j, APR_ARRAY_IDX(entries, entries->nelts - 1,
                                          vc_entry_t).key);
    }
    else {
        vc_json_null(&j);
    }
    vc_json_object_end(&j);
    return send_json(r, HTTP_OK, &j, "no-store");
}

static int admin_set(request_rec *r, const char *key)
{
    char body[VC_BODY_MAX + 1];
    apr_size_t len;
    vc_json_field_t f[2] = { { "count", 1, 0, 0 }, { "unique", 0, 0, 0 } };
    vc_counts_t c;
    const char *why;
    apr_status_t st;
    int rc;

    if ((rc = read_body(r, body, &len)) != OK) {
        return body_error(r, rc);
    }
    if ((why = vc_json_read_uints(body, len, f, 2)) != NULL) {
        return error_reply(r, HTTP_BAD_REQUEST,
                           apr_pstrcat(r->pool, why, "; expected "
                                       "{\"count\":N,\"unique\":U}", NULL));
    }
    c.count = f[0].value;
    c.unique = f[1].value;
    if ((st = vc_store_set(vc_child.store, key, &c)) != APR_SUCCESS) {
        return store_failure(r, st, "set", key);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "VC0203: key '%s' set to count %" APR_UINT64_T_FMT
                  ", unique %" APR_UINT64_T_FMT, key, c.count, c.unique);
    return change_reply(r, key, &c, 0);
}

static int admin_delete(request_rec *r, const char *key)
{
    apr_status_t st;
    vc_json_t j;
    int existed;

    if ((st = vc_store_delete(vc_child.store, key, &existed)) != APR_SUCCESS) {
        return store_failure(r, st, "delete", key);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "VC0204: key '%s' %s", key,
                  existed ? "deleted" : "not deleted: it did not exist");
    vc_json_init(&j, r->pool, 64);
    vc_json_object_begin(&j);
    vc_json_key(&j, "key");
    vc_json_cstring(&j, key);
    vc_json_key(&j, "deleted");
    vc_json_bool(&j, existed);
    vc_json_object_end(&j);
    return send_json(r, HTTP_OK, &j, "no-store");
}

static int admin_api(request_rec *r, const char *path, int cors_ok)
{
    int collection = path && (path[0] == '\0' || path[0] == '?'
                              || (path[0] == '/' && (path[1] == '\0'
                                                     || path[1] == '?')));
    const vc_methods_t *m = collection ? &admin_list_methods
                                       : &admin_item_methods;
    const char *key, *why;

    if (r->method_number == M_OPTIONS) {
        return options_reply(r, m, cors_ok);
    }
    if (!(m->bits & BIT(r->method_number))) {
        return method_not_allowed(r, m);
    }
    if (!path) {
        return error_reply(r, HTTP_BAD_REQUEST, "malformed URL path");
    }
    if (collection) {
        return admin_list(r);
    }
    if ((why = vc_key_from_path(r->pool, path, "", &key))) {
        return error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if (r->args && *r->args) {
        return error_reply(r, HTTP_BAD_REQUEST,
                           "no query parameters are taken here");
    }
    switch (r->method_number) {
    case M_PUT:
        return admin_set(r, key);
    case M_DELETE:
        return admin_delete(r, key);
    default:
        return read_key(r, key, "private, no-cache");
    }
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
        return store_failure(r, vc_child.status, "open", NULL);
    }
    return admin ? admin_api(r, path, cors_ok)
                 : public_api(r, dc, path, cors_ok);
}
