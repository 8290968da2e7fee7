/* The admin API (`SetHandler visitcount-admin`): list keys, read, set and
 * delete them.  Only reachable where the administrator mapped the handler,
 * behind whatever httpd authorization guards it there.
 */
#include "vc_admin.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_reply.h"

#include "http_protocol.h"
#include "apr_strings.h"

#define VC_LIST_DEFAULT 100
#define VC_LIST_MAX 1000

static const vc_methods_t admin_item_methods = {
    "GET, HEAD, PUT, DELETE, OPTIONS", "GET, HEAD, PUT, DELETE",
    VC_METHOD_BIT(M_GET) | VC_METHOD_BIT(M_PUT) | VC_METHOD_BIT(M_DELETE)
    | VC_METHOD_BIT(M_OPTIONS)
};
static const vc_methods_t admin_list_methods = {
    "GET, HEAD, OPTIONS", "GET, HEAD",
    VC_METHOD_BIT(M_GET) | VC_METHOD_BIT(M_OPTIONS)
};

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
            return vc_error_reply(r, HTTP_BAD_REQUEST, "malformed query string");
        }
        if (!strcmp(name, "prefix")) slot = &prefix;
        else if (!strcmp(name, "after")) slot = &after;
        else if (!strcmp(name, "limit")) slot = &limit_arg;
        if (!slot) {
            return vc_error_reply(r, HTTP_BAD_REQUEST, "unknown query "
                                  "parameter; use prefix, after, limit");
        }
        if (*slot) {
            return vc_error_reply(r, HTTP_BAD_REQUEST, "repeated query parameter");
        }
        *slot = value;
    }
    if (prefix && !prefix_ok(prefix)) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, "prefix is not part of a key");
    }
    if (after && *after && vc_key_check(after, strlen(after))) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, "after is not a key");
    }
    if (limit_arg && vc_parse_uint(limit_arg, 1, VC_LIST_MAX, &limit) != 0) {
        return vc_error_reply(r, HTTP_BAD_REQUEST,
                              "limit must be an integer from 1 to 1000");
    }
    st = vc_store_list(vc_child.store, prefix ? prefix : "",
                       after ? after : "", (unsigned int)limit, &entries,
                       &more, r->pool);
    if (st != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "list", prefix);
    }
    vc_json_init(&j, r->pool, 64 + (apr_size_t)entries->nelts * 64);
    vc_json_object_begin(&j);
    vc_json_key(&j, "keys");
    vc_json_array_begin(&j);
    for (i = 0; i < entries->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(entries, i, vc_entry_t);
        vc_json_object_begin(&j);
        vc_put_counts(&j, e->key, &e->counts);
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
    return vc_send_json(r, HTTP_OK, &j, "no-store");
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

    if ((rc = vc_read_body(r, body, &len)) != OK) {
        return vc_body_error(r, rc);
    }
    if ((why = vc_json_read_uints(body, len, f, 2)) != NULL) {
        return vc_error_reply(r, HTTP_BAD_REQUEST,
                              apr_pstrcat(r->pool, why, "; expected "
                                          "{\"count\":N,\"unique\":U}", NULL));
    }
    c.count = f[0].value;
    c.unique = f[1].value;
    if (c.unique > c.count) {
        /* Every visitor counted as unique is also a visit: a record with
         * more would not survive an export and import. */
        return vc_error_reply(r, HTTP_BAD_REQUEST,
                              "unique may not exceed count");
    }
    if ((st = vc_store_set(vc_child.store, key, &c)) != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "set", key);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "VC0203: key '%s' set to count %" APR_UINT64_T_FMT
                  ", unique %" APR_UINT64_T_FMT, key, c.count, c.unique);
    return vc_change_reply(r, key, &c, NULL);
}

static int admin_delete(request_rec *r, const char *key)
{
    apr_status_t st;
    vc_json_t j;
    int existed;

    if ((st = vc_store_delete(vc_child.store, key, &existed)) != APR_SUCCESS) {
        return vc_store_failure_reply(r, st, "delete", key);
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
    return vc_send_json(r, HTTP_OK, &j, "no-store");
}

/* Routes a request below the admin mount (path as from the raw URL, NULL
 * when malformed) to the collection or to one key. */
static int admin_api(request_rec *r, const char *path, int cors_ok)
{
    int collection = path && (path[0] == '\0' || path[0] == '?'
                              || (path[0] == '/' && (path[1] == '\0'
                                                     || path[1] == '?')));
    const vc_methods_t *m = collection ? &admin_list_methods
                                       : &admin_item_methods;
    const char *key, *why;

    if (r->method_number == M_OPTIONS) {
        return vc_options_reply(r, m, cors_ok);
    }
    if (!(m->bits & VC_METHOD_BIT(r->method_number))) {
        return vc_method_not_allowed(r, m);
    }
    if (!path) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, "malformed URL path");
    }
    if (collection) {
        return admin_list(r);
    }
    if ((why = vc_key_from_path(r->pool, path, "", &key))) {
        return vc_error_reply(r, HTTP_BAD_REQUEST, why);
    }
    if (r->args && *r->args) {
        return vc_error_reply(r, HTTP_BAD_REQUEST,
                              "no query parameters are taken here");
    }
    switch (r->method_number) {
    case M_PUT:
        return admin_set(r, key);
    case M_DELETE:
        return admin_delete(r, key);
    default:
        return vc_read_reply(r, key, "private, no-cache", 0);
    }
}

int vc_admin_handler(request_rec *r)
{
    const vc_dir_conf *dc;
    int cors_ok;

    if (!(dc = vc_reply_start(r, "visitcount-admin", &cors_ok))) {
        return DECLINED;
    }
    return admin_api(r, vc_config_path_below_mount(r), cors_ok);
}
