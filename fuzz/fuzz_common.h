/* Shared by the libFuzzer targets: one APR pool, cleared after every
 * input, and a NUL-terminated copy of the input for the functions that
 * take C strings.  Every target checks properties, not just survival:
 * abort() on a broken one, so libFuzzer keeps the input.
 */
#ifndef VC_FUZZ_COMMON_H
#define VC_FUZZ_COMMON_H

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static apr_pool_t *fuzz_pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&fuzz_pool, NULL);
    return 0;
}

/* The input as a C string (it may hold NULs: the string stops there). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = apr_palloc(fuzz_pool, size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
