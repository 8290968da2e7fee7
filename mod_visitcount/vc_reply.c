/* Replies, built the same way for every handler: each body is JSON with
 * its content type and nosniff, each error says what went wrong, each
 * store failure maps to 507 (no room) or 503 with Retry-After (try again)
 * and is logged without flooding, reads carry a strong ETag and honour
 * If-None-Match, changes are never cached, and CORS headers are on every
 * reply of a scope that allows an origin, errors included.
 */
#include "vc_reply.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_visitor.h"

#include "http_core.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <errno.h>

#define VC_RETRY_AFTER "30"        /* seconds, on 503 */

/* ---- JSON replies ------------------------------------------------------- */

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

int vc_store_failure_reply(request_rec *r, apr_status_t status,
                           const char *op, const char *key)
{
    if (status == VC_STORE_CLOSED && vc_child.status != APR_SUCCESS) {
        status = vc_child.status;       /* why this process has no store */
        op = "open";
    }
    if (status == VC_STORE_MAXED) {
        /* Not a store fault: only a count set near 2^64 gets here. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "VC0205: key '%s' is at its 64-bit maximum", key);
        return vc_error_reply(r, HTTP_INSUFFICIENT_STORAGE,
                              "count is at its 64-bit maximum");
    }
    vc_log_store_error(r, status, op, key);
    if (status == VC_STORE_FULL || status == VC_STORE_NOMEM) {
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

const char *vc_etag_of(apr_pool_t *p, const char *body, apr_size_t len)
{
    return apr_psprintf(p, "\"%016" APR_UINT64_T_HEX_FMT "\"",
                        fingerprint(body, len));
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

int vc_read_reply(request_rec *r, const char *key, const char *cache_control,
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
    st = ndays ? vc_store_history(vc_child.store, key, &c, today, ndays,
                                  daily, r->pool)
               : vc_store_get(vc_child.store, key, &c, NULL);
    if (st != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "read", key);
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
    etag = vc_etag_of(r->pool, body, len);
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

/* The CORS headers of dc's scope; whether the request's origin may call
 * us from a browser. */
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

const vc_dir_conf *vc_reply_start(request_rec *r, const char *handler,
                                  int *cors_ok)
{
    const vc_dir_conf *dc;

    if (!r->handler || strcmp(r->handler, handler)) {
        return NULL;
    }
    dc = ap_get_module_config(r->per_dir_config, &visitcount_module);
    *cors_ok = set_cors(r, dc);
    return dc;
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

/* ---- request bodies ------------------------------------------------------ */

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
    if (outcome && outcome->retry_after) {
        /* Over VisitCountRateLimit, under VisitCountRateLimitStatus 429. */
        apr_table_setn(r->headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%u", outcome->retry_after));
        return vc_send_json(r, HTTP_TOO_MANY_REQUESTS, &j, "no-store");
    }
    return vc_send_json(r, HTTP_OK, &j, "no-store");
}

