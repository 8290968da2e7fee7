/* The shared figures of vc_stats.h, in shared memory that lives as long
 * as httpd (vc_shm.h), so they survive graceful restarts.  The
 * counters are changed with the compiler's lock-free 64-bit atomics, which
 * work across processes; APR's own may fall back to a lock that does not.
 */
#include "vc_stats.h"
#include "vc_module.h"
#include "vc_shm.h"
#include "vc_store.h"

#include <string.h>

/* GCC and clang say whether 64-bit atomics are lock-free (2: always). */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE != 2
#error "mod_visitcount needs lock-free 64-bit atomics for its shared figures"
#endif

static vc_stats_t *shared;

static const char *const out_names[VC_OUT_N] = {
    "counted", "duplicate", "bot", "prefetch", "ignored", "error",
    "ratelimited"
};
static const char *const out_titles[VC_OUT_N] = {
    "Counted", "Duplicate", "Bot", "Prefetch", "Ignored", "Error",
    "Ratelimited"
};
static const char *const err_names[VC_ERR_N] = {
    "unavailable", "full", "other"
};
static const char *const err_titles[VC_ERR_N] = {
    "Unavailable", "Full", "Other"
};

const char *vc_out_name(vc_out_e outcome) { return out_names[outcome]; }
const char *vc_out_title(vc_out_e outcome) { return out_titles[outcome]; }
const char *vc_err_name(vc_err_e kind) { return err_names[kind]; }
const char *vc_err_title(vc_err_e kind) { return err_titles[kind]; }

const char *vc_stats_init(server_rec *s)
{
    void *mem;
    int created;
    const char *err = vc_shm_attach(s, "visitcount-stats", sizeof(vc_stats_t),
                                    "the module's figures", &mem, &created);

    if (!err) {
        shared = mem;
    }
    return err;
}

static void add(apr_uint64_t *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

void vc_stats_outcome(request_rec *r, vc_out_e outcome)
{
    apr_table_setn(r->notes, "visitcount", out_names[outcome]);
    if (shared) {
        add(&shared->outcomes[outcome]);
    }
}

static vc_err_e error_kind(apr_status_t status)
{
    switch (status) {
    case VC_STORE_DOWN:
    case VC_STORE_TIMEOUT:
    case VC_STORE_FAILFAST:
    case VC_STORE_CLOSED:
        return VC_ERR_UNAVAILABLE;
    case VC_STORE_FULL:
    case VC_STORE_NOMEM:
    case VC_STORE_KEYS_FULL:
        return VC_ERR_FULL;
    }
    return APR_STATUS_IS_ENOSPC(status) || status == APR_FROM_OS_ERROR(EDQUOT)
           ? VC_ERR_FULL : VC_ERR_OTHER;
}

void vc_stats_store_error(apr_status_t status)
{
    if (shared) {
        add(&shared->store_errors[error_kind(status)]);
    }
}

void vc_stats_read(vc_stats_t *out)
{
    int i;

    memset(out, 0, sizeof(*out));
    if (!shared) {
        return;
    }
    for (i = 0; i < VC_OUT_N; i++) {
        out->outcomes[i] = __atomic_load_n(&shared->outcomes[i],
                                           __ATOMIC_RELAXED);
    }
    for (i = 0; i < VC_ERR_N; i++) {
        out->store_errors[i] = __atomic_load_n(&shared->store_errors[i],
                                               __ATOMIC_RELAXED);
    }
}
