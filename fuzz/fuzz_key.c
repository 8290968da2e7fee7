/* Fuzzes the key parser: the raw request path below a mount, as any client
 * can send it.  A path the parser accepts must give a key that passes the
 * key check, has 1 to 128 bytes of the allowed characters and no "." or
 * ".." segment; the percent-decoder must never read or write out of
 * bounds and must stop at an encoded NUL.
 */
#include "fuzz_common.h"
#include "vc_parse.h"

static void check_key(const char *key)
{
    size_t n = strlen(key), i, seg = 0;

    FUZZ_ASSERT(n >= 1 && n <= VC_KEY_MAX);
    FUZZ_ASSERT(vc_key_check(key, n) == NULL);
    FUZZ_ASSERT(key[0] != '/' && key[n - 1] != '/');
    for (i = 0; i <= n; i++) {
        if (i == n || key[i] == '/') {
            size_t len = i - seg;
            FUZZ_ASSERT(len > 0);
            FUZZ_ASSERT(!(len == 1 && key[seg] == '.'));
            FUZZ_ASSERT(!(len == 2 && key[seg] == '.' && key[seg + 1] == '.'));
            seg = i + 1;
            continue;
        }
        FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789._~-/", key[i]) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = fuzz_cstring(data, size), *key = NULL;
    apr_size_t len;
    char *decoded;

    if (vc_key_from_path(fuzz_pool, raw, "default", &key) == NULL) {
        FUZZ_ASSERT(key != NULL);
        check_key(key);
    }
    if (vc_key_check((const char *)data, size) == NULL) {
        FUZZ_ASSERT(size >= 1 && size <= VC_KEY_MAX);
    }
    decoded = vc_unescape(fuzz_pool, (const char *)data, size, size & 1, &len);
    if (decoded) {
        FUZZ_ASSERT(len <= size);
        FUZZ_ASSERT(decoded[len] == '\0');
        FUZZ_ASSERT(memchr(decoded, '\0', len) == NULL);
    }
    apr_pool_clear(fuzz_pool);
    return 0;
}
