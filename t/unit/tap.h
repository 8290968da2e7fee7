/* A minimal TAP producer for the C unit tests, run by prove.  Each check
 * prints one "ok"/"not ok" line; done_testing() prints the plan and gives
 * the exit status, so prove sees both counts and failures. */
#ifndef VC_TAP_H
#define VC_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline void tap_result(int pass, const char *file, int line,
                       const char *fmt, va_list ap)
{
    tap_count++;
    if (!pass) {
        tap_failed++;
    }
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    if (!pass) {
        printf("#   failed at %s line %d\n", file, line);
    }
}

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_result(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

static inline int tap_is_str(const char *got, const char *want, const char *file,
                      int line, const char *fmt, ...)
{
    int pass = (got == NULL && want == NULL)
               || (got && want && strcmp(got, want) == 0);
    va_list ap;
    va_start(ap, fmt);
    tap_result(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass) {
        printf("#          got: %s%s%s\n#     expected: %s%s%s\n",
               got ? "'" : "", got ? got : "NULL", got ? "'" : "",
               want ? "'" : "", want ? want : "NULL", want ? "'" : "");
    }
    return pass;
}

static inline int tap_is_u64(uint64_t got, uint64_t want, const char *file,
                      int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_result(got == want, file, line, fmt, ap);
    va_end(ap);
    if (got != want) {
        printf("#          got: %" PRIu64 "\n#     expected: %" PRIu64 "\n",
               got, want);
    }
    return got == want;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
    tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_u64(got, want, ...) \
    tap_is_u64((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
