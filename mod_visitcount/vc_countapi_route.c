/* Parsing for the CountAPI-compatible routes: the route and key a path
 * names, and the JSONP callback names that may be echoed.  Both see
 * hostile input first; both are total over any bytes and allocate only
 * from the pool they are given.
 */
#include "vc_countapi_route.h"
#include "vc_parse.h"

#include "apr_strings.h"

#include <string.h>

#define IDENT_MAX 64                /* characters in one part of a callback */

static const char not_a_name[] =
    "callback must be a JavaScript name such as cb or app.counter: "
    "letters, digits, '_' and '$', parts joined by '.', none starting "
    "with a digit";

/* Words a callback part may not be: JavaScript's reserved words, those
 * reserved in strict mode or in modules, and the literals. */
static const char *const reserved[] = {
    "await", "break", "case", "catch", "class", "const", "continue",
    "debugger", "default", "delete", "do", "else", "enum", "export",
    "extends", "false", "finally", "for", "function", "if", "implements",
    "import", "in", "instanceof", "interface", "let", "new", "null",
    "package", "private", "protected", "public", "return", "static",
    "super", "switch", "this", "throw", "true", "try", "typeof", "var",
    "void", "while", "with", "yield", NULL
};

/* The route named by the first segment of p (n bytes). */
static vc_capi_route_e route_of(const char *p, apr_size_t n)
{
    if (n == 3 && !memcmp(p, "hit", 3)) {
        return VC_CAPI_HIT;
    }
    if (n == 3 && !memcmp(p, "get", 3)) {
        return VC_CAPI_GET;
    }
    return VC_CAPI_NO_ROUTE;
}

vc_capi_route_e vc_countapi_route(apr_pool_t *p, const char *raw,
                                  const char **key, const char **why)
{
    apr_size_t end, seg;
    vc_capi_route_e route;
    const char *rest, *k;
    char *path;

    *key = NULL;
    *why = NULL;
    if (*raw == '/') {
        raw++;
    }
    end = strcspn(raw, "?#");
    seg = strcspn(raw, "/?#");
    if ((route = route_of(raw, seg)) == VC_CAPI_NO_ROUTE) {
        return route;
    }
    /* What follows the route's name, without one trailing '/'. */
    rest = raw + seg;
    end -= seg;
    if (end > 0 && rest[end - 1] == '/') {
        end--;
    }
    path = apr_pstrmemdup(p, rest, end);
    if ((*why = vc_key_from_path(p, path, NULL, &k)) != NULL) {
        return VC_CAPI_BAD_KEY;
    }
    if (!k) {
        *why = "missing key; use /hit/NAMESPACE/KEY or /get/NAMESPACE/KEY";
        return VC_CAPI_BAD_KEY;
    }
    if (!strchr(k, '/')) {
        k = apr_pstrcat(p, VC_COUNTAPI_DEFAULT_NS "/", k, NULL);
    }
    else if (strchr(k, '/') != strrchr(k, '/')) {
        *why = "the key is NAMESPACE/KEY: neither may contain '/'";
        return VC_CAPI_BAD_KEY;
    }
    if ((*why = vc_key_check(k, strlen(k))) != NULL) {
        return VC_CAPI_BAD_KEY;
    }
    *key = k;
    return route;
}

static int ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || c == '_' || c == '$';
}

static int ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

static int is_reserved(const char *s, apr_size_t n)
{
    int i;

    for (i = 0; reserved[i]; i++) {
        if (strlen(reserved[i]) == n && !memcmp(reserved[i], s, n)) {
            return 1;
        }
    }
    return 0;
}

const char *vc_callback_check(const char *name)
{
    const char *part = name, *s;
    apr_size_t n;

    if (strlen(name) > VC_CALLBACK_MAX) {
        return "callback is longer than 128 characters";
    }
    for (;;) {
        for (s = part; ident_char(*s); s++) {
        }
        n = (apr_size_t)(s - part);
        if (n == 0 || !ident_start(*part)) {
            return not_a_name;
        }
        if (n > IDENT_MAX) {
            return "each part of callback may have at most 64 characters";
        }
        if (is_reserved(part, n)) {
            return "callback may not use a reserved word of JavaScript";
        }
        if (*s == '\0') {
            return NULL;
        }
        if (*s != '.') {
            return not_a_name;
        }
        part = s + 1;
    }
}
