/* The CountAPI-compatible routes (`SetHandler visitcount-countapi`), as
 * pure parsing: which route a request path names and the counter key it
 * carries, and whether a JSONP callback name is safe to echo.  Depends on
 * APR and vc_parse only, so the unit tests drive it alone.
 */
#ifndef VC_COUNTAPI_ROUTE_H
#define VC_COUNTAPI_ROUTE_H

#include "apr_pools.h"

/* The namespace of a key given without one, as CountAPI had it. */
#define VC_COUNTAPI_DEFAULT_NS "default"

/* The longest JSONP callback name accepted, dots included. */
#define VC_CALLBACK_MAX 128

typedef enum {
    VC_CAPI_HIT = 0,            /* /hit/NAMESPACE/KEY: count, then the value */
    VC_CAPI_GET = 1,            /* /get/NAMESPACE/KEY: the value */
    VC_CAPI_NO_ROUTE = 2,       /* anything else: 404 */
    VC_CAPI_BAD_KEY = 3         /* a route with a bad key: 400 */
} vc_capi_route_e;

/* Parses raw, the still percent-encoded path below the handler's mount
 * (it may be empty or start with '/'; it ends at '?', '#' or the end).
 * "/hit/NS/KEY" and "/get/NS/KEY" give the key "NS/KEY"; "/hit/KEY" gives
 * "default/KEY"; one trailing '/' is allowed.  The key obeys the API's
 * key rules (vc_key_check) and has exactly one '/'.  On VC_CAPI_HIT or
 * VC_CAPI_GET *key is set; on VC_CAPI_BAD_KEY *why says what is wrong. */
vc_capi_route_e vc_countapi_route(apr_pool_t *p, const char *raw,
                                  const char **key, const char **why);

/* Checks a JSONP callback name: one or more identifiers of 1 to 64
 * characters of [A-Za-z0-9_$] (not starting with a digit), joined by
 * '.', at most VC_CALLBACK_MAX bytes in all, none of them a reserved
 * word of JavaScript.  Returns NULL when it may be echoed, else why not. */
const char *vc_callback_check(const char *name);

#endif
