/* The counter store: an LMDB environment holding one record per key.
 * This header is the whole contract; vc_store.c is the only file that
 * includes lmdb.h.  Every function returns an apr_status_t; LMDB's own
 * codes are folded into the VC_STORE_ range so vc_store_strerror() can
 * still name them exactly.
 */
#ifndef VC_STORE_H
#define VC_STORE_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_errno.h"

#include <sys/types.h>

typedef enum {
    VC_DURABILITY_STRICT = 0,   /* synchronous commit per hit */
    VC_DURABILITY_RELAXED = 1   /* no flush per hit; flushed every second */
} vc_durability_e;

#define VC_STORE_ERRSPACE  (APR_OS_START_USERERR + 7700)
#define VC_STORE_FULL      (VC_STORE_ERRSPACE + 0)  /* map full: 507 */
#define VC_STORE_MAXED     (VC_STORE_ERRSPACE + 1)  /* count would wrap */
#define VC_STORE_BADFORMAT (VC_STORE_ERRSPACE + 2)  /* not our format */
#define VC_STORE_CLOSED    (VC_STORE_ERRSPACE + 3)  /* never opened */
/* VC_STORE_ERRSPACE + 100 + n: LMDB error code MDB_KEYEXIST + n */

typedef struct vc_store vc_store_t;

typedef struct {
    apr_uint64_t count;
    apr_uint64_t unique;
} vc_counts_t;

typedef struct {
    const char *key;
    vc_counts_t counts;
} vc_entry_t;

typedef struct {
    const char *dir;            /* absolute path of the environment */
    apr_uint64_t map_size;      /* bytes */
    vc_durability_e durability;
    unsigned int max_readers;   /* concurrent read transactions, all processes */
    int threaded;               /* requests run concurrently in this process */
} vc_store_options_t;

/* Parent, at start-up: creates the directory if needed, gives it and the
 * environment's files to uid:gid when chown_to_user is set, creates the
 * databases and checks the format, then closes everything again.
 * On failure *what says which step failed (the path is the caller's to
 * add). */
apr_status_t vc_store_prepare(const vc_store_options_t *opts,
                              int chown_to_user, uid_t uid, gid_t gid,
                              const char **what, apr_pool_t *ptemp);

/* Child: opens the environment for this process; it is closed when pool
 * is cleared.  *what as for vc_store_prepare. */
apr_status_t vc_store_open(vc_store_t **store,
                           const vc_store_options_t *opts,
                           const char **what, apr_pool_t *pool);

/* One hit: adds 1 to key's count in its own write transaction and returns
 * the counts after it. */
apr_status_t vc_store_hit(vc_store_t *store, const char *key,
                          vc_counts_t *after);

/* Reads key; a key never hit reads as zeros with *found = 0. */
apr_status_t vc_store_get(vc_store_t *store, const char *key,
                          vc_counts_t *counts, int *found);

/* Replaces key's counts (admin). */
apr_status_t vc_store_set(vc_store_t *store, const char *key,
                          const vc_counts_t *counts);

/* Removes key (admin); *existed says whether there was anything. */
apr_status_t vc_store_delete(vc_store_t *store, const char *key,
                             int *existed);

/* Lists up to limit keys starting with prefix and sorting after `after`
 * (either may be ""), in byte order, as vc_entry_t in *entries.  *more is
 * set when further keys follow the last one returned. */
apr_status_t vc_store_list(vc_store_t *store, const char *prefix,
                           const char *after, unsigned int limit,
                           apr_array_header_t **entries, int *more,
                           apr_pool_t *pool);

/* Text for a status from this store: LMDB's own wording for its codes. */
const char *vc_store_strerror(apr_status_t status, char *buf,
                              apr_size_t bufsize);

#endif
