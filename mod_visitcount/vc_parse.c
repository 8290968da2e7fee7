/* Parsing of untrusted text: keys, query strings, sizes, origins and entity
 * tags.  Every function here is total over its input (any bytes, any
 * length) and allocates only from the pool it is given.
 */
#include "vc_parse.h"

#include "apr_strings.h"
#include "apr_lib.h"

#include <string.h>

static int key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '~' || c == '-' || c == '/';
}

const char *vc_key_check(const char *key, apr_size_t len)
{
    apr_size_t i, seg = 0;

    if (len == 0) {
        return "key is empty";
    }
    if (len > VC_KEY_MAX) {
        return "key is longer than 128 bytes";
    }
    for (i = 0; i < len; i++) {
        if (!key_char((unsigned char)key[i])) {
            return "key may only contain A-Z a-z 0-9 . _ ~ - /";
        }
    }
    /* Check each segment between slashes, including the first and last. */
    for (i = 0; i <= len; i++) {
        if (i == len || key[i] == '/') {
            apr_size_t n = i - seg;
            if (n == 0) {
                return "key has an empty path segment";
            }
            if ((n == 1 && key[seg] == '.')
                || (n == 2 && key[seg] == '.' && key[seg + 1] == '.')) {
                return "key has a '.' or '..' segment";
            }
            seg = i + 1;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *vc_unescape(apr_pool_t *p, const char *s, apr_size_t n, int form,
                  apr_size_t *outlen)
{
    char *out = apr_palloc(p, n + 1);
    apr_size_t i, o = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) {
                return NULL;                  /* '%' needs two hex digits */
            }
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        else if (c == '\0') {
            return NULL;
        }
        else if (form && c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (outlen) {
        *outlen = o;
    }
    return out;
}

const char *vc_key_from_path(apr_pool_t *p, const char *raw,
                             const char *default_key, const char **key)
{
    apr_size_t n, i, len;
    char *decoded;
    const char *why;

    if (*raw == '/') {
        raw++;
    }
    n = strcspn(raw, "?#");
    if (n == 0) {
        *key = default_key;
        return NULL;
    }
    if (n > 3 * VC_KEY_MAX) {
        return "key is longer than 128 bytes";
    }
    /* An encoded '/' would give one key two spellings; refuse it before
     * decoding makes it indistinguishable from a real separator. */
    for (i = 0; i + 2 < n; i++) {
        if (raw[i] == '%' && raw[i + 1] == '2'
            && (raw[i + 2] == 'f' || raw[i + 2] == 'F')) {
            return "key contains an encoded '/'";
        }
    }
    decoded = vc_unescape(p, raw, n, 0, &len);
    if (decoded == NULL) {
        return "key contains a bad or NUL percent-escape";
    }
    if ((why = vc_key_check(decoded, len)) != NULL) {
        return why;
    }
    *key = decoded;
    return NULL;
}

int vc_query_next(apr_pool_t *p, const char **cursor,
                  const char **name, const char **value)
{
    const char *s = *cursor;
    apr_size_t pair, eq;

    while (*s == '&') {
        s++;
    }
    if (*s == '\0' || *s == '#') {
        *cursor = s;
        return 0;
    }
    pair = strcspn(s, "&#");
    eq = strcspn(s, "=&#");
    *cursor = s + pair;
    if (eq == 0) {
        return -1;
    }
    *name = vc_unescape(p, s, eq, 1, NULL);
    if (eq < pair) {
        *value = vc_unescape(p, s + eq + 1, pair - eq - 1, 1, NULL);
    }
    else {
        *value = "";
    }
    return (*name && *value) ? 1 : -1;
}

int vc_parse_uint(const char *s, apr_uint64_t min, apr_uint64_t max,
                  apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    const char *start = s;

    if (*s == '\0') {
        return -1;
    }
    for (; *s; s++) {
        unsigned d;
        if (*s < '0' || *s > '9' || s - start >= 20) {
            return -1;
        }
        d = (unsigned)(*s - '0');
        if (v > (APR_UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    if (v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int vc_parse_size(const char *s, apr_uint64_t *out)
{
    apr_size_t n = strlen(s);
    unsigned shift = 0;
    char digits[24];
    apr_uint64_t v;

    if (n == 0 || n >= sizeof(digits)) {
        return -1;
    }
    switch (s[n - 1]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    }
    if (shift) {
        n--;
    }
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (vc_parse_uint(digits, 0, APR_UINT64_MAX >> shift, &v) != 0) {
        return -1;
    }
    *out = v << shift;
    return 0;
}

int vc_parse_duration(const char *s, apr_uint64_t max_seconds,
                      apr_uint64_t *seconds)
{
    apr_size_t n = strlen(s);
    apr_uint64_t unit = 1, v;
    char digits[24];

    if (n == 0 || n >= sizeof(digits)) {
        return -1;
    }
    switch (s[n - 1]) {
    case 's': case 'S': unit = 1; n--; break;
    case 'm': case 'M': unit = 60; n--; break;
    case 'h': case 'H': unit = 3600; n--; break;
    case 'd': case 'D': unit = 86400; n--; break;
    }
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (vc_parse_uint(digits, 0, max_seconds / unit, &v) != 0) {
        return -1;
    }
    *seconds = v * unit;
    return 0;
}

const char *vc_origin_check(const char *s)
{
    const char *p = s, *host;

    if (!apr_islower(*p)) {
        return "an origin starts with a lower-case scheme, as https://example.com";
    }
    while (apr_islower(*p) || apr_isdigit(*p) || *p == '+' || *p == '-' || *p == '.') {
        p++;
    }
    if (strncmp(p, "://", 3) != 0) {
        return "an origin is scheme://host[:port], as https://example.com";
    }
    p += 3;
    host = p;
    if (*p == '[') {
        while (*p && *p != ']') {
            if (!apr_isxdigit(*p) && *p != ':' && *p != '.' && *p != '[') {
                return "bad IPv6 literal in origin";
            }
            p++;
        }
        if (*p++ != ']') {
            return "bad IPv6 literal in origin";
        }
    }
    else {
        while (apr_isalnum(*p) || *p == '-' || *p == '.' || *p == '_') {
            p++;
        }
    }
    if (p == host) {
        return "origin has no host";
    }
    if (*p == ':') {
        const char *port = ++p;
        while (apr_isdigit(*p)) {
            p++;
        }
        if (p == port || p - port > 5) {
            return "origin has a bad port";
        }
    }
    if (*p != '\0') {
        return "an origin has no path, query or trailing '/'";
    }
    return NULL;
}

/* Compares one entity tag from a list with ours, ignoring any W/ prefix on
 * the listed one (weak comparison). */
static int tag_equals(const char *tag, apr_size_t n, const char *etag)
{
    if (n >= 2 && tag[0] == 'W' && tag[1] == '/') {
        tag += 2;
        n -= 2;
    }
    return strlen(etag) == n && memcmp(tag, etag, n) == 0;
}

int vc_etag_match(const char *if_none_match, const char *etag)
{
    const char *p = if_none_match;

    for (;;) {
        const char *start;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '\0') {
            return 0;
        }
        start = p;
        if (*p == '*') {
            return 1;
        }
        if (p[0] == 'W' && p[1] == '/') {
            p += 2;
        }
        if (*p != '"') {
            return 0;                     /* malformed: no match, full reply */
        }
        p++;
        while (*p && *p != '"') {
            p++;
        }
        if (*p != '"') {
            return 0;
        }
        p++;
        if (tag_equals(start, (apr_size_t)(p - start), etag)) {
            return 1;
        }
    }
}
