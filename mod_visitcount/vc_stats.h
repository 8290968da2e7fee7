/* The module's running figures, shared by every child of one httpd: how
 * hits ended (counted, or why not) and how many store calls failed, by
 * kind.  They live in a shared memory segment the parent maps once and
 * keeps for its whole life, so every child of every generation adds to
 * the same figures: they survive graceful and ordinary restarts, and start
 * at zero when httpd starts.  Each figure is one 64-bit counter changed
 * atomically; nothing is locked and nothing is logged per request.  Read
 * by the mod_status section (vc_status.c) and the metrics handler
 * (vc_metrics.c).
 */
#ifndef VC_STATS_H
#define VC_STATS_H

#include "httpd.h"

/* How a hit ended.  Every one but VC_OUT_COUNTED is a reason it was not
 * counted; VC_OUT_ERROR is a hit whose store call failed (after a
 * timeout it may still have counted). */
typedef enum {
    VC_OUT_COUNTED = 0,
    VC_OUT_DUPLICATE,
    VC_OUT_BOT,
    VC_OUT_PREFETCH,
    VC_OUT_IGNORED,
    VC_OUT_ERROR,
    VC_OUT_RATELIMITED,             /* over VisitCountRateLimit */
    VC_OUT_N
} vc_out_e;

/* The kinds of store failure: unreachable or too slow (503), out of room
 * (507), anything else. */
typedef enum {
    VC_ERR_UNAVAILABLE = 0,
    VC_ERR_FULL,
    VC_ERR_OTHER,
    VC_ERR_N
} vc_err_e;

typedef struct {
    apr_uint64_t outcomes[VC_OUT_N];
    apr_uint64_t store_errors[VC_ERR_N];
} vc_stats_t;

/* Parent, in post_config: maps the figures on the first start, finds them
 * again on a restart.  NULL, or why it failed. */
const char *vc_stats_init(server_rec *s);

/* Records how r's hit ended, and says so in r's note "visitcount". */
void vc_stats_outcome(request_rec *r, vc_out_e outcome);

/* Records a failed store call. */
void vc_stats_store_error(apr_status_t status);

/* A copy of the figures as they are now (zeros before vc_stats_init). */
void vc_stats_read(vc_stats_t *out);

/* "counted", "duplicate", "bot", "prefetch", "ignored", "error",
 * "ratelimited". */
const char *vc_out_name(vc_out_e outcome);
/* The same, capitalised, for mod_status's ?auto lines ("Bot"). */
const char *vc_out_title(vc_out_e outcome);
/* "unavailable", "full", "other"; and "Unavailable", ... */
const char *vc_err_name(vc_err_e kind);
const char *vc_err_title(vc_err_e kind);

#endif
