/* The JSON readers: the strict ones request bodies go through before the
 * store is touched.  Admin PUT's reader accepts one flat object of
 * unsigned integers; a hit's reader picks one string member out of an
 * object and skips the rest, following nesting with a bounded stack of its
 * own rather than recursion.  Both work on a length-bounded buffer (no
 * NUL needed), never allocate, and reject everything else with a message
 * a client can act on.
 */
#include "vc_json.h"

#include <string.h>

typedef struct {
    const char *p;
    const char *end;
} cursor_t;

static void skip_ws(cursor_t *c)
{
    while (c->p < c->end
           && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads a member name into out (NUL-terminated, at most outsize - 1 bytes).
 * A name too long for out, or one holding characters outside ASCII, is
 * still read but marked with *unknown so that it matches no field. */
static const char *read_name(cursor_t *c, char *out, apr_size_t outsize,
                             int *unknown)
{
    apr_size_t n = 0;

    *unknown = 0;
    c->p++;                                    /* opening quote */
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p++;
        int code = ch;

        if (ch < 0x20) {
            return "control character in a member name";
        }
        if (ch == '\\') {
            if (c->p >= c->end) {
                break;
            }
            switch (*c->p++) {
            case '"': code = '"'; break;
            case '\\': code = '\\'; break;
            case '/': code = '/'; break;
            case 'b': code = '\b'; break;
            case 'f': code = '\f'; break;
            case 'n': code = '\n'; break;
            case 'r': code = '\r'; break;
            case 't': code = '\t'; break;
            case 'u': {
                int k, h;
                code = 0;
                if (c->end - c->p < 4) {
                    return "bad \\u escape in a member name";
                }
                for (k = 0; k < 4; k++) {
                    if ((h = hexval(c->p[k])) < 0) {
                        return "bad \\u escape in a member name";
                    }
                    code = code * 16 + h;
                }
                c->p += 4;
                break;
            }
            default:
                return "bad escape in a member name";
            }
        }
        if (code >= 0x80 || code == 0 || n + 1 >= outsize) {
            *unknown = 1;
        }
        else {
            out[n++] = (char)code;
        }
    }
    if (c->p >= c->end) {
        return "unterminated string";
    }
    c->p++;                                    /* closing quote */
    out[n] = '\0';
    return NULL;
}

static const char *read_uint(cursor_t *c, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    const char *start = c->p;

    if (c->p < c->end && *c->p == '-') {
        return "values must not be negative";
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
        return "values must be non-negative integers";
    }
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p - '0');
        if (v > (APR_UINT64_MAX - d) / 10) {
            return "value out of range (at most 18446744073709551615)";
        }
        v = v * 10 + d;
        c->p++;
    }
    if (c->p - start > 1 && *start == '0') {
        return "numbers must not have leading zeros";
    }
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E')) {
        return "values must be integers";
    }
    *out = v;
    return NULL;
}

/* Reads the value of one member, the cursor at its first byte, or refuses
 * it; name is the member's name, matching nothing when unknown is set. */
typedef const char *(*member_fn)(cursor_t *c, const char *name, int unknown,
                                 void *ctx);

/* Walks text as exactly one JSON object, handing each member's value to
 * member. */
static const char *read_object(const char *text, apr_size_t len,
                               member_fn member, void *ctx)
{
    cursor_t c;

    c.p = text;
    c.end = text + len;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') {
        return "body must be a JSON object";
    }
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    }
    else {
        for (;;) {
            char name[32];
            int unknown;
            const char *err;

            skip_ws(&c);
            if (c.p >= c.end || *c.p != '"') {
                return "expected a member name";
            }
            if ((err = read_name(&c, name, sizeof(name), &unknown))) {
                return err;
            }
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':') {
                return "expected ':'";
            }
            c.p++;
            skip_ws(&c);
            if ((err = member(&c, name, unknown, ctx))) {
                return err;
            }
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return "expected ',' or '}'";
        }
    }
    skip_ws(&c);
    if (c.p != c.end) {
        return "unexpected data after the object";
    }
    return NULL;
}

typedef struct {
    vc_json_field_t *fields;
    int nfields;
} uints_t;

static const char *uint_member(cursor_t *c, const char *name, int unknown,
                               void *ctx)
{
    uints_t *u = ctx;
    vc_json_field_t *f = NULL;
    const char *err;
    int i;

    for (i = 0; !unknown && i < u->nfields; i++) {
        if (strcmp(u->fields[i].name, name) == 0) {
            f = &u->fields[i];
        }
    }
    if (!f) {
        return "unknown member";
    }
    if (f->seen) {
        return "duplicate member";
    }
    if ((err = read_uint(c, &f->value))) {
        return err;
    }
    f->seen = 1;
    return NULL;
}

const char *vc_json_read_uints(const char *text, apr_size_t len,
                               vc_json_field_t *fields, int nfields)
{
    uints_t u;
    const char *err;
    int i;

    for (i = 0; i < nfields; i++) {
        fields[i].seen = 0;
        fields[i].value = 0;
    }
    u.fields = fields;
    u.nfields = nfields;
    if ((err = read_object(text, len, uint_member, &u))) {
        return err;
    }
    for (i = 0; i < nfields; i++) {
        if (fields[i].required && !fields[i].seen) {
            return "missing member";
        }
    }
    return NULL;
}

/* Skips a string, checking its escapes and control characters. */
static const char *skip_string(cursor_t *c)
{
    char scratch[2];
    int unknown;

    return read_name(c, scratch, sizeof(scratch), &unknown);
}

/* Skips a number, true, false or null, as JSON spells them. */
static const char *skip_scalar(cursor_t *c)
{
    static const char *const words[] = { "true", "false", "null" };
    const char *p = c->p;
    apr_size_t i, n;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        n = strlen(words[i]);
        if ((apr_size_t)(c->end - p) >= n && memcmp(p, words[i], n) == 0) {
            c->p = p + n;
            return NULL;
        }
    }
    if (p < c->end && *p == '-') {
        p++;
    }
    if (p >= c->end || *p < '0' || *p > '9') {
        return "expected a value";
    }
    if (*p == '0') {
        p++;
    }
    else {
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < c->end && *p == '.') {
        if (++p >= c->end || *p < '0' || *p > '9') {
            return "malformed number";
        }
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < c->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < c->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= c->end || *p < '0' || *p > '9') {
            return "malformed number";
        }
        while (p < c->end && *p >= '0' && *p <= '9') p++;
    }
    c->p = p;
    return NULL;
}

/* After '{' or ',' inside an object: a member name and its ':'. */
static const char *skip_name(cursor_t *c)
{
    const char *err;

    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') {
        return "expected a member name";
    }
    if ((err = skip_string(c))) {
        return err;
    }
    skip_ws(c);
    if (c->p >= c->end || *c->p != ':') {
        return "expected ':'";
    }
    c->p++;
    return NULL;
}

/* Skips one value of any type.  Iterative, with its own bounded stack of
 * open brackets, so a hostile body cannot exhaust the C stack. */
static const char *skip_value(cursor_t *c)
{
    char open[VC_JSON_MAX_NEST];
    int depth = 0;
    const char *err;

    for (;;) {
        skip_ws(c);
        if (c->p >= c->end) {
            return "unexpected end of the body";
        }
        if (*c->p == '{' || *c->p == '[') {
            if (depth == VC_JSON_MAX_NEST) {
                return "nested too deeply";
            }
            open[depth++] = *c->p++;
            skip_ws(c);
            if (c->p < c->end && *c->p == (open[depth - 1] == '{' ? '}' : ']')) {
                c->p++;
                depth--;
            }
            else {
                if (open[depth - 1] == '{' && (err = skip_name(c))) {
                    return err;
                }
                continue;                   /* the first element's value */
            }
        }
        else if ((err = *c->p == '"' ? skip_string(c) : skip_scalar(c))) {
            return err;
        }
        /* A value ended: close brackets until another element follows. */
        for (;;) {
            if (depth == 0) {
                return NULL;
            }
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                if (open[depth - 1] == '{' && (err = skip_name(c))) {
                    return err;
                }
                break;
            }
            if (c->p < c->end && *c->p == (open[depth - 1] == '{' ? '}' : ']')) {
                c->p++;
                depth--;
                continue;
            }
            return "expected ',' or a closing bracket";
        }
    }
}

typedef struct {
    const char *name;
    char *out;
    apr_size_t outsize;
    int *found;
} string_member_t;

static const char *string_member(cursor_t *c, const char *name, int unknown,
                                 void *ctx)
{
    string_member_t *m = ctx;
    const char *err;

    if (unknown || strcmp(name, m->name) != 0) {
        return skip_value(c);
    }
    if (*m->found) {
        return "duplicate member";
    }
    if (c->p >= c->end || *c->p != '"') {
        return "member must be a string";
    }
    if ((err = read_name(c, m->out, m->outsize, &unknown))) {
        return err;
    }
    if (unknown) {
        return "member's string is too long or not ASCII";
    }
    *m->found = 1;
    return NULL;
}

const char *vc_json_read_string_member(const char *text, apr_size_t len,
                                       const char *name, char *out,
                                       apr_size_t outsize, int *found)
{
    string_member_t m;

    m.name = name;
    m.out = out;
    m.outsize = outsize;
    m.found = found;
    *found = 0;
    out[0] = '\0';
    return read_object(text, len, string_member, &m);
}
