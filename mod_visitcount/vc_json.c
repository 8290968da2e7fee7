/* JSON writing for every reply the module sends.  The writer appends to a
 * buffer grown from a pool (never malloc), tracks commas per nesting level
 * and escapes strings itself.  The readers are in vc_json_read.c.
 */
#include "vc_json.h"

#include <string.h>

void vc_json_init(vc_json_t *j, apr_pool_t *pool, apr_size_t initial)
{
    memset(j, 0, sizeof(*j));
    j->pool = pool;
    j->cap = initial < 64 ? 64 : initial;
    j->buf = apr_palloc(pool, j->cap);
}

static void reserve(vc_json_t *j, apr_size_t more)
{
    char *bigger;
    apr_size_t cap = j->cap;

    if (j->len + more + 1 <= cap) {
        return;
    }
    while (j->len + more + 1 > cap) {
        cap *= 2;
    }
    bigger = apr_palloc(j->pool, cap);
    memcpy(bigger, j->buf, j->len);
    j->buf = bigger;
    j->cap = cap;
}

static void put(vc_json_t *j, const char *s, apr_size_t n)
{
    reserve(j, n);
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

#define PUT_LIT(j, lit) put((j), (lit), sizeof(lit) - 1)

/* Writes the separator a new value or member needs at this level. */
static void before_value(vc_json_t *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->need_comma[j->depth]) {
        PUT_LIT(j, ",");
    }
    j->need_comma[j->depth] = 1;
}

static void open_level(vc_json_t *j, char c)
{
    before_value(j);
    put(j, &c, 1);
    if (j->depth == VC_JSON_MAX_DEPTH) {
        j->broken = 1;
        return;
    }
    j->need_comma[++j->depth] = 0;
}

static void close_level(vc_json_t *j, char c)
{
    if (j->depth == 0 || j->after_key) {
        j->broken = 1;
        return;
    }
    j->depth--;
    put(j, &c, 1);
}

void vc_json_object_begin(vc_json_t *j) { open_level(j, '{'); }
void vc_json_object_end(vc_json_t *j)   { close_level(j, '}'); }
void vc_json_array_begin(vc_json_t *j)  { open_level(j, '['); }
void vc_json_array_end(vc_json_t *j)    { close_level(j, ']'); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid. */
static apr_size_t utf8_len(const unsigned char *s, apr_size_t n)
{
    apr_size_t need, i;
    apr_uint32_t cp;

    if (s[0] < 0x80) {
        return 1;
    }
    else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2; cp = s[0] & 0x1F;
    }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3; cp = s[0] & 0x0F;
    }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4; cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    if (n < need) {
        return 0;
    }
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return need;
}

static void put_escaped(vc_json_t *j, const char *str, apr_size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    apr_size_t i = 0;

    PUT_LIT(j, "\"");
    while (i < n) {
        unsigned char c = s[i];
        apr_size_t seq, run;
        char esc[6];

        /* A run of bytes that need no escape goes in one copy: keys and
         * member names are all such runs. */
        for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80
                      && s[run] != '"' && s[run] != '\\' && s[run] != '<'
                      && s[run] != '>' && s[run] != '&'; run++) {
        }
        if (run > i) {
            put(j, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        switch (c) {
        case '"':  PUT_LIT(j, "\\\""); i++; continue;
        case '\\': PUT_LIT(j, "\\\\"); i++; continue;
        case '\n': PUT_LIT(j, "\\n");  i++; continue;
        case '\r': PUT_LIT(j, "\\r");  i++; continue;
        case '\t': PUT_LIT(j, "\\t");  i++; continue;
        default:
            break;
        }
        if (c < 0x80) {
            /* Control characters and the HTML-significant three. */
            esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 0xF];
            put(j, esc, 6);
            i++;
            continue;
        }
        seq = utf8_len(s + i, n - i);
        if (seq == 0) {
            PUT_LIT(j, "\\ufffd");
            i++;
        }
        else if (seq == 3 && s[i] == 0xE2 && s[i + 1] == 0x80
                 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            /* U+2028 and U+2029 end a line in JavaScript source. */
            PUT_LIT(j, "\\u202");
            put(j, s[i + 2] == 0xA8 ? "8" : "9", 1);
            i += 3;
        }
        else {
            put(j, (const char *)s + i, seq);
            i += seq;
        }
    }
    PUT_LIT(j, "\"");
}

void vc_json_key(vc_json_t *j, const char *name)
{
    if (j->depth == 0 || j->after_key) {
        j->broken = 1;
        return;
    }
    before_value(j);
    put_escaped(j, name, strlen(name));
    PUT_LIT(j, ":");
    j->after_key = 1;
}

void vc_json_string(vc_json_t *j, const char *s, apr_size_t len)
{
    before_value(j);
    put_escaped(j, s, len);
}

void vc_json_cstring(vc_json_t *j, const char *s)
{
    vc_json_string(j, s, strlen(s));
}

void vc_json_uint64(vc_json_t *j, apr_uint64_t v)
{
    char digits[24];
    int i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    before_value(j);
    put(j, digits + i, sizeof(digits) - i);
}

void vc_json_bool(vc_json_t *j, int v)
{
    before_value(j);
    if (v) {
        PUT_LIT(j, "true");
    }
    else {
        PUT_LIT(j, "false");
    }
}

void vc_json_null(vc_json_t *j)
{
    before_value(j);
    PUT_LIT(j, "null");
}

const char *vc_json_finish(vc_json_t *j, apr_size_t *len)
{
    if (j->broken || j->depth != 0 || j->after_key || j->len == 0) {
        return NULL;
    }
    j->buf[j->len] = '\0';
    if (len) {
        *len = j->len;
    }
    return j->buf;
}
