/* The HTTP face of mod_visitcount: the `visitcount` (public) handler in
 * vc_api.c, the `visitcount-admin` one in vc_admin.c, and the reply
 * helpers they share, so every reply is built the same way.
 */
#ifndef VC_API_H
#define VC_API_H

#include "httpd.h"

#include "vc_count.h"
#include "vc_json.h"

#define VC_BODY_MAX 1024            /* bytes a POST or PUT body may have */

/* What a resource accepts: the Allow header, the methods a CORS preflight
 * may ask for, and the method bits for r->allowed. */
typedef struct {
    const char *allow;
    const char *cors_methods;
    apr_int64_t bits;
} vc_methods_t;

#define VC_METHOD_BIT(m) (AP_METHOD_BIT << (m))

/* The handler hook for both handlers. */
int vc_api_handler(request_rec *r);

/* translate_name and map_to_storage hooks: the URLs below a <Location>
 * mapped to one of our handlers are not files, so they are given no file
 * name and the file-system walk is skipped for them. */
int vc_api_translate_name(request_rec *r);
int vc_api_map_to_storage(request_rec *r);

/* The admin API below its mount (path as from the raw URL, NULL when
 * malformed); cors_ok says whether the request's origin is allowed. */
int vc_admin_api(request_rec *r, const char *path, int cors_ok);

/* ---- replies shared by both handlers; each returns the handler's
 * status ------------------------------------------------------------- */

/* j as the body with the given status and Cache-Control. */
int vc_send_json(request_rec *r, int status, vc_json_t *j,
                 const char *cache_control);
/* {"error": message} */
int vc_error_reply(request_rec *r, int status, const char *message);
/* 405 with Allow. */
int vc_method_not_allowed(request_rec *r, const vc_methods_t *m);
/* 204 to OPTIONS, with the preflight headers when the origin is allowed. */
int vc_options_reply(request_rec *r, const vc_methods_t *m, int cors_ok);
/* 507 or 503 for a store status, logged (rate-limited). */
int vc_store_failure(request_rec *r, apr_status_t status, const char *op,
                     const char *key);
/* The "key", "count" and "unique" members. */
void vc_put_counts(vc_json_t *j, const char *key, const vc_counts_t *c);
/* A read of key with its ETag (or 304); with ndays > 0 the daily series
 * of the ndays days ending today. */
int vc_read_key(request_rec *r, const char *key, const char *cache,
                unsigned int ndays);
/* The counts after a change, never cached.  A hit (outcome not NULL)
 * also says whether it counted, and if not, why. */
int vc_change_reply(request_rec *r, const char *key, const vc_counts_t *c,
                    const vc_outcome_t *outcome);
/* Reads a body of at most VC_BODY_MAX bytes into buf (VC_BODY_MAX + 1
 * bytes), before any transaction starts: OK or an HTTP status for
 * vc_body_error(). */
int vc_read_body(request_rec *r, char *buf, apr_size_t *len);
int vc_body_error(request_rec *r, int status);

#endif
