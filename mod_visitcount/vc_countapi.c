/* The CountAPI-compatible routes, `SetHandler visitcount-countapi`, for
 * the snippets still pointing at the countapi.xyz service that shut down:
 * GET /hit/NAMESPACE/KEY counts through the same filters as the public
 * API and GET /get/NAMESPACE/KEY reads, both answering {"value":N} on the
 * counter NAMESPACE/KEY, which the public API reads too.  Every answer
 * allows any origin, since such snippets run on any site; with a safe
 * ?callback= it is JSONP.  Nothing here writes a count except a hit:
 * CountAPI's create, set and update have no counterpart.
 */
#include "vc_countapi.h"
#include "vc_countapi_route.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_reply.h"

#include "http_protocol.h"
#include "apr_strings.h"

#define BIT(m) VC_METHOD_BIT(m)

static const vc_methods_t countapi_methods = {
    "GET, HEAD, OPTIONS", "GET, HEAD", BIT(M_GET) | BIT(M_OPTIONS)
};

static const char no_route[] =
    "unknown route; this server offers GET /hit/NAMESPACE/KEY (count, then "
    "read) and GET /get/NAMESPACE/KEY (read); CountAPI's create, set, "
    "update and info are not offered";

/* {"value":N}, or {"value":null} when value is NULL; as callback(...);
 * when callback is not NULL. */
static const char *value_body(request_rec *r, const apr_uint64_t *value,
                              const char *callback, apr_size_t *len)
{
    const char *json;
    vc_json_t j;

    vc_json_init(&j, r->pool, 32);
    vc_json_object_begin(&j);
    vc_json_key(&j, "value");
    if (value) {
        vc_json_uint64(&j, *value);
    }
    else {
        vc_json_null(&j);
    }
    vc_json_object_end(&j);
    if (!(json = vc_json_finish(&j, len)) || !callback) {
        return json;
    }
    json = apr_pstrcat(r->pool, callback, "(", json, ");", NULL);
    *len = strlen(json);
    return json;
}

/* Sends a value (see value_body) with the given status and caching; a
 * tagged reply carries a strong ETag and honours If-None-Match. */
static int send_value(request_rec *r, int status, const apr_uint64_t *value,
                      const char *callback, const char *cache_control,
                      int tagged)
{
    apr_size_t len;
    const char *body = value_body(r, value, callback, &len), *etag, *inm;

    if (!body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "VC0201: internal error building a JSON reply");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", cache_control);
    if (tagged) {
        etag = vc_etag_of(r->pool, body, len);
        apr_table_setn(r->headers_out, "ETag", etag);
        inm = apr_table_get(r->headers_in, "If-None-Match");
        if (inm && vc_etag_match(inm, etag)) {
            r->status = HTTP_NOT_MODIFIED;
            return OK;
        }
    }
    r->status = status;
    ap_set_content_type(r, callback ? "application/javascript"
                                    : "application/json");
    ap_set_content_length(r, len + 1);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
        ap_rputc('\n', r);
    }
    return OK;
}

/* The value of key.  A key never counted is 404 {"value":null}, as
 * CountAPI answered; as JSONP it is 200, since a browser runs a script
 * only from a successful reply. */
static int read_value(request_rec *r, const char *key, const char *callback,
                      const char *cache_control, int tagged)
{
    vc_counts_t c;
    apr_status_t st;
    int found = 0;

    if ((st = vc_store_get(vc_child.store, key, &c, &found)) != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "read", key);
    }
    if (!found) {
        return send_value(r, callback ? HTTP_OK : HTTP_NOT_FOUND, NULL,
                          callback, cache_control, 0);
    }
    return send_value(r, HTTP_OK, &c.count, callback, cache_control, tagged);
}

/* A hit, through every filter of the public API; the value after it
 * whether it counted or not. */
static int hit(request_rec *r, const vc_dir_conf *dc, const char *key,
               const char *callback)
{
    vc_outcome_t out;
    apr_status_t st;

    if ((st = vc_count_hit(r, dc, key, NULL, 0, &out)) != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "hit", key);
    }
    if (out.retry_after) {
        /* Over VisitCountRateLimit, under VisitCountRateLimitStatus 429. */
        apr_table_setn(r->headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%u", out.retry_after));
        return send_value(r, HTTP_TOO_MANY_REQUESTS, &out.counts.count,
                          callback, "no-store", 0);
    }
    return send_value(r, HTTP_OK, &out.counts.count, callback, "no-store", 0);
}

/* The query: callback=NAME asks for JSONP; other parameters (cache
 * busters) are ignored.  Returns NULL or why the query is refused. */
static const char *countapi_query(request_rec *r, const char **callback)
{
    const char *q = r->args, *name, *value, *why;
    int rc;

    *callback = NULL;
    while (q && (rc = vc_query_next(r->pool, &q, &name, &value)) != 0) {
        if (rc < 0) {
            return "malformed query string";
        }
        if (!strcmp(name, "callback")) {
            if (*callback) {
                return "repeated query parameter";
            }
            if ((why = vc_callback_check(value)) != NULL) {
                return why;
            }
            *callback = value;
        }
    }
    return NULL;
}

static int countapi(request_rec *r, const vc_dir_conf *dc, const char *path)
{
    const char *key, *why, *callback;
    vc_capi_route_e route;

    if (r->method_number == M_OPTIONS) {
        return vc_options_reply(r, &countapi_methods, 1);
    }
    if (r->method_number != M_GET) {
        return vc_method_not_allowed(r, &countapi_methods);
    }
    if (!path) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, "malformed URL path");
    }
    route = vc_countapi_route(r->pool, path, &key, &why);
    if (route == VC_CAPI_NO_ROUTE) {
        return vc_error_reply(r, HTTP_NOT_FOUND, no_route);
    }
    if (route == VC_CAPI_BAD_KEY) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if ((why = countapi_query(r, &callback)) != NULL) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if (route == VC_CAPI_GET) {
        return read_value(r, key, callback, "no-cache", 1);
    }
    /* HEAD never counts, nor does a subrequest (an SSI include, say). */
    if (r->header_only || r->main) {
        return read_value(r, key, callback, "no-store", 0);
    }
    return hit(r, dc, key, callback);
}

int vc_countapi_handler(request_rec *r)
{
    const vc_dir_conf *dc;

    if (!r->handler || strcmp(r->handler, "visitcount-countapi")) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &visitcount_module);
    /* The snippets run on any site: every answer, errors included (even
     * httpd's own), lets any origin read it. */
    apr_table_setn(r->err_headers_out, "Access-Control-Allow-Origin", "*");
    return countapi(r, dc, vc_config_path_below_mount(r));
}
