/* Fuzzes the query-string walker and the value parsers the API and the
 * directives use: integers, sizes, durations, CORS origins and
 * If-None-Match lists.  The walker must end, every pair it returns must be
 * NUL-terminated, and parsed numbers must lie in the bounds asked for.
 */
#include "fuzz_common.h"
#include "vc_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = fuzz_cstring(data, size), *cursor = q, *name, *value;
    apr_uint64_t n;
    int rc, pairs = 0;

    while ((rc = vc_query_next(fuzz_pool, &cursor, &name, &value)) > 0) {
        FUZZ_ASSERT(name != NULL && value != NULL);
        FUZZ_ASSERT(++pairs <= (int)size + 1);
        if (vc_parse_uint(value, 1, 400, &n) == 0) {
            FUZZ_ASSERT(n >= 1 && n <= 400);
        }
        if (vc_parse_duration(value, 86400, &n) == 0) {
            FUZZ_ASSERT(n <= 86400);
        }
        (void)vc_parse_size(value, &n);
        (void)vc_origin_check(value);
        (void)vc_etag_match(value, "\"0123456789abcdef\"");
        (void)vc_etag_match(name, value);
    }
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (vc_parse_uint(q, 0, APR_UINT64_MAX, &n) == 0) {
        FUZZ_ASSERT(q[0] >= '0' && q[0] <= '9');
    }
    apr_pool_clear(fuzz_pool);
    return 0;
}
