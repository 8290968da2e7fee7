/* How every handler of mod_visitcount answers: JSON bodies and errors,
 * 405 with Allow, OPTIONS and CORS, the caching headers of reads and
 * changes, store failures turned into 503 or 507, and the bounded read of
 * a request body.  The handlers (vc_api.c, vc_admin.c) build on this and
 * on nothing of each other's.
 */
#ifndef VC_REPLY_H
#define VC_REPLY_H

#include "httpd.h"

#include "vc_config.h"
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

/* Each of these sends a whole reply and returns the handler's status. */

/* j as the body with the given status and Cache-Control. */
int vc_send_json(request_rec *r, int status, vc_json_t *j,
                 const char *cache_control);
/* {"error": message}, never cached. */
int vc_error_reply(request_rec *r, int status, const char *message);
/* 405 with Allow. */
int vc_method_not_allowed(request_rec *r, const vc_methods_t *m);
/* 204 to OPTIONS, with the preflight headers when the origin is allowed. */
int vc_options_reply(request_rec *r, const vc_methods_t *m, int cors_ok);
/* 507 or 503 (with Retry-After) for a store status, logged (rate-
 * limited).  op and key say what failed; key may be NULL. */
int vc_store_failure_reply(request_rec *r, apr_status_t status,
                           const char *op, const char *key);
/* A read of key with its ETag (or 304); with ndays > 0 the daily series
 * of the ndays days ending today. */
int vc_read_reply(request_rec *r, const char *key, const char *cache,
                  unsigned int ndays);
/* The counts after a change, never cached.  A hit (outcome not NULL)
 * also says whether it counted, and if not, why; one over the flood limit
 * with a retry_after answers 429 with Retry-After. */
int vc_change_reply(request_rec *r, const char *key, const vc_counts_t *c,
                    const vc_outcome_t *outcome);
/* A strong ETag naming exactly these body bytes. */
const char *vc_etag_of(apr_pool_t *p, const char *body, apr_size_t len);
/* The reply to a body vc_read_body() refused with status. */
int vc_body_error(request_rec *r, int status);

/* The "key", "count" and "unique" members. */
void vc_put_counts(vc_json_t *j, const char *key, const vc_counts_t *c);

/* How every handler starts: NULL when r is not for the handler named
 * handler; otherwise the settings of r's scope, with the CORS headers that
 * every reply there carries (errors too) already set, and *cors_ok saying
 * whether the request's origin may call us from a browser. */
const vc_dir_conf *vc_reply_start(request_rec *r, const char *handler,
                                  int *cors_ok);

/* Reads a body of at most VC_BODY_MAX bytes into buf (VC_BODY_MAX + 1
 * bytes), before any store call: OK or an HTTP status for
 * vc_body_error(). */
int vc_read_body(request_rec *r, char *buf, apr_size_t *len);

#endif
