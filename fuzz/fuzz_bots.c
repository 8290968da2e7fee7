/* Fuzzes the User-Agent classifier and the prefetch-header check with any
 * bytes a client may send.  They must answer 0 or 1, read nothing past the
 * string, and give the same answer twice (no hidden state).  An empty
 * User-Agent is always a robot.
 */
#include "fuzz_common.h"
#include "vc_bots.h"
#include "vc_visitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *ua = fuzz_cstring(data, size);
    int bot = vc_bot_check(ua);

    FUZZ_ASSERT(bot == 0 || bot == 1);
    FUZZ_ASSERT(vc_bot_check(ua) == bot);
    if (ua[0] == '\0') {
        FUZZ_ASSERT(bot == 1);
    }
    FUZZ_ASSERT(vc_prefetch_check(ua, NULL, NULL, NULL) ==
                vc_prefetch_check(NULL, NULL, NULL, ua));
    apr_pool_clear(fuzz_pool);
    return 0;
}
