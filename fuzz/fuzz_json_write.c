/* Fuzzes the JSON writer with arbitrary bytes as string values and member
 * names: whatever the bytes, the output must be one valid JSON value of
 * printable ASCII or valid UTF-8, with every byte that could end a
 * <script> or a JavaScript line escaped.  The checker below is written
 * from RFC 8259, independently of the writer.
 */
#include "fuzz_common.h"
#include "vc_json.h"

/* Length of the UTF-8 sequence at s (n bytes left) as RFC 3629 allows it,
 * or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned int cp;
    size_t need, i;

    if (s[0] >= 0xC2 && s[0] <= 0xDF) { need = 2; cp = s[0] & 0x1Fu; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { need = 3; cp = s[0] & 0x0Fu; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { need = 4; cp = s[0] & 0x07u; }
    else return 0;
    if (n < need) return 0;
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    if (cp == 0x2028 || cp == 0x2029) return 0;   /* must be escaped */
    return need;
}

/* Checks the JSON string starting at s[*i] (a '"'); moves *i past it. */
static void check_string(const unsigned char *s, size_t n, size_t *i)
{
    FUZZ_ASSERT(*i < n && s[*i] == '"');
    for ((*i)++; *i < n && s[*i] != '"'; ) {
        unsigned char c = s[*i];
        if (c == '\\') {
            FUZZ_ASSERT(*i + 1 < n);
            if (s[*i + 1] == 'u') {
                size_t k;
                FUZZ_ASSERT(*i + 5 < n);
                for (k = 2; k < 6; k++) {
                    FUZZ_ASSERT(strchr("0123456789abcdef", s[*i + k]) != NULL);
                }
                *i += 6;
            }
            else {
                FUZZ_ASSERT(strchr("\"\\/bfnrt", s[*i + 1]) != NULL);
                *i += 2;
            }
            continue;
        }
        FUZZ_ASSERT(c >= 0x20 && c != '<' && c != '>' && c != '&');
        if (c < 0x80) {
            (*i)++;
        }
        else {
            size_t seq = utf8_seq(s + *i, n - *i);
            FUZZ_ASSERT(seq > 0);
            *i += seq;
        }
    }
    FUZZ_ASSERT(*i < n);
    (*i)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2, i = 0, len;
    const unsigned char *out;
    vc_json_t j;

    vc_json_init(&j, fuzz_pool, 16);
    vc_json_object_begin(&j);
    vc_json_key(&j, fuzz_cstring(data, half));
    vc_json_string(&j, (const char *)data + half, size - half);
    vc_json_key(&j, "list");
    vc_json_array_begin(&j);
    vc_json_uint64(&j, size);
    vc_json_string(&j, (const char *)data, size);
    vc_json_bool(&j, (int)(size & 1));
    vc_json_null(&j);
    vc_json_array_end(&j);
    vc_json_object_end(&j);
    out = (const unsigned char *)vc_json_finish(&j, &len);
    FUZZ_ASSERT(out != NULL && out[len] == '\0');

    /* {"name":"value","list":[N,"value",bool,null]} */
    FUZZ_ASSERT(out[i++] == '{');
    check_string(out, len, &i);
    FUZZ_ASSERT(out[i++] == ':');
    check_string(out, len, &i);
    FUZZ_ASSERT(strncmp((const char *)out + i, ",\"list\":[", 9) == 0);
    i += 9;
    while (i < len && out[i] >= '0' && out[i] <= '9') i++;
    FUZZ_ASSERT(out[i++] == ',');
    check_string(out, len, &i);
    FUZZ_ASSERT(strcmp((const char *)out + i, size & 1 ? ",true,null]}" : ",false,null]}") == 0);
    apr_pool_clear(fuzz_pool);
    return 0;
}
