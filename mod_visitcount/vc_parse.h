/* Pure parsing for mod_visitcount: counter keys taken from the raw request
 * path, query strings, sizes with K/M/G/T suffixes, CORS origins and
 * If-None-Match lists.  Depends on APR only: these are the functions that
 * see hostile input first, so the unit tests and fuzzers drive them alone.
 */
#ifndef VC_PARSE_H
#define VC_PARSE_H

#include "apr_pools.h"

#define VC_KEY_MAX 128

/* Checks a decoded key: 1..VC_KEY_MAX bytes of [A-Za-z0-9._~/-], no empty,
 * "." or ".." segments, no leading or trailing '/'.  Returns NULL when
 * valid, else why not. */
const char *vc_key_check(const char *key, apr_size_t len);

/* Turns the raw (still percent-encoded) path below the handler's mount
 * point into a key.  raw may start with one '/'; it ends where the path
 * ends (a '?' or the end of the string).  An empty path gives default_key.
 * Percent-encoded '/' and NUL are refused, so one key has one spelling.
 * Returns NULL and sets *key, or returns why the path is not a key. */
const char *vc_key_from_path(apr_pool_t *p, const char *raw,
                             const char *default_key, const char **key);

/* Percent-decodes n bytes of s into a new string.  With form set, '+'
 * means a space (query strings).  Returns NULL on a bad escape or an
 * encoded NUL. */
char *vc_unescape(apr_pool_t *p, const char *s, apr_size_t n, int form,
                  apr_size_t *outlen);

/* Walks a query string one name=value pair at a time.  *cursor starts at
 * the query (without '?').  Returns 1 with the decoded pair, 0 at the end,
 * -1 when a pair is malformed.  A pair without '=' has the value "". */
int vc_query_next(apr_pool_t *p, const char **cursor,
                  const char **name, const char **value);

/* Parses a decimal integer with nothing else in the string, into
 * [min, max].  Returns 0 on success, -1 otherwise. */
int vc_parse_uint(const char *s, apr_uint64_t min, apr_uint64_t max,
                  apr_uint64_t *out);

/* Parses "64M", "1G", "65536", "512k": bytes with an optional K, M, G or T
 * (binary multiples).  Returns 0 on success, -1 otherwise. */
int vc_parse_size(const char *s, apr_uint64_t *out);

/* Parses a duration: a whole number with an optional unit, s (seconds,
 * the default), m (minutes), h (hours) or d (days), as "30m" or "90s".
 * Returns 0 and the seconds, or -1 when malformed or above max_seconds. */
int vc_parse_duration(const char *s, apr_uint64_t max_seconds,
                      apr_uint64_t *seconds);

/* Checks that s is a serialised origin as browsers send it:
 * scheme "://" host [":" port], lower-case scheme, no path, no userinfo,
 * no whitespace or control bytes.  Returns NULL when valid, else why not. */
const char *vc_origin_check(const char *s);

/* True when the If-None-Match header value matches etag (a quoted strong
 * tag such as "\"abc\""), using the weak comparison RFC 9110 prescribes
 * for If-None-Match; "*" matches any current representation. */
int vc_etag_match(const char *if_none_match, const char *etag);

#endif
