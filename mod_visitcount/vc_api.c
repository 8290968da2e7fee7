/* The public API (`SetHandler visitcount`): a hit is a POST (or, where
 * VisitCountIncrementOnGet allows it, a GET), a read is a GET or HEAD.  A
 * request is checked (method, key, query, body) before the store is
 * touched, served in one store call, and answered through vc_reply.c.
 */
#include "vc_api.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_reply.h"
#include "vc_visitor.h"

#include "http_main.h"
#include "http_protocol.h"
#include "apr_strings.h"

#define BIT(m) VC_METHOD_BIT(m)

static const vc_methods_t public_methods = {
    "GET, HEAD, POST, OPTIONS", "GET, HEAD, POST",
    BIT(M_GET) | BIT(M_POST) | BIT(M_OPTIONS)
};

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

    if ((st = vc_count_hit(r, dc, key, token, 0, &out)) != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "hit", key);
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
        return r->main ? vc_read_reply(r, key, "no-store", ndays)
                       : hit(r, dc, key, token);
    }
    if (dc->increment_on_get == 1 && !r->header_only && !r->main) {
        return hit(r, dc, key, NULL);
    }
    return vc_read_reply(r, key, "no-cache", ndays);
}

int vc_api_handler(request_rec *r)
{
    const vc_dir_conf *dc;
    int cors_ok;

    if (!(dc = vc_reply_start(r, "visitcount", &cors_ok))) {
        return DECLINED;
    }
    return public_api(r, dc, vc_config_path_below_mount(r), cors_ok);
}
