/* The counter store: an LMDB environment holding each key's totals and
 * daily history, and the day's record of visitors.  This header is the
 * whole contract; only the store's own files (vc_store*.c, through
 * vc_store_db.h) see lmdb.h.  Every function returns an apr_status_t;
 * LMDB's own codes are folded into the VC_STORE_ range so
 * vc_store_strerror() can still name them exactly.
 */
#ifndef VC_STORE_H
#define VC_STORE_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_errno.h"

#include "vc_visitor.h"

#include <sys/types.h>

/* When a hit is on disk.  Under a threaded MPM, group and relaxed commit
 * the hits that arrive together in one transaction (group commit); with
 * one thread per process (prefork) each hit is its own transaction. */
typedef enum {
    VC_DURABILITY_STRICT = 0,   /* one synchronous commit per hit */
    VC_DURABILITY_GROUP = 1,    /* synchronous commit per group of hits */
    VC_DURABILITY_RELAXED = 2   /* per group, data flushed, meta page not
                                   (MDB_NOMETASYNC); synced within 1 s */
} vc_durability_e;

/* "strict", "group" or "relaxed". */
const char *vc_durability_name(vc_durability_e d);

#define VC_STORE_ERRSPACE  (APR_OS_START_USERERR + 7700)
#define VC_STORE_FULL      (VC_STORE_ERRSPACE + 0)  /* map full: 507 */
#define VC_STORE_MAXED     (VC_STORE_ERRSPACE + 1)  /* count would wrap */
#define VC_STORE_BADFORMAT (VC_STORE_ERRSPACE + 2)  /* not our format */
#define VC_STORE_CLOSED    (VC_STORE_ERRSPACE + 3)  /* never opened */
#define VC_STORE_KEYS_FULL (VC_STORE_ERRSPACE + 4)  /* VisitCountMaxKeys */
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
    unsigned int history_days;  /* daily buckets kept per key */
    apr_uint64_t max_keys;      /* keys the store may hold */
} vc_store_options_t;

/* What a hit knows about its visitor.  The ids are vc_visitor_id()s under
 * the secrets of the hit's day and of the day before; the store keeps them
 * for two days at most, and nothing else about the visitor. */
typedef struct {
    const unsigned char *id;        /* today's id; NULL: visitors untracked */
    const unsigned char *id_before; /* yesterday's id, or NULL */
    apr_uint32_t dedupe;            /* seconds a counted visit lasts; 0: off */
    int unique;                     /* count a visitor's first hit of the day
                                       as a unique visitor */
#ifdef VC_TEST_HOOKS
    int test_crash;                 /* kill the process inside the write
                                       transaction (test builds only) */
#endif
} vc_visit_t;

/* Entries the seen-set may hold (two days of visitors), from the map
 * size: a visitor past the bound still counts, but is not remembered
 * (so not unique, and not deduplicated). */
#define VC_SEEN_MAX(map_size) ((map_size) / 512)

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

/* What vc_store_hit() did, as bits. */
#define VC_HIT_COUNTED 1        /* the hit counted */
#define VC_HIT_SEEN_FULL 2      /* the seen-set was full: counted, but the
                                   visitor could not be remembered */
#define VC_HIT_REDONE 4         /* its group-commit batch failed, and it was
                                   redone in a transaction of its own */

/* One hit at Unix time now, in one write transaction (shared with the
 * hits other threads of this process make at the same moment, under group
 * commit): unless visit says it repeats a visit still inside its dedupe
 * window (counts untouched), adds 1 to key's count and to today's bucket,
 * and 1 to both unique counts when this is the visitor's first hit on key
 * today.  *after holds the counts after it either way; *result the VC_HIT_
 * bits.  Returns once the hit is as durable as the store's mode promises;
 * on failure nothing of it was stored.  visit may be NULL. */
apr_status_t vc_store_hit(vc_store_t *store, const char *key,
                          const vc_visit_t *visit, apr_int64_t now,
                          vc_counts_t *after, unsigned int *result);

/* Reads key; a key never hit reads as zeros with *found = 0 (found may be
 * NULL).  With ndays > 0, daily[0 .. ndays-1] also receives the buckets of
 * the ndays days ending with last_day, oldest first, zeros where there
 * were no hits; all from the same snapshot as *counts. */
apr_status_t vc_store_get(vc_store_t *store, const char *key,
                          vc_counts_t *counts, int *found,
                          apr_int64_t last_day, unsigned int ndays,
                          vc_counts_t *daily);

/* The random secret of a UTC day, shared by every process.  When the day
 * has none yet and create is set, one is made from
 * apr_generate_random_bytes(); otherwise *found = 0.  Cached per process. */
apr_status_t vc_store_secret(vc_store_t *store, apr_int64_t day, int create,
                             unsigned char secret[VC_SECRET_LEN],
                             int *found);

/* Replaces key's counts (admin).  A new key beyond max_keys is refused
 * with VC_STORE_KEYS_FULL, as for a hit. */
apr_status_t vc_store_set(vc_store_t *store, const char *key,
                          const vc_counts_t *counts);

/* Removes key and its history (admin); *existed says whether there was
 * anything. */
apr_status_t vc_store_delete(vc_store_t *store, const char *key,
                             int *existed);

/* Lists up to limit keys starting with prefix and sorting after `after`
 * (either may be ""), in byte order, as vc_entry_t in *entries.  *more is
 * set when further keys follow the last one returned. */
apr_status_t vc_store_list(vc_store_t *store, const char *prefix,
                           const char *after, unsigned int limit,
                           apr_array_header_t **entries, int *more,
                           apr_pool_t *pool);

/* What one maintenance pass removed. */
typedef struct {
    apr_size_t secrets, seen, buckets;
} vc_purged_t;

/* Parent, twice a day: opens the environment, destroys the secrets and
 * seen-sets of the days before keep_from and the daily buckets older than
 * history_days, in short transactions, and closes it again. */
apr_status_t vc_store_maintain(const vc_store_options_t *opts,
                               apr_int64_t now, apr_int64_t keep_from,
                               vc_purged_t *purged, const char **what,
                               apr_pool_t *ptemp);

/* Text for a status from this store: LMDB's own wording for its codes. */
const char *vc_store_strerror(apr_status_t status, char *buf,
                              apr_size_t bufsize);

#endif
