/* Deciding whether a request counts, and counting it: the filters every
 * hit goes through (visitcount-ignore, robots, prefetches, repeat visits),
 * the visitor's daily id, and VisitCountPage's counting of documents as
 * they are served.  Shared by the API handler and the page fixup.
 */
#ifndef VC_COUNT_H
#define VC_COUNT_H

#include "httpd.h"

#include "vc_config.h"
#include "vc_store.h"

/* This process's store, opened in child_init.  When the open failed,
 * store is NULL and status says why: every request then answers 503. */
typedef struct {
    vc_store_t *store;
    apr_status_t status;
} vc_child_t;

extern vc_child_t vc_child;

/* The result of a hit: the counts after it, and why it did not count
 * (NULL when it did): "ignored", "bot", "prefetch", "ratelimited" or
 * "duplicate". */
typedef struct {
    vc_counts_t counts;
    const char *reason;
    /* Flood control: when a hit over the limit must answer 429
     * (VisitCountRateLimitStatus 429), the seconds until its window ends,
     * for Retry-After; else 0. */
    apr_uint32_t retry_after;
} vc_outcome_t;

/* vc_count_hit's flags: a badge fetch by GitHub's image proxy (camo),
 * on behalf of a viewer it hides: neither the robot filter nor dedupe
 * nor unique visitors apply, since every fetch comes from the proxy's own
 * address and User-Agent (visitcount-ignore and the prefetch headers
 * still do), and flood control limits the key's attempts rather than the
 * client address's. */
#define VC_COUNT_CAMO 0x1

/* Applies dc's filters to r and records the hit on key unless one of them
 * says no; out gets the counts either way.  token is the browser's
 * visitor token from the hit's body (vc_visitor_token_ok), or NULL;
 * flags are VC_COUNT_ bits.  How the hit ended goes to the shared figures
 * (vc_stats.h) and to r's note "visitcount". */
apr_status_t vc_count_hit(request_rec *r, const vc_dir_conf *dc,
                          const char *key, const char *token,
                          unsigned int flags, vc_outcome_t *out);

/* Parent, in post_config: maps flood control's table on the first start,
 * finds it again on a restart.  NULL, or why it failed. */
const char *vc_ratelimit_init(server_rec *s);

/* The clock hits are counted by: seconds since the epoch.  Test builds
 * (--enable-test-hooks) shift it by the number of seconds in the file
 * named by the VISITCOUNT_TEST_CLOCK_FILE environment variable, read by
 * vc_clock_init() (at start-up, in each new child, and in the parent's
 * monitor), so tests can cross UTC midnight without waiting. */
apr_int64_t vc_clock_now(apr_time_t t);
void vc_clock_init(void);

/* Logs a store failure, at most once per 10 s per process, so a full
 * disk or a broken store cannot flood the error log. */
void vc_log_store_error(request_rec *r, apr_status_t status, const char *op,
                        const char *key);

/* The store's own reports (vc_store_log_fn), baton being the main
 * server; errors of each kind (VCnnnn tag) are held to one line per 10 s
 * per process, as above. */
void vc_log_store_message(void *baton, int level, const char *message);

/* Fixup hook: counts the document r serves when VisitCountPage is on in
 * its scope, and sets VISITCOUNT_COUNT and VISITCOUNT_UNIQUE for it. */
int vc_page_fixup(request_rec *r);

#endif
