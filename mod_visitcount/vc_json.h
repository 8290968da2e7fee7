/* JSON for mod_visitcount: a small writer for every reply the module sends,
 * and two strict readers: admin PUT's flat object of unsigned integers,
 * and the one string member a hit's body may carry.  Depends on APR
 * only, so the unit tests link it alone.
 */
#ifndef VC_JSON_H
#define VC_JSON_H

#include "apr_pools.h"
#include "apr_strings.h"

/* Deep enough for every reply we build; deeper nesting is a bug in the
 * caller, caught by vc_json_finish(). */
#define VC_JSON_MAX_DEPTH 8

typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len;
    apr_size_t cap;
    int depth;
    int broken;                      /* misuse seen: finish() reports it */
    unsigned char need_comma[VC_JSON_MAX_DEPTH + 1];
    unsigned char after_key;         /* a member name was just written */
} vc_json_t;

void vc_json_init(vc_json_t *j, apr_pool_t *pool, apr_size_t initial);

void vc_json_object_begin(vc_json_t *j);
void vc_json_object_end(vc_json_t *j);
void vc_json_array_begin(vc_json_t *j);
void vc_json_array_end(vc_json_t *j);

/* A member name inside an object; the next value written belongs to it. */
void vc_json_key(vc_json_t *j, const char *name);

/* Values.  Strings are escaped so the output is valid JSON whatever the
 * input bytes: invalid UTF-8 becomes U+FFFD, and <, >, &, U+2028 and
 * U+2029 are escaped so a reply pasted into HTML or eval()ed stays inert. */
void vc_json_string(vc_json_t *j, const char *s, apr_size_t len);
void vc_json_cstring(vc_json_t *j, const char *s);
void vc_json_uint64(vc_json_t *j, apr_uint64_t v);
void vc_json_bool(vc_json_t *j, int v);
void vc_json_null(vc_json_t *j);

/* The finished text (NUL-terminated) or NULL when the calls did not form
 * one complete value. */
const char *vc_json_finish(vc_json_t *j, apr_size_t *len);

/* One member the reader accepts: an unsigned 64-bit integer. */
typedef struct {
    const char *name;
    int required;
    apr_uint64_t value;   /* out */
    int seen;             /* out */
} vc_json_field_t;

/* Parses text as exactly one JSON object whose members are all named in
 * fields and whose values are non-negative integers that fit in 64 bits.
 * Returns NULL on success, else a short message fit to show a client. */
const char *vc_json_read_uints(const char *text, apr_size_t len,
                               vc_json_field_t *fields, int nfields);

/* Nesting the reader follows inside values it skips. */
#define VC_JSON_MAX_NEST 32

/* Parses text as exactly one JSON object and, when it has a member called
 * name, copies that member's string value into out (outsize bytes, NUL-
 * terminated) and sets *found.  Other members may hold any JSON value,
 * nested at most VC_JSON_MAX_NEST deep, and are skipped.  The value must
 * be a string of ASCII characters (escapes allowed, NUL not) that fits in
 * out; what it may hold beyond that is the caller's to check.
 * Returns NULL on success, else a short message fit to show a client. */
const char *vc_json_read_string_member(const char *text, apr_size_t len,
                                       const char *name, char *out,
                                       apr_size_t outsize, int *found);

#endif
