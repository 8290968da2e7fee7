/* Unit tests for vc_parse.c: keys, escapes, queries, numbers, sizes,
 * origins and entity tags. */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_parse.h"
#include "tap.h"

static apr_pool_t *pool;

/* The key a raw path gives, or "ERR" when it is refused. */
static const char *key_of(const char *raw)
{
    const char *key = NULL;
    return vc_key_from_path(pool, raw, "default", &key) ? "ERR" : key;
}

static void test_keys(void)
{
    char long_key[VC_KEY_MAX + 2];

    is_str(key_of(""), "default", "empty path is the default key");
    is_str(key_of("/"), "default", "lone slash is the default key");
    is_str(key_of("?x=1"), "default", "query alone is the default key");
    is_str(key_of("/home"), "home", "plain key");
    is_str(key_of("/blog/2024/post-1.html"), "blog/2024/post-1.html",
           "key with segments");
    is_str(key_of("/a_b~c.d-e"), "a_b~c.d-e", "every punctuation allowed");
    is_str(key_of("/page?days=3"), "page", "query is not part of the key");
    is_str(key_of("/page#frag"), "page", "fragment is not part of the key");
    is_str(key_of("/%41bc"), "Abc", "percent-escapes decode");
    is_str(key_of("/a%2eb"), "a.b", "encoded dot decodes");
    is_str(key_of("/a%2Fb"), "ERR", "encoded slash refused");
    is_str(key_of("/a%2fb"), "ERR", "encoded slash refused (lower case)");
    is_str(key_of("/a%00b"), "ERR", "encoded NUL refused");
    is_str(key_of("/a%zzb"), "ERR", "bad escape refused");
    is_str(key_of("/a%4"), "ERR", "truncated escape refused");
    is_str(key_of("/a%"), "ERR", "lone percent refused");
    is_str(key_of("/.."), "ERR", "dot-dot refused");
    is_str(key_of("/a/../b"), "ERR", "inner dot-dot refused");
    is_str(key_of("/%2e%2e"), "ERR", "encoded dot-dot refused");
    is_str(key_of("/./a"), "ERR", "dot segment refused");
    is_str(key_of("/a//b"), "ERR", "empty segment refused");
    is_str(key_of("//a"), "ERR", "leading slash refused");
    is_str(key_of("/a/"), "ERR", "trailing slash refused");
    is_str(key_of("/caf%C3%A9"), "ERR", "non-ASCII refused");
    is_str(key_of("/caf\xc3\xa9"), "ERR", "raw non-ASCII refused");
    is_str(key_of("/a b"), "ERR", "space refused");
    is_str(key_of("/a%20b"), "ERR", "encoded space refused");
    is_str(key_of("/a\"b"), "ERR", "quote refused");
    is_str(key_of("/a\\b"), "ERR", "backslash refused");
    is_str(key_of("/a%0d%0ab"), "ERR", "CR LF refused");

    memset(long_key, 'k', sizeof(long_key));
    long_key[0] = '/';
    long_key[VC_KEY_MAX + 1] = '\0';
    is_str(key_of(long_key), long_key + 1, "128-byte key accepted");
    long_key[VC_KEY_MAX] = '\0';
    ok(vc_key_check(long_key, VC_KEY_MAX + 1) != NULL,
       "129-byte key refused by vc_key_check");
    ok(vc_key_check("ok", 2) == NULL, "vc_key_check accepts a plain key");
    ok(vc_key_check("", 0) != NULL, "vc_key_check refuses the empty key");
    ok(vc_key_check("a\0b", 3) != NULL, "vc_key_check refuses NUL");
    {
        char *big = apr_palloc(pool, 2000);
        memset(big, 'a', 1999);
        big[0] = '/';
        big[1999] = '\0';
        is_str(key_of(big), "ERR", "very long path refused");
    }
}

static void test_unescape(void)
{
    apr_size_t n;
    const char *s;

    s = vc_unescape(pool, "a+b%20c", 7, 1, &n);
    is_str(s, "a b c", "form decoding turns + into space");
    s = vc_unescape(pool, "a+b", 3, 0, &n);
    is_str(s, "a+b", "path decoding keeps +");
    ok(vc_unescape(pool, "%00", 3, 0, &n) == NULL, "%%00 refused");
    ok(vc_unescape(pool, "a\0b", 3, 0, &n) == NULL, "raw NUL refused");
    s = vc_unescape(pool, "%ff", 3, 0, &n);
    ok(s && n == 1 && (unsigned char)s[0] == 0xff, "high byte decodes");
}

static void test_query(void)
{
    const char *q = "limit=10&&prefix=a%2Fb&empty=&flag&after=x+y";
    const char *name, *value;

    ok(vc_query_next(pool, &q, &name, &value) == 1, "first pair");
    is_str(name, "limit", "first name");
    is_str(value, "10", "first value");
    ok(vc_query_next(pool, &q, &name, &value) == 1, "second pair");
    is_str(value, "a/b", "value decoded");
    ok(vc_query_next(pool, &q, &name, &value) == 1, "empty value pair");
    is_str(value, "", "empty value");
    ok(vc_query_next(pool, &q, &name, &value) == 1, "bare name");
    is_str(name, "flag", "bare name read");
    is_str(value, "", "bare name has empty value");
    ok(vc_query_next(pool, &q, &name, &value) == 1, "last pair");
    is_str(value, "x y", "plus is a space in queries");
    ok(vc_query_next(pool, &q, &name, &value) == 0, "end of query");

    q = "=x";
    ok(vc_query_next(pool, &q, &name, &value) == -1, "empty name refused");
    q = "a=%zz";
    ok(vc_query_next(pool, &q, &name, &value) == -1, "bad escape refused");
    q = "a=%00";
    ok(vc_query_next(pool, &q, &name, &value) == -1, "NUL refused");
    q = "";
    ok(vc_query_next(pool, &q, &name, &value) == 0, "empty query");
}

static void test_numbers(void)
{
    apr_uint64_t v = 0;

    ok(vc_parse_uint("42", 1, 100, &v) == 0 && v == 42, "uint in range");
    ok(vc_parse_uint("0", 1, 100, &v) != 0, "below minimum refused");
    ok(vc_parse_uint("101", 1, 100, &v) != 0, "above maximum refused");
    ok(vc_parse_uint("", 0, 100, &v) != 0, "empty refused");
    ok(vc_parse_uint("-1", 0, 100, &v) != 0, "sign refused");
    ok(vc_parse_uint("1e3", 0, 10000, &v) != 0, "exponent refused");
    ok(vc_parse_uint(" 1", 0, 100, &v) != 0, "space refused");
    ok(vc_parse_uint("18446744073709551615", 0, APR_UINT64_MAX, &v) == 0
       && v == APR_UINT64_MAX, "2^64-1 parses");
    ok(vc_parse_uint("18446744073709551616", 0, APR_UINT64_MAX, &v) != 0,
       "2^64 refused");
    ok(vc_parse_uint("99999999999999999999999", 0, APR_UINT64_MAX, &v) != 0,
       "very long number refused");

    ok(vc_parse_size("64M", &v) == 0 && v == 64u << 20, "64M");
    ok(vc_parse_size("512k", &v) == 0 && v == 512u << 10, "512k");
    ok(vc_parse_size("1G", &v) == 0 && v == (apr_uint64_t)1 << 30, "1G");
    ok(vc_parse_size("65536", &v) == 0 && v == 65536, "bytes");
    ok(vc_parse_size("M", &v) != 0, "suffix alone refused");
    ok(vc_parse_size("12X", &v) != 0, "unknown suffix refused");
    ok(vc_parse_size("", &v) != 0, "empty size refused");
    ok(vc_parse_size("99999999999999G", &v) != 0, "overflowing size refused");

    ok(vc_parse_duration("30m", 86400, &v) == 0 && v == 1800, "30m");
    ok(vc_parse_duration("90", 86400, &v) == 0 && v == 90, "bare seconds");
    ok(vc_parse_duration("2s", 86400, &v) == 0 && v == 2, "2s");
    ok(vc_parse_duration("24h", 86400, &v) == 0 && v == 86400, "24h, the limit");
    ok(vc_parse_duration("1d", 86400, &v) == 0 && v == 86400, "1d");
    ok(vc_parse_duration("0", 86400, &v) == 0 && v == 0, "zero");
    ok(vc_parse_duration("25h", 86400, &v) != 0, "over the limit refused");
    ok(vc_parse_duration("86401", 86400, &v) != 0, "seconds over the limit");
    ok(vc_parse_duration("m", 86400, &v) != 0, "unit alone refused");
    ok(vc_parse_duration("5w", 86400, &v) != 0, "unknown unit refused");
    ok(vc_parse_duration("-5m", 86400, &v) != 0, "negative refused");
    ok(vc_parse_duration("1.5h", 86400, &v) != 0, "fraction refused");
    ok(vc_parse_duration("", 86400, &v) != 0, "empty refused");
    ok(vc_parse_duration("99999999999999999999d", APR_UINT64_MAX, &v) != 0,
       "overflowing duration refused");
}

static void test_origins(void)
{
    ok(vc_origin_check("https://example.com") == NULL, "https origin");
    ok(vc_origin_check("http://localhost:8080") == NULL, "origin with port");
    ok(vc_origin_check("http://[::1]:8080") == NULL, "IPv6 origin");
    ok(vc_origin_check("https://Example.COM") == NULL,
       "upper-case host is valid (folded by the directive)");
    ok(vc_origin_check("null") != NULL, "null refused");
    ok(vc_origin_check("https://example.com/") != NULL, "trailing slash refused");
    ok(vc_origin_check("https://example.com/path") != NULL, "path refused");
    ok(vc_origin_check("example.com") != NULL, "missing scheme refused");
    ok(vc_origin_check("https://") != NULL, "missing host refused");
    ok(vc_origin_check("https://a.com,https://b.com") != NULL, "list refused");
    ok(vc_origin_check("https://a.com:123456") != NULL, "long port refused");
    ok(vc_origin_check("https://user@a.com") != NULL, "userinfo refused");
    ok(vc_origin_check("https://a.com\r\nX: y") != NULL, "CR LF refused");
}

static void test_etags(void)
{
    const char *tag = "\"00ff\"";

    ok(vc_etag_match("\"00ff\"", tag), "exact tag matches");
    ok(vc_etag_match("W/\"00ff\"", tag), "weak tag matches (weak comparison)");
    ok(vc_etag_match("\"x\", \"00ff\"", tag), "tag in a list matches");
    ok(vc_etag_match("*", tag), "star matches");
    ok(!vc_etag_match("\"00fe\"", tag), "other tag does not match");
    ok(!vc_etag_match("00ff", tag), "unquoted tag does not match");
    ok(!vc_etag_match("\"00ff", tag), "unterminated tag does not match");
    ok(!vc_etag_match("", tag), "empty header does not match");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_keys();
    test_unescape();
    test_query();
    test_numbers();
    test_origins();
    test_etags();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
