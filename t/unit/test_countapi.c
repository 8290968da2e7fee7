/* Unit tests for vc_countapi_route.c: the routes and keys of the
 * CountAPI-compatible handler (the two routes, the default namespace, one
 * trailing '/', the API's key rules, every way a path is refused and
 * whether as an unknown route or a bad key), and the JSONP callback names
 * that may be echoed (identifiers, dotted paths, reserved words, lengths,
 * and every byte outside the pattern). */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_countapi_route.h"
#include "tap.h"

static apr_pool_t *pool;

/* The route of raw, as "hit KEY", "get KEY", "none" or "bad". */
static const char *route(const char *raw)
{
    const char *key, *why;

    switch (vc_countapi_route(pool, raw, &key, &why)) {
    case VC_CAPI_HIT:
        return apr_pstrcat(pool, "hit ", key, NULL);
    case VC_CAPI_GET:
        return apr_pstrcat(pool, "get ", key, NULL);
    case VC_CAPI_NO_ROUTE:
        return key || why ? "none with key or why" : "none";
    case VC_CAPI_BAD_KEY:
        return why && !key ? "bad" : "bad without why";
    }
    return "?";
}

static void test_routes(void)
{
    is_str(route("/hit/mysite.com/visits"), "hit mysite.com/visits", "hit NS/KEY");
    is_str(route("/get/mysite.com/visits"), "get mysite.com/visits", "get NS/KEY");
    is_str(route("hit/a/b"), "hit a/b", "without the leading '/'");
    is_str(route("/hit/mysite.com/visits/"), "hit mysite.com/visits",
           "one trailing '/' is allowed");
    is_str(route("/hit/mysite.com/visits?callback=cb"), "hit mysite.com/visits",
           "the query ends the path");
    is_str(route("/hit/mysite.com/visits/?x=1"), "hit mysite.com/visits",
           "a trailing '/' before the query");
    is_str(route("/get/a/b#frag"), "get a/b", "a fragment ends the path");
    is_str(route("/hit/visits"), "hit default/visits",
           "no namespace: the default one");
    is_str(route("/get/visits/"), "get default/visits",
           "no namespace, trailing '/'");
    is_str(route("/hit/default/visits"), "hit default/visits",
           "the default namespace spelt out is the same key");
    is_str(route("/hit/my%2Dsite/v%7E1"), "hit my-site/v~1",
           "percent-escapes are decoded");
    is_str(route("/hit/A_b.c-d~e/K.E_Y"), "hit A_b.c-d~e/K.E_Y",
           "every key character");
    is_str(route("/hit/a/b"), "hit a/b", "one-character namespace and key");
}

static void test_unknown(void)
{
    const char *none[] = {
        "", "/", "/hits/a/b", "/HIT/a/b", "/Get/a/b", "/set/a/b",
        "/update/a/b", "/create", "/create?namespace=a&key=b", "/info/a/b",
        "/stats", "/%68it/a/b", "//hit/a/b", "/ hit/a/b", "/hit%2Fa/b",
        "?callback=cb", "/hi", "/g", NULL
    };
    int i;

    for (i = 0; none[i]; i++) {
        is_str(route(none[i]), "none", "not a route: '%s'", none[i]);
    }
}

static void test_bad_keys(void)
{
    char long_key[200];
    const char *bad[] = {
        "/hit", "/get", "/hit/", "/hit?x=1", "/get/", "/hit//", "/hit/a/b/c", "/get/a/b/c/",
        "/hit/a//b", "/hit//a/b", "/hit/a/b//", "/hit/a%2Fb", "/hit/a%2fb/c",
        "/hit/./a", "/hit/../a", "/hit/a/..", "/hit/a/.", "/hit/.",
        "/hit/a%20b/c", "/hit/a b/c", "/hit/a%00b", "/hit/a%zzb", "/hit/a%",
        "/hit/%C3%A9t%C3%A9/x", "/hit/a/b%3Fc", "/hit/a:b/c", "/hit/a/b+c",
        "/hit/a\"b", "/hit/<x>/y", NULL
    };
    int i;

    for (i = 0; bad[i]; i++) {
        is_str(route(bad[i]), "bad", "refused key: '%s'", bad[i]);
    }
    /* 128 bytes is the most a key may have, namespace and '/' included. */
    memset(long_key, 'k', sizeof(long_key));
    memcpy(long_key, "/hit/ns/", 8);
    long_key[8 + 125] = '\0';
    is_str(route(long_key), apr_pstrcat(pool, "hit ", long_key + 5, NULL),
           "a key of 128 bytes");
    long_key[8 + 125] = 'k';
    long_key[8 + 126] = '\0';
    is_str(route(long_key), "bad", "a key of 129 bytes");
    /* Without a namespace, "default/" counts towards the 128. */
    memcpy(long_key, "/hit/", 5);
    memset(long_key + 5, 'k', 120);
    long_key[5 + 120] = '\0';
    is_str(route(long_key), apr_pstrcat(pool, "hit default/", long_key + 5,
                                        NULL), "default/ and 120 bytes");
    long_key[5 + 120] = 'k';
    long_key[5 + 121] = '\0';
    is_str(route(long_key), "bad", "default/ and 121 bytes");
}

static void good_callback(const char *name)
{
    is_str(vc_callback_check(name), NULL, "callback accepted: '%s'", name);
}

static void bad_callback(const char *name, const char *what)
{
    ok(vc_callback_check(name) != NULL, "callback refused: %s", what);
}

static void test_callbacks(void)
{
    char name[VC_CALLBACK_MAX + 2];
    char byte[4];
    int c;

    good_callback("cb");
    good_callback("a");
    good_callback("_");
    good_callback("$");
    good_callback("$.ajax_1");
    good_callback("jQuery3600_1700000000000");
    good_callback("window.app.counter");
    good_callback("a1.b2.c3");
    good_callback("defaults");          /* a reserved word's prefix */
    good_callback("newCount");
    good_callback("undefined");         /* a name, not a reserved word */

    bad_callback("", "empty");
    bad_callback("alert(1)//", "a call");
    bad_callback("a-b", "a '-'");
    bad_callback("1cb", "starts with a digit");
    bad_callback("a.1b", "a part starts with a digit");
    bad_callback(".a", "starts with '.'");
    bad_callback("a.", "ends with '.'");
    bad_callback("a..b", "an empty part");
    bad_callback("a b", "a space");
    bad_callback("a;b", "a ';'");
    bad_callback("a[0]", "brackets");
    bad_callback("a/**/", "a comment");
    bad_callback("a\nb", "a newline");
    bad_callback("\xc3\xa9t\xc3\xa9", "non-ASCII letters");
    bad_callback("a\xe2\x80\xa8", "U+2028");
    bad_callback("delete", "a reserved word");
    bad_callback("new", "a reserved word: new");
    bad_callback("a.default", "a reserved word as a later part");
    bad_callback("this.cb", "this");
    bad_callback("null", "a literal");
    bad_callback("true", "a literal: true");
    bad_callback("yield", "a strict-mode reserved word");

    /* 64 characters a part, 128 in all. */
    memset(name, 'a', 64);
    name[64] = '\0';
    good_callback(name);
    name[64] = 'a';
    name[65] = '\0';
    bad_callback(name, "a part of 65 characters");
    memset(name, 'a', VC_CALLBACK_MAX);
    name[VC_CALLBACK_MAX] = '\0';
    name[63] = '.';
    name[127] = 'b';
    good_callback(name);
    name[VC_CALLBACK_MAX] = 'c';
    name[VC_CALLBACK_MAX + 1] = '\0';
    name[127] = '.';
    bad_callback(name, "129 characters");

    /* Every byte outside [A-Za-z0-9_$.], inside a name. */
    for (c = 1; c < 256; c++) {
        int allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                      || (c >= '0' && c <= '9') || c == '_' || c == '$';
        if (allowed || c == '.') {
            continue;
        }
        byte[0] = 'a';
        byte[1] = (char)c;
        byte[2] = 'b';
        byte[3] = '\0';
        if (vc_callback_check(byte) == NULL) {
            ok(0, "byte 0x%02x refused", c);
            return;
        }
    }
    ok(1, "every byte outside the pattern is refused");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_routes();
    test_unknown();
    test_bad_keys();
    test_callbacks();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
