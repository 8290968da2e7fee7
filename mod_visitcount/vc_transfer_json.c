/* A pull parser for JSON, for the import readers: the caller asks for the
 * members and values it expects, in turn, and skips the rest without
 * anything being built, so a large document costs no more memory than
 * its own text.  Strings are decoded into the reader's pool; numbers are
 * read only as whole numbers that fit in 64 bits.
 */
#include "vc_transfer_int.h"

#include <string.h>

/* ---- JSON ------------------------------------------------------------- */

void vc_tr_json_init(vc_tr_json_t *j, const char *s, apr_size_t len,
                     apr_pool_t *pool)
{
    j->p = j->start = s;
    j->end = s + len;
    j->err = NULL;
    j->pool = pool;
}

int vc_tr_json_fail(vc_tr_json_t *j, const char *err)
{
    if (!j->err) {
        j->err = err;
    }
    return 0;
}

static void ws(vc_tr_json_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n'
                             || *j->p == '\r')) {
        j->p++;
    }
}

int vc_tr_json_at_end(vc_tr_json_t *j)
{
    ws(j);
    return j->p >= j->end;
}

char vc_tr_json_peek(vc_tr_json_t *j)
{
    ws(j);
    return j->p < j->end ? *j->p : 0;
}

int vc_tr_json_open(vc_tr_json_t *j, char c)
{
    if (vc_tr_json_peek(j) != c) {
        return vc_tr_json_fail(j, c == '{' ? "expected a JSON object"
                                           : "expected a JSON array");
    }
    j->p++;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hex4(vc_tr_json_t *j, apr_uint32_t *v)
{
    int i;

    if (j->end - j->p < 4) {
        return -1;
    }
    *v = 0;
    for (i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0) {
            return -1;
        }
        *v = (*v << 4) | (apr_uint32_t)h;
    }
    j->p += 4;
    return 0;
}

static apr_size_t put_utf8(char *out, apr_uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A \u escape (after the "\u"), joining a surrogate pair. */
static int unicode_escape(vc_tr_json_t *j, apr_uint32_t *cp)
{
    apr_uint32_t lo;

    if (hex4(j, cp) != 0) {
        return vc_tr_json_fail(j, "bad \\u escape in a JSON string");
    }
    if (*cp >= 0xdc00 && *cp <= 0xdfff) {
        return vc_tr_json_fail(j, "lone surrogate in a JSON string");
    }
    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
            return vc_tr_json_fail(j, "lone surrogate in a JSON string");
        }
        j->p += 2;
        if (hex4(j, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
            return vc_tr_json_fail(j, "lone surrogate in a JSON string");
        }
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (*cp == 0) {
        return vc_tr_json_fail(j, "NUL in a JSON string");
    }
    return 1;
}

/* Reads a string (at its opening quote) into the pool; s may be NULL to
 * skip it.  Raw bytes are checked as UTF-8 by the callers, line by line. */
static int read_string(vc_tr_json_t *j, const char **s, apr_size_t *len)
{
    const char *q;
    char *out = NULL;
    apr_size_t n = 0;

    j->p++;
    for (q = j->p; q < j->end && *q != '"'; q++) {
        if (*q == '\\') {
            q++;
        }
    }
    if (q >= j->end) {
        return vc_tr_json_fail(j, "unterminated JSON string");
    }
    if (s) {
        out = apr_palloc(j->pool, (apr_size_t)(q - j->p) + 1);
    }
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        apr_uint32_t cp = c;

        if (c < 0x20) {
            return vc_tr_json_fail(j, "control character in a JSON string");
        }
        if (c == '\\') {
            switch (*j->p++) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!unicode_escape(j, &cp)) {
                    return 0;
                }
                break;
            default:
                return vc_tr_json_fail(j, "bad escape in a JSON string");
            }
            if (out) {
                n += put_utf8(out + n, cp);
            }
            continue;
        }
        if (out) {
            out[n++] = (char)c;
        }
    }
    j->p++;
    if (out) {
        out[n] = '\0';
        *s = out;
        *len = n;
    }
    return 1;
}

int vc_tr_json_member(vc_tr_json_t *j, int *n, const char **name)
{
    apr_size_t len;
    char c = vc_tr_json_peek(j);

    if (*n == 0 && c == '}') {
        j->p++;
        return 0;
    }
    if (*n > 0) {
        if (c == '}') {
            j->p++;
            return 0;
        }
        if (c != ',') {
            vc_tr_json_fail(j, c ? "expected ',' or '}' in a JSON object"
                                 : "truncated JSON");
            return -1;
        }
        j->p++;
        c = vc_tr_json_peek(j);
    }
    if (c != '"') {
        vc_tr_json_fail(j, c ? "expected a member name in a JSON object"
                             : "truncated JSON");
        return -1;
    }
    if (!read_string(j, name, &len)) {
        return -1;
    }
    if (vc_tr_json_peek(j) != ':') {
        vc_tr_json_fail(j, "expected ':' after a member name");
        return -1;
    }
    j->p++;
    (*n)++;
    return 1;
}

int vc_tr_json_element(vc_tr_json_t *j, int *n)
{
    char c = vc_tr_json_peek(j);

    if (c == ']') {
        j->p++;
        return 0;
    }
    if (*n > 0) {
        if (c != ',') {
            vc_tr_json_fail(j, c ? "expected ',' or ']' in a JSON array"
                                 : "truncated JSON");
            return -1;
        }
        j->p++;
        if (vc_tr_json_peek(j) == 0) {
            vc_tr_json_fail(j, "truncated JSON");
            return -1;
        }
    }
    else if (c == 0) {
        vc_tr_json_fail(j, "truncated JSON");
        return -1;
    }
    (*n)++;
    return 1;
}

int vc_tr_json_string(vc_tr_json_t *j, const char *what, const char **s,
                      apr_size_t *len)
{
    if (vc_tr_json_peek(j) != '"') {
        return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s must be a string",
                                               what));
    }
    return read_string(j, s, len);
}

/* The extent of a number token at p: JSON's grammar. */
static const char *number_end(const char *p, const char *end)
{
    const char *q = p;

    if (q < end && *q == '-') q++;
    if (q >= end || *q < '0' || *q > '9') return NULL;
    if (*q == '0') q++;
    else while (q < end && *q >= '0' && *q <= '9') q++;
    if (q < end && *q == '.') {
        q++;
        if (q >= end || *q < '0' || *q > '9') return NULL;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        if (q >= end || *q < '0' || *q > '9') return NULL;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    return q;
}

int vc_tr_json_uint(vc_tr_json_t *j, const char *what, apr_uint64_t *v)
{
    const char *q;
    char c = vc_tr_json_peek(j);
    int rc;

    if (c != '-' && (c < '0' || c > '9')) {
        return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s must be a number",
                                               what));
    }
    q = number_end(j->p, j->end);
    if (!q) {
        return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s is a malformed "
                                               "number", what));
    }
    rc = vc_tr_uint(j->p, (apr_size_t)(q - j->p), v);
    if (rc == -2) {
        return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s overflows: more "
                               "than 18446744073709551615", what));
    }
    if (rc != 0) {
        return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s must be a whole "
                               "number from 0 to 18446744073709551615, not %s",
                               what, apr_pstrmemdup(j->pool, j->p,
                                                    (apr_size_t)(q - j->p))));
    }
    j->p = q;
    return 1;
}

static int literal(vc_tr_json_t *j, const char *word)
{
    apr_size_t n = strlen(word);

    if ((apr_size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
        return 0;
    }
    j->p += n;
    return 1;
}

int vc_tr_json_bool(vc_tr_json_t *j, const char *what, int *v)
{
    vc_tr_json_peek(j);
    if (literal(j, "true")) {
        *v = 1;
        return 1;
    }
    if (literal(j, "false")) {
        *v = 0;
        return 1;
    }
    return vc_tr_json_fail(j, apr_psprintf(j->pool, "%s must be true or false",
                                           what));
}

/* A member name and its ':' inside an object being skipped. */
static int skip_name(vc_tr_json_t *j)
{
    if (vc_tr_json_peek(j) != '"') {
        return vc_tr_json_fail(j, j->p < j->end ? "expected a member name "
                               "in a JSON object" : "truncated JSON");
    }
    if (!read_string(j, NULL, NULL)) {
        return 0;
    }
    if (vc_tr_json_peek(j) != ':') {
        return vc_tr_json_fail(j, "expected ':' after a member name");
    }
    j->p++;
    return 1;
}

/* Skips one value of any kind, checking its form, with a bounded stack
 * of its own rather than recursion. */
int vc_tr_json_skip(vc_tr_json_t *j)
{
    char stack[VC_TR_JSON_DEPTH];
    int depth = 0;

    for (;;) {
        char c = vc_tr_json_peek(j);

        if (c == '{' || c == '[') {
            if (depth == VC_TR_JSON_DEPTH) {
                return vc_tr_json_fail(j, "JSON nested too deeply");
            }
            stack[depth++] = c;
            j->p++;
            if (vc_tr_json_peek(j) == (c == '{' ? '}' : ']')) {
                j->p++;
                depth--;
            }
            else if (c == '[') {
                continue;
            }
            else if (!skip_name(j)) {
                return 0;
            }
            else {
                continue;
            }
        }
        else if (c == '"') {
            if (!read_string(j, NULL, NULL)) {
                return 0;
            }
        }
        else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *q = number_end(j->p, j->end);
            if (!q) {
                return vc_tr_json_fail(j, "malformed number in JSON");
            }
            j->p = q;
        }
        else if (!literal(j, "true") && !literal(j, "false")
                 && !literal(j, "null")) {
            return vc_tr_json_fail(j, c ? "malformed JSON value"
                                        : "truncated JSON");
        }
        /* after a value: close containers, or go on to the next value */
        while (depth > 0) {
            char close = stack[depth - 1] == '{' ? '}' : ']';

            c = vc_tr_json_peek(j);
            if (c == ',') {
                j->p++;
                if (stack[depth - 1] == '{' && !skip_name(j)) {
                    return 0;
                }
                break;
            }
            if (c != close) {
                return vc_tr_json_fail(j, c ? "malformed JSON"
                                            : "truncated JSON");
            }
            j->p++;
            depth--;
        }
        if (depth == 0) {
            return 1;
        }
    }
}
