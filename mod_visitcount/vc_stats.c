/* The shared figures of vc_stats.h.  The segment is anonymous shared
 * memory (or, where the platform has none, a file in the run-time
 * directory) allocated from the process pool, which lives as long as the
 * parent: the pool's user data finds it again when a restart reruns
 * post_config, and every child inherits the mapping through fork().  The
 * counters are changed with the compiler's lock-free 64-bit atomics, which
 * work across processes; APR's own may fall back to a lock that does not.
 */
#include "vc_stats.h"
#include "vc_module.h"
#include "vc_store.h"

#include "apr_shm.h"
#include "apr_strings.h"

#include <errno.h>
#include <string.h>

/* GCC and clang say whether 64-bit atomics are lock-free (2: always). */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE != 2
#error "mod_visitcount needs lock-free 64-bit atomics for its shared figures"
#endif

#define VC_STATS_USERDATA "visitcount-stats"
#define VC_STATS_FILE "visitcount-stats.shm"

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

/* A new segment: anonymous where the platform has it, else a file. */
static apr_status_t create_segment(apr_shm_t **shm, apr_pool_t *pool)
{
    const char *file;
    apr_status_t rv;

    rv = apr_shm_create(shm, sizeof(vc_stats_t), NULL, pool);
    if (rv != APR_ENOTIMPL) {
        return rv;
    }
    file = ap_runtime_dir_relative(pool, VC_STATS_FILE);
    apr_shm_remove(file, pool);     /* left over by a crashed httpd */
    return apr_shm_create(shm, sizeof(vc_stats_t), file, pool);
}

const char *vc_stats_init(server_rec *s)
{
    apr_pool_t *pool = s->process->pool;
    void *found = NULL;
    apr_shm_t *shm;
    apr_status_t rv;
    char buf[120];

    apr_pool_userdata_get(&found, VC_STATS_USERDATA, pool);
    if (found) {
        shared = found;
        return NULL;
    }
    if ((rv = create_segment(&shm, pool)) != APR_SUCCESS) {
        return apr_psprintf(pool, "cannot create the shared memory of the "
                            "module's figures: %s",
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    shared = apr_shm_baseaddr_get(shm);
    memset(shared, 0, sizeof(*shared));
    apr_pool_userdata_set(shared, VC_STATS_USERDATA, apr_pool_cleanup_null,
                          pool);
    return NULL;
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
