/* Fuzzes the CountAPI-compatible routes' parsing: the raw path below the
 * mount and the JSONP callback name, both as any client can send them.
 * An accepted route must give a valid key with exactly one '/'; an
 * accepted callback must hold nothing but identifier characters and
 * dots, fit VC_CALLBACK_MAX, and neither start nor end with a dot.
 */
#include "fuzz_common.h"
#include "vc_countapi_route.h"
#include "vc_parse.h"

static void check_route(const char *raw)
{
    const char *key = NULL, *why = NULL, *slash;
    vc_capi_route_e r = vc_countapi_route(fuzz_pool, raw, &key, &why);

    if (r == VC_CAPI_HIT || r == VC_CAPI_GET) {
        FUZZ_ASSERT(key != NULL && why == NULL);
        FUZZ_ASSERT(vc_key_check(key, strlen(key)) == NULL);
        slash = strchr(key, '/');
        FUZZ_ASSERT(slash != NULL && strchr(slash + 1, '/') == NULL);
    }
    else if (r == VC_CAPI_BAD_KEY) {
        FUZZ_ASSERT(key == NULL && why != NULL);
    }
    else {
        FUZZ_ASSERT(r == VC_CAPI_NO_ROUTE && key == NULL && why == NULL);
    }
}

static void check_callback(const char *name)
{
    size_t n = strlen(name), i;

    if (vc_callback_check(name) != NULL) {
        return;
    }
    FUZZ_ASSERT(n >= 1 && n <= VC_CALLBACK_MAX);
    FUZZ_ASSERT(name[0] != '.' && name[n - 1] != '.');
    FUZZ_ASSERT(!(name[0] >= '0' && name[0] <= '9'));
    for (i = 0; i < n; i++) {
        FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_$.", name[i]) != NULL);
        FUZZ_ASSERT(!(name[i] == '.' && name[i + 1] == '.'));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = fuzz_cstring(data, size);

    check_route(s);
    check_callback(s);
    apr_pool_clear(fuzz_pool);
    return 0;
}
