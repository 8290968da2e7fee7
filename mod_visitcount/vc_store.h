/* The store interface: what the rest of mod_visitcount knows about where
 * counts live.  A store is a table of operations (vc_store_ops_t) chosen
 * at configuration time, one implementation per engine: LMDB on the same
 * server (vc_store_lmdb*.c, the only files that see lmdb.h) and Redis,
 * shared by several servers (vc_store_redis.c, the only file that sees
 * hiredis.h).  Both give the same answers: the same counts and history,
 * the same visitor rules, the same status codes on failure.  Nothing here
 * depends on httpd: the module, the unit tests and the fuzzers link it
 * alike.  Every function returns an apr_status_t; engine failures are
 * folded into the VC_STORE_ range so vc_store_strerror() can name them.
 */
#ifndef VC_STORE_H
#define VC_STORE_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_errno.h"
#include "apr_thread_mutex.h"

#include "vc_url.h"
#include "vc_visitor.h"

#include <sys/types.h>

/* ---- shared types ------------------------------------------------------ */

typedef struct {
    apr_uint64_t count;
    apr_uint64_t unique;
} vc_counts_t;

typedef struct {
    const char *key;
    vc_counts_t counts;
} vc_entry_t;

/* What a hit knows about its visitor.  The ids are vc_visitor_id()s under
 * the secrets of the hit's day and of the day before; a store keeps them
 * for two days at most, and nothing else about the visitor. */
typedef struct {
    const unsigned char *id;        /* today's id; NULL: visitors untracked */
    const unsigned char *id_before; /* yesterday's id, or NULL */
    apr_uint32_t dedupe;            /* seconds a counted visit lasts; 0: off */
    int unique;                     /* count a visitor's first hit of the day
                                       as a unique visitor */
#ifdef VC_TEST_HOOKS
    int test_crash;                 /* kill the process in the middle of the
                                       hit (test builds only) */
#endif
} vc_visit_t;

/* What vc_store_hit() did, as bits. */
#define VC_HIT_COUNTED 1        /* the hit counted */
#define VC_HIT_SEEN_FULL 2      /* the record of visitors was full: counted,
                                   but the visitor could not be remembered */
#define VC_HIT_REDONE 4         /* its group-commit batch failed, and it was
                                   redone on its own */

/* What one maintenance pass removed. */
typedef struct {
    apr_size_t secrets, seen, buckets;
} vc_purged_t;

/* What vc_store_stats() reports: keys held, and bytes in use out of the
 * most the store may grow to (0: no limit set). */
typedef struct {
    apr_uint64_t keys;
    apr_uint64_t used_bytes;
    apr_uint64_t size_bytes;
} vc_store_stats_t;

/* One key's whole record, as `visitcount export` writes it and `import`
 * reads it: its totals and, when ndays > 0, its daily counts, daily[0]
 * being day first_day (a vc_day_of() number) and the rest the days after
 * it, oldest first. */
typedef struct {
    const char *key;
    vc_counts_t counts;
    apr_int64_t first_day;
    unsigned int ndays;
    vc_counts_t *daily;
} vc_record_t;

/* How an imported record combines with what the store holds for its key:
 * replace it, add to it, or keep the larger of each figure. */
typedef enum {
    VC_MERGE_SET = 0,
    VC_MERGE_ADD = 1,
    VC_MERGE_MAX = 2
} vc_merge_e;

/* Called by a dump once per record, in key order; a status other than
 * APR_SUCCESS stops the dump and is returned by it.  The record lives
 * until the call returns. */
typedef apr_status_t vc_dump_fn(void *baton, const vc_record_t *record);

/* ---- status codes ------------------------------------------------------ */

#define VC_STORE_ERRSPACE  (APR_OS_START_USERERR + 7700)
#define VC_STORE_FULL      (VC_STORE_ERRSPACE + 0)  /* LMDB's map is full */
#define VC_STORE_MAXED     (VC_STORE_ERRSPACE + 1)  /* count would wrap */
#define VC_STORE_BADFORMAT (VC_STORE_ERRSPACE + 2)  /* not our format */
#define VC_STORE_CLOSED    (VC_STORE_ERRSPACE + 3)  /* never opened */
#define VC_STORE_KEYS_FULL (VC_STORE_ERRSPACE + 4)  /* VisitCountMaxKeys */
#define VC_STORE_DOWN      (VC_STORE_ERRSPACE + 5)  /* engine unreachable */
#define VC_STORE_TIMEOUT   (VC_STORE_ERRSPACE + 6)  /* no answer in time: the
                                                       command may have run */
#define VC_STORE_FAILFAST  (VC_STORE_ERRSPACE + 7)  /* not tried: the engine
                                                       failed moments ago */
#define VC_STORE_ENGINE    (VC_STORE_ERRSPACE + 8)  /* the engine refused the
                                                       command (logged) */
#define VC_STORE_UNREPLICATED (VC_STORE_ERRSPACE + 9) /* applied, but fewer
                                                       replicas than asked
                                                       confirmed it */
#define VC_STORE_UNSUPPORTED (VC_STORE_ERRSPACE + 10) /* engine not built in */
#define VC_STORE_NOMEM     (VC_STORE_ERRSPACE + 11) /* Redis is at maxmemory */
/* VC_STORE_ERRSPACE + 100 + n: LMDB error code MDB_KEYEXIST + n */
#define VC_STORE_LMDB_BASE (VC_STORE_ERRSPACE + 100)
#define VC_STORE_LMDB_LAST (VC_STORE_ERRSPACE + 199)

/* Text for a status from a store: the engine's own wording where it has
 * one. */
const char *vc_store_strerror(apr_status_t status, char *buf,
                              apr_size_t bufsize);

/* ---- the options of a store --------------------------------------------- */

/* When a hit is on disk, for LMDB.  Under a threaded MPM, group and
 * relaxed commit the hits that arrive together in one transaction (group
 * commit); with one thread per process (prefork) each hit is its own
 * transaction. */
typedef enum {
    VC_DURABILITY_STRICT = 0,   /* one synchronous commit per hit */
    VC_DURABILITY_GROUP = 1,    /* synchronous commit per group of hits */
    VC_DURABILITY_RELAXED = 2   /* per group, data flushed, meta page not
                                   (MDB_NOMETASYNC); synced within 1 s */
} vc_durability_e;

/* "strict", "group" or "relaxed". */
const char *vc_durability_name(vc_durability_e d);

/* How a store reports what its status codes cannot say (an engine's own
 * error text, a lost connection, a setting to change), without knowing
 * about httpd's log.  level is one of VC_LOG_. */
#define VC_LOG_ERR 3
#define VC_LOG_WARNING 4
#define VC_LOG_NOTICE 5
#define VC_LOG_INFO 6
#define VC_LOG_DEBUG 7
typedef void vc_store_log_fn(void *baton, int level, const char *message);

typedef struct {
    vc_url_t url;               /* which engine, and where */
    unsigned int history_days;  /* daily buckets kept per key */
    apr_uint64_t max_keys;      /* keys the store may hold */
    apr_uint32_t longest_dedupe; /* the longest visit any scope counts
                                    with, in seconds */
    int threaded;               /* requests run concurrently in this process */
    vc_store_log_fn *log;       /* NULL: nothing is reported */
    void *log_baton;
    /* LMDB */
    const char *dir;            /* absolute path of the environment */
    apr_uint64_t map_size;      /* bytes */
    vc_durability_e durability;
    unsigned int max_readers;   /* concurrent read transactions, all processes */
    /* Redis */
    const char *prefix;         /* of every key name */
    const char *password;       /* the password file's, else the URL's;
                                   or NULL */
    apr_uint32_t connect_timeout_ms;
    apr_uint32_t command_timeout_ms;
    unsigned int pool_size;     /* connections per process */
    apr_uint32_t fail_fast;     /* seconds without trying after a failure */
    unsigned int wait_replicas; /* WAIT for this many replicas; 0: no */
    apr_uint32_t wait_timeout_ms;
} vc_store_options_t;

/* Entries LMDB's record of visitors may hold (two days of visitors), from
 * the map size: a visitor past the bound still counts, but is not
 * remembered (so not unique, and not deduplicated). */
#define VC_SEEN_MAX(map_size) ((map_size) / 512)

/* ---- the operations ---------------------------------------------------- */

typedef struct vc_store vc_store_t;

typedef struct {
    const char *name;

    /* Parent, at start-up: makes the store ready for the children (LMDB
     * creates and checks the directory and gives it to uid:gid when
     * chown_to_user is set), then lets go of it.  On failure *what says
     * which step failed. */
    apr_status_t (*prepare)(const vc_store_options_t *o, int chown_to_user,
                            uid_t uid, gid_t gid, const char **what,
                            apr_pool_t *ptemp);

    /* Parent, twice a day: destroys the secrets and records of visitors
     * of the days before keep_from, and daily buckets older than
     * history_days, without holding up hits for long. */
    apr_status_t (*maintain)(const vc_store_options_t *o, apr_int64_t now,
                             apr_int64_t keep_from, vc_purged_t *purged,
                             const char **what, apr_pool_t *ptemp);

    /* Child: the store for this process, closed when pool is cleared. */
    apr_status_t (*open)(vc_store_t **store, const vc_store_options_t *o,
                         const char **what, apr_pool_t *pool);

    /* The rest as the wrappers below describe them. */
    apr_status_t (*hit)(vc_store_t *st, const char *key,
                        const vc_visit_t *visit, apr_int64_t now,
                        vc_counts_t *after, unsigned int *result);
    apr_status_t (*get)(vc_store_t *st, const char *key, vc_counts_t *counts,
                        int *found);
    apr_status_t (*history)(vc_store_t *st, const char *key,
                            vc_counts_t *counts, apr_int64_t last_day,
                            unsigned int ndays, vc_counts_t *daily,
                            apr_pool_t *pool);
    apr_status_t (*secret)(vc_store_t *st, apr_int64_t day, int create,
                           apr_int64_t now,
                           unsigned char secret[VC_SECRET_LEN], int *found);
    apr_status_t (*set)(vc_store_t *st, const char *key,
                        const vc_counts_t *counts);
    apr_status_t (*remove)(vc_store_t *st, const char *key, int *existed);
    apr_status_t (*list)(vc_store_t *st, const char *prefix,
                         const char *after, unsigned int limit,
                         apr_array_header_t **entries, int *more,
                         apr_pool_t *pool);
    apr_status_t (*stats)(vc_store_t *st, vc_store_stats_t *stats);
    void (*close)(vc_store_t *st);

    /* The bulk operations of the admin tool, as the wrappers below
     * describe them. */
    apr_status_t (*dump)(vc_store_t *st, const char *prefix, int with_days,
                         vc_dump_fn *fn, void *baton, apr_pool_t *pool);
    apr_status_t (*load)(vc_store_t *st, const vc_record_t *records,
                         apr_size_t n, vc_merge_e mode, apr_int64_t now,
                         apr_size_t *bad, apr_pool_t *pool);
    apr_status_t (*backup)(vc_store_t *st, const char *dest,
                           apr_uint64_t *txnid, const char **what,
                           apr_pool_t *pool);
    apr_status_t (*verify)(vc_store_t *st, apr_int64_t now,
                           apr_uint64_t *problems, const char **first,
                           apr_pool_t *pool);
} vc_store_ops_t;

/* The secrets of today and yesterday a process has read, so that hits
 * need not look them up. */
typedef struct {
    apr_int64_t day;            /* -1: empty */
    unsigned char secret[VC_SECRET_LEN];
} vc_secret_slot_t;

/* What every store begins with; an engine's own state follows it. */
struct vc_store {
    const vc_store_ops_t *ops;
    vc_secret_slot_t secrets[2];
    apr_thread_mutex_t *secret_mutex;   /* NULL when unthreaded */
};

extern const vc_store_ops_t vc_store_lmdb_ops;
/* LMDB's own words for a status in VC_STORE_LMDB_BASE..LAST. */
const char *vc_store_lmdb_strerror(apr_status_t status);
#ifdef VC_HAVE_REDIS
extern const vc_store_ops_t vc_store_redis_ops;
#endif

/* The engine o names, or NULL when this build has none for it. */
const vc_store_ops_t *vc_store_engine(const vc_store_options_t *o);

/* ---- calls the module makes (vc_store_front.c); a NULL store answers
 * VC_STORE_CLOSED ------------------------------------------------------- */

apr_status_t vc_store_prepare(const vc_store_options_t *o, int chown_to_user,
                              uid_t uid, gid_t gid, const char **what,
                              apr_pool_t *ptemp);

apr_status_t vc_store_maintain(const vc_store_options_t *o, apr_int64_t now,
                               apr_int64_t keep_from, vc_purged_t *purged,
                               const char **what, apr_pool_t *ptemp);

apr_status_t vc_store_open(vc_store_t **store, const vc_store_options_t *o,
                           const char **what, apr_pool_t *pool);

/* One hit at Unix time now: unless visit says it repeats a visit still
 * inside its dedupe window (counts untouched), adds 1 to key's count and
 * to today's bucket, and 1 to both unique counts when this is the
 * visitor's first hit on key today; drops buckets older than the history.
 * All of it happens at once or not at all.  *after holds the counts after
 * it either way; *result the VC_HIT_ bits.  Returns once the hit is as
 * durable as the store promises; on failure nothing of it was stored,
 * except after VC_STORE_TIMEOUT or VC_STORE_UNREPLICATED, when it may
 * have been.  visit may be NULL. */
apr_status_t vc_store_hit(vc_store_t *st, const char *key,
                          const vc_visit_t *visit, apr_int64_t now,
                          vc_counts_t *after, unsigned int *result);

/* Reads key; a key never hit reads as zeros with *found = 0 (found may be
 * NULL). */
apr_status_t vc_store_get(vc_store_t *st, const char *key,
                          vc_counts_t *counts, int *found);

/* Reads key, and into daily[0 .. ndays-1] its buckets of the ndays days
 * ending with last_day, oldest first, zeros where there were no hits; all
 * from the same moment.  pool lends scratch memory. */
apr_status_t vc_store_history(vc_store_t *st, const char *key,
                              vc_counts_t *counts, apr_int64_t last_day,
                              unsigned int ndays, vc_counts_t *daily,
                              apr_pool_t *pool);

/* The random secret of a UTC day, shared by every process (and, with a
 * shared store, every server).  When the day has none yet and create is
 * set, one is made at Unix time now from apr_generate_random_bytes(),
 * unless another process got there first: then that one is used.
 * Otherwise *found = 0.  Cached per process. */
apr_status_t vc_store_secret(vc_store_t *st, apr_int64_t day, int create,
                             apr_int64_t now,
                             unsigned char secret[VC_SECRET_LEN], int *found);

/* Replaces key's counts (admin).  A new key beyond max_keys is refused
 * with VC_STORE_KEYS_FULL, as for a hit. */
apr_status_t vc_store_set(vc_store_t *st, const char *key,
                          const vc_counts_t *counts);

/* Removes key and its history (admin); *existed says whether there was
 * anything. */
apr_status_t vc_store_delete(vc_store_t *st, const char *key, int *existed);

/* Lists up to limit keys starting with prefix and sorting after `after`
 * (either may be ""), in byte order, as vc_entry_t in *entries.  *more is
 * set when further keys follow the last one returned. */
apr_status_t vc_store_list(vc_store_t *st, const char *prefix,
                           const char *after, unsigned int limit,
                           apr_array_header_t **entries, int *more,
                           apr_pool_t *pool);

apr_status_t vc_store_stats(vc_store_t *st, vc_store_stats_t *stats);

/* Closes the store now rather than with its pool. */
void vc_store_close(vc_store_t *st);

/* ---- bulk operations, for the admin tool (tools/visitcount) ----------- */

/* Calls fn once per key starting with prefix (may be ""), in byte order,
 * with its totals and, when with_days is set, its daily buckets (only the
 * days that have any).  LMDB reads every record from one snapshot (one
 * read transaction) while httpd keeps counting; Redis reads a page of
 * keys per round trip, each record consistent in itself, the pages from
 * successive moments.  pool lends scratch memory, cleared as it goes. */
apr_status_t vc_store_dump(vc_store_t *st, const char *prefix, int with_days,
                           vc_dump_fn *fn, void *baton, apr_pool_t *pool);

/* Applies records[0 .. n-1] as one transaction: all of them or none.
 * mode says how each combines with what the key holds (VC_MERGE_SET
 * replaces its counts and its whole history).  Refused, with nothing
 * written, when a record is inconsistent (unique above count: APR_EINVAL),
 * when a sum would pass 2^64-1 (VC_STORE_MAXED) and when new keys would
 * take the store past max_keys (VC_STORE_KEYS_FULL); *bad is then the
 * index of the record at fault.  Buckets older than history_days before
 * the day of now are dropped. */
apr_status_t vc_store_load(vc_store_t *st, const vc_record_t *records,
                           apr_size_t n, vc_merge_e mode, apr_int64_t now,
                           apr_size_t *bad, apr_pool_t *pool);

/* A compacted copy of the whole store, taken while it is in use, into
 * dest (an existing empty directory); *txnid is the last transaction
 * committed as the copy began: the copy holds it and all before it (and
 * perhaps one committed at that very moment).  LMDB only: other stores answer VC_STORE_UNSUPPORTED. */
apr_status_t vc_store_backup(vc_store_t *st, const char *dest,
                             apr_uint64_t *txnid, const char **what,
                             apr_pool_t *pool);

/* Checks the store's format and every record's consistency (unique at
 * most count, daily sums at most the totals, buckets inside the history
 * as of now, well-formed keys and records); *problems counts what is
 * wrong and *first describes the first of it (NULL when none). */
apr_status_t vc_store_verify(vc_store_t *st, apr_int64_t now,
                             apr_uint64_t *problems, const char **first,
                             apr_pool_t *pool);

#endif
