/* Unit tests for vc_json.c: the writer's structure and escaping, and the
 * strict reader admin PUT uses. */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_json.h"
#include "tap.h"

static apr_pool_t *pool;

static const char *string_json(const char *s, apr_size_t n)
{
    vc_json_t j;
    vc_json_init(&j, pool, 8);
    vc_json_string(&j, s, n);
    return vc_json_finish(&j, NULL);
}

#define STR(lit) string_json((lit), sizeof(lit) - 1)

static void test_writer(void)
{
    vc_json_t j;
    const char *out;
    apr_size_t len;
    int i;

    vc_json_init(&j, pool, 4);
    vc_json_object_begin(&j);
    vc_json_key(&j, "key");
    vc_json_cstring(&j, "home");
    vc_json_key(&j, "count");
    vc_json_uint64(&j, 0);
    vc_json_key(&j, "big");
    vc_json_uint64(&j, APR_UINT64_MAX);
    vc_json_key(&j, "list");
    vc_json_array_begin(&j);
    for (i = 0; i < 3; i++) {
        vc_json_object_begin(&j);
        vc_json_key(&j, "n");
        vc_json_uint64(&j, (apr_uint64_t)i);
        vc_json_object_end(&j);
    }
    vc_json_array_end(&j);
    vc_json_key(&j, "empty");
    vc_json_array_begin(&j);
    vc_json_array_end(&j);
    vc_json_key(&j, "t");
    vc_json_bool(&j, 1);
    vc_json_key(&j, "f");
    vc_json_bool(&j, 0);
    vc_json_key(&j, "z");
    vc_json_null(&j);
    vc_json_object_end(&j);
    out = vc_json_finish(&j, &len);
    is_str(out, "{\"key\":\"home\",\"count\":0,\"big\":18446744073709551615,"
                "\"list\":[{\"n\":0},{\"n\":1},{\"n\":2}],\"empty\":[],"
                "\"t\":true,\"f\":false,\"z\":null}",
           "nested structure, commas and 64-bit numbers");
    ok(out && len == strlen(out), "length matches");

    vc_json_init(&j, pool, 8);
    vc_json_object_begin(&j);
    ok(vc_json_finish(&j, NULL) == NULL, "unclosed object is refused");

    vc_json_init(&j, pool, 8);
    vc_json_object_begin(&j);
    vc_json_key(&j, "k");
    vc_json_object_end(&j);
    ok(vc_json_finish(&j, NULL) == NULL, "member without value is refused");

    vc_json_init(&j, pool, 8);
    vc_json_object_end(&j);
    ok(vc_json_finish(&j, NULL) == NULL, "unbalanced close is refused");

    vc_json_init(&j, pool, 8);
    for (i = 0; i < VC_JSON_MAX_DEPTH + 1; i++) {
        vc_json_array_begin(&j);
    }
    ok(vc_json_finish(&j, NULL) == NULL, "too deep nesting is refused");

    vc_json_init(&j, pool, 8);
    ok(vc_json_finish(&j, NULL) == NULL, "nothing written is refused");
}

static void test_escaping(void)
{
    is_str(STR("plain"), "\"plain\"", "plain string");
    is_str(STR("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
    is_str(STR("\n\r\t"), "\"\\n\\r\\t\"", "short escapes");
    is_str(STR("\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"", "control characters");
    is_str(STR("a\0b"), "\"a\\u0000b\"", "embedded NUL");
    is_str(STR("</script>&"), "\"\\u003c/script\\u003e\\u0026\"",
           "HTML-significant characters");
    is_str(STR("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
           "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
           "valid UTF-8 passes through");
    is_str(STR("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"",
           "line and paragraph separators");
    is_str(STR("a\xff" "b"), "\"a\\ufffdb\"", "invalid byte replaced");
    is_str(STR("\xc3"), "\"\\ufffd\"", "truncated sequence replaced");
    is_str(STR("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "overlong form replaced");
    is_str(STR("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
           "UTF-16 surrogate replaced");
    is_str(STR("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
           "code point above U+10FFFF replaced");
}

/* Runs the reader on text; returns NULL on success, else its message. */
static const char *read2(const char *text, apr_uint64_t *count,
                         apr_uint64_t *unique, int *unique_seen)
{
    vc_json_field_t f[2] = { { "count", 1, 0, 0 }, { "unique", 0, 0, 0 } };
    const char *err = vc_json_read_uints(text, strlen(text), f, 2);
    *count = f[0].value;
    *unique = f[1].value;
    *unique_seen = f[1].seen;
    return err;
}

static void test_reader(void)
{
    apr_uint64_t c, u;
    int seen;
    static const char *bad[] = {
        "", "   ", "[]", "1", "\"count\"", "{", "{\"count\":1", "{\"count\":}",
        "{\"count\":-1}", "{\"count\":1.5}", "{\"count\":1e3}",
        "{\"count\":01}", "{\"count\":\"1\"}", "{\"count\":true}",
        "{\"count\":null}", "{\"count\":{\"n\":1}}", "{\"count\":[1]}",
        "{\"count\":18446744073709551616}", "{\"count\":1,\"count\":2}",
        "{\"count\":1,\"other\":2}", "{\"unique\":2}", "{}",
        "{\"count\":1,}", "{\"count\":1} x", "{\"count\" 1}",
        "{'count':1}", "{count:1}", "{\"co\x01unt\":1}", "{\"count\\x\":1}",
        "{\"count\\u00\":1}", "{\"c\\u0000ount\":1}", "{\"count\":1}{}",
        "{\"count\":1 2}",
    };
    apr_size_t i;

    ok(read2("{\"count\":5,\"unique\":3}", &c, &u, &seen) == NULL
       && c == 5 && u == 3 && seen, "count and unique");
    ok(read2(" \n{ \"unique\" : 0 ,\t\"count\" : 0 } \r\n", &c, &u, &seen)
       == NULL && c == 0 && u == 0, "whitespace and order do not matter");
    ok(read2("{\"count\":7}", &c, &u, &seen) == NULL && c == 7 && !seen,
       "unique is optional");
    ok(read2("{\"count\":18446744073709551615}", &c, &u, &seen) == NULL
       && c == APR_UINT64_MAX, "2^64-1 accepted");
    ok(read2("{\"co\\u0075nt\":9}", &c, &u, &seen) == NULL && c == 9,
       "escaped member name matches");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = read2(bad[i], &c, &u, &seen);
        ok(err != NULL, "refused: %s (%s)", bad[i], err ? err : "accepted");
    }
    ok(vc_json_read_uints("{\"count\":1}\0", 12,
                          (vc_json_field_t[]){ { "count", 1, 0, 0 } }, 1)
       != NULL, "trailing NUL byte refused");
}

/* Runs the string-member reader for "visitor" on text. */
static const char *read_visitor(const char *text, char *out, apr_size_t size,
                                int *found)
{
    return vc_json_read_string_member(text, strlen(text), "visitor", out,
                                      size, found);
}

static void test_string_member(void)
{
    char out[66], deep[200];
    int found;
    static const char *good_skips[] = {
        "{\"a\":1,\"visitor\":\"tok\"}",
        "{\"a\":-0.5e+3,\"b\":[],\"c\":{},\"visitor\":\"tok\"}",
        "{\"a\":[1,[2,{\"x\":[true,false,null]}],\"s\\\"\\u00e9\"],"
        "\"visitor\":\"tok\",\"z\":{\"visitor\":5}}",
        "{\"visitor\":\"tok\",\"page\":\"/x\",\"n\":0}",
        "{\"caf\\u00e9\":1,\"visitor\":\"tok\"}",
    };
    static const char *bad[] = {
        "", "[]", "\"visitor\"", "{", "{\"visitor\":}", "{\"visitor\":1}",
        "{\"visitor\":null}", "{\"visitor\":[\"tok\"]}",
        "{\"visitor\":\"a\",\"visitor\":\"b\"}", "{\"visitor\":\"tok\"} x",
        "{\"visitor\":\"to\x01k\"}", "{\"visitor\":\"t\\u0000k\"}",
        "{\"visitor\":\"t\\u00e9k\"}", "{\"visitor\":\"t\xc3\xa9k\"}",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":[1,]}", "{\"a\":[1 2]}",
        "{\"a\":{\"b\"}}", "{\"a\":{1:2}}", "{\"a\":[}", "{\"a\":]}",
        "{\"a\":\"x}", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}",
        "{\"a\":[1}", "{\"a\":{\"b\":1]}",
    };
    apr_size_t i;

    ok(read_visitor("{}", out, sizeof(out), &found) == NULL && !found,
       "an empty object: no visitor");
    ok(read_visitor(" {\"visitor\" : \"0123456789abcdef\"} \n", out,
                    sizeof(out), &found) == NULL && found
       && strcmp(out, "0123456789abcdef") == 0, "the visitor member is read");
    for (i = 0; i < sizeof(good_skips) / sizeof(good_skips[0]); i++) {
        const char *err = read_visitor(good_skips[i], out, sizeof(out), &found);
        ok(err == NULL && found && strcmp(out, "tok") == 0,
           "other members skipped: %s (%s)", good_skips[i], err ? err : "ok");
    }
    ok(read_visitor("{\"other\":\"x\"}", out, sizeof(out), &found) == NULL
       && !found && out[0] == '\0', "no visitor member: not found");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = read_visitor(bad[i], out, sizeof(out), &found);
        ok(err != NULL, "refused: %s (%s)", bad[i], err ? err : "accepted");
    }
    memset(out, 'x', sizeof(out));
    ok(read_visitor("{\"visitor\":\"0123456789\"}", out, 10, &found) != NULL,
       "a value longer than the buffer is refused");

    /* Nesting: 32 levels are skipped, 33 are refused, and nothing recurses. */
    for (i = 0; i < 2; i++) {
        apr_size_t depth = VC_JSON_MAX_NEST + i, n = 0, k;
        n += (apr_size_t)sprintf(deep + n, "{\"a\":");
        for (k = 0; k < depth; k++) deep[n++] = '[';
        for (k = 0; k < depth; k++) deep[n++] = ']';
        n += (apr_size_t)sprintf(deep + n, ",\"visitor\":\"tok\"}");
        ok((read_visitor(deep, out, sizeof(out), &found) == NULL) == (i == 0),
           "%d nested arrays are %s", (int)depth, i == 0 ? "skipped" : "refused");
    }
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_writer();
    test_escaping();
    test_reader();
    test_string_member();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
