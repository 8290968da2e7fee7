/* Fuzzes the two body readers: admin PUT's object of unsigned integers,
 * and a hit's object with its "visitor" member (all other members, of any
 * type and nesting, skipped without recursion).  Accepted input must give
 * values that survive being written and read back; a string read must be
 * NUL-terminated inside its buffer.  Both work on the bytes as given,
 * without a NUL after them, so ASan sees any read past the end.
 */
#include "fuzz_common.h"
#include "vc_json.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vc_json_field_t f[2] = { { "count", 1, 0, 0 }, { "unique", 0, 0, 0 } };
    char *exact = malloc(size ? size : 1), token[66], again[80];
    int found;

    /* A buffer of exactly size bytes: nothing to read past. */
    memcpy(exact, data, size);
    if (vc_json_read_uints(exact, size, f, 2) == NULL) {
        vc_json_field_t g[2] = { { "count", 1, 0, 0 }, { "unique", 0, 0, 0 } };
        int n = snprintf(again, sizeof(again), "{\"count\":%llu,\"unique\":%llu}",
                         (unsigned long long)f[0].value,
                         (unsigned long long)f[1].value);
        FUZZ_ASSERT(f[0].seen);
        FUZZ_ASSERT(vc_json_read_uints(again, (apr_size_t)n, g, 2) == NULL);
        FUZZ_ASSERT(g[0].value == f[0].value && g[1].value == f[1].value);
    }
    memset(token, 'x', sizeof(token));
    if (vc_json_read_string_member(exact, size, "visitor", token, sizeof(token),
                                   &found) == NULL) {
        FUZZ_ASSERT(memchr(token, '\0', sizeof(token)) != NULL);
        FUZZ_ASSERT(found || token[0] == '\0');
    }
    free(exact);
    apr_pool_clear(fuzz_pool);
    return 0;
}
