/* Counting visits.  Every hit, whether it comes from the API or from a
 * document served under VisitCountPage, passes the same filters in the
 * same order: the administrator's visitcount-ignore variable, robots by
 * User-Agent, speculative loads by their headers, flood control
 * (VisitCountRateLimit, vc_ratelimit.c's table in shared memory), and
 * finally repeat visits, which only the store can judge.  A visitor is known only by an
 * id derived from the day's secret; the address, the User-Agent and the
 * browser's token (when its front end sends one) are hashed here and
 * never leave this file.
 */
#include "vc_count.h"
#include "vc_bots.h"
#include "vc_module.h"
#include "vc_parse.h"
#include "vc_ratelimit.h"
#include "vc_shm.h"
#include "vc_stats.h"
#include "vc_visitor.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VC_LOG_INTERVAL 10          /* seconds between store error lines */
#define VC_FULL_INTERVAL 600        /* seconds between "seen-set full" lines */
#define VC_LOG_KINDS 32             /* store reports limited apart */
#define VC_RL_BUCKETS 16384         /* flood control: 1 MiB, 114688 clients */

vc_child_t vc_child;

/* Flood control's table, mapped by the parent and inherited by every
 * child; it lives as long as the parent, across restarts. */
static vc_rl_table_t *rl_table;

static apr_int64_t clock_offset;

void vc_clock_init(void)
{
#ifdef VC_TEST_HOOKS
    const char *path = getenv("VISITCOUNT_TEST_CLOCK_FILE");
    FILE *f = path ? fopen(path, "r") : NULL;
    long long offset;

    if (f) {
        if (fscanf(f, "%lld", &offset) == 1) {
            clock_offset = (apr_int64_t)offset;
        }
        fclose(f);
    }
#endif
}

apr_int64_t vc_clock_now(apr_time_t t)
{
    return (apr_int64_t)apr_time_sec(t) + clock_offset;
}

/* True for the first caller of this process at time t or later since
 * the last one it was true for, which was at least interval seconds ago:
 * a log line's turn. */
static int first_in(apr_uint32_t *next_sec, apr_time_t t,
                    apr_uint32_t interval)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(t);
    apr_uint32_t next = apr_atomic_read32(next_sec);

    return now >= next
           && apr_atomic_cas32(next_sec, now + interval, next) == next;
}

/* A log line allowed at most once per interval per process; *missed
 * counts the lines that were not. */
typedef struct {
    apr_uint32_t next_sec;
    apr_uint32_t missed;
} vc_log_limit_t;

/* True when a line may be logged now; then *missed says how many were
 * held back since the last one. */
static int log_allowed(vc_log_limit_t *l, apr_time_t t, apr_uint32_t *missed)
{
    if (!first_in(&l->next_sec, t, VC_LOG_INTERVAL)) {
        apr_atomic_inc32(&l->missed);
        return 0;
    }
    *missed = apr_atomic_xchg32(&l->missed, 0);
    return 1;
}

void vc_log_store_error(request_rec *r, apr_status_t status, const char *op,
                        const char *key)
{
    static vc_log_limit_t limit;
    apr_uint32_t missed;
    char buf[120];

    /* Counted before the log's limit: the figures miss nothing.  A
     * process without a store reports why its open failed; that is the
     * store being unavailable, whatever the reason. */
    vc_stats_store_error(vc_child.store ? status : VC_STORE_CLOSED);
    if (!log_allowed(&limit, r->request_time, &missed)) {
        return;
    }
    /* A full key table is the bound doing its job, not a fault.  A full
     * disk reaches LMDB as a short write, which it reports as EIO. */
    ap_log_rerror(APLOG_MARK,
                  status == VC_STORE_KEYS_FULL ? APLOG_WARNING : APLOG_ERR, 0, r,
                  "VC0202: store %s of key '%s' failed: %s%s"
                  " (%u more store errors in the last %d s not logged)",
                  op, key ? key : "", vc_store_strerror(status, buf, sizeof(buf)),
                  status == APR_FROM_OS_ERROR(EIO) || APR_STATUS_IS_ENOSPC(status)
                  || status == APR_FROM_OS_ERROR(EDQUOT)
                  ? "; is the disk holding VisitCountDB full?" : "",
                  missed, VC_LOG_INTERVAL);
}

void vc_log_store_message(void *baton, int level, const char *message)
{
    /* One limit per kind of report (its VCnnnn tag), so that one failure
     * does not hide another. */
    static vc_log_limit_t limits[VC_LOG_KINDS];
    apr_uint32_t missed = 0;
    unsigned int kind = 0;
    char more[96] = "";

    if (!strncmp(message, "VC", 2) && apr_isdigit(message[2])
        && apr_isdigit(message[3]) && apr_isdigit(message[4])
        && apr_isdigit(message[5])) {
        kind = (unsigned int)atoi(message + 2) % VC_LOG_KINDS;
    }
    if (level <= VC_LOG_ERR
        && !log_allowed(&limits[kind], apr_time_now(), &missed)) {
        return;
    }
    if (missed) {
        apr_snprintf(more, sizeof(more), " (%u more store reports in the "
                     "last %d s not logged)", missed, VC_LOG_INTERVAL);
    }
    ap_log_error(APLOG_MARK, level, 0, (server_rec *)baton, "%s%s", message,
                 more);
}

/* Says, at most once per VC_FULL_INTERVAL per process, that new visitors
 * are being counted without being remembered. */
static void log_seen_full(request_rec *r)
{
    static apr_uint32_t next_sec;

    if (!first_in(&next_sec, r->request_time, VC_FULL_INTERVAL)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "VC0206: the store's record of today's visitors is full "
                  "(VisitCountMapSize / 512 entries): new visitors still "
                  "count, but are neither deduplicated nor counted as "
                  "unique until it is purged after midnight; raise "
                  "VisitCountMapSize");
}

/* The filters that need no store: why r must not count, or NULL.  The
 * administrator's visitcount-ignore always applies.  A camo fetch is a
 * robot by its User-Agent, but one fetching for a person, so the robot
 * filter passes it; a speculative load is still no view, whoever made
 * it. */
static const char *filtered(request_rec *r, const vc_dir_conf *dc,
                            unsigned int flags)
{
    if (apr_table_get(r->subprocess_env, "visitcount-ignore")) {
        return "ignored";
    }
    if (vc_conf_count_bots(dc)) {
        return NULL;
    }
    if (!(flags & VC_COUNT_CAMO)
        && vc_bot_check(apr_table_get(r->headers_in, "User-Agent"))) {
        return "bot";
    }
    if (vc_prefetch_check(apr_table_get(r->headers_in, "Purpose"),
                          apr_table_get(r->headers_in, "Sec-Purpose"),
                          apr_table_get(r->headers_in, "X-Purpose"),
                          apr_table_get(r->headers_in, "X-Moz"))) {
        return "prefetch";
    }
    return NULL;
}

/* ---- flood control ---------------------------------------------------- */

const char *vc_ratelimit_init(server_rec *s)
{
    void *mem;
    int created;
    const char *err = vc_shm_attach(s, "visitcount-ratelimit",
                                    vc_rl_table_size(VC_RL_BUCKETS),
                                    "VisitCountRateLimit", &mem, &created);

    if (!err) {
        rl_table = created ? vc_rl_table_init(mem, VC_RL_BUCKETS) : mem;
    }
    return err;
}

/* The table's hashing key for a window beginning at start: from the
 * secret of the day the window began, so that a window crossing midnight
 * keeps its counts; from today's when that one is gone already. */
static apr_status_t ratelimit_key(apr_int64_t start, apr_int64_t now,
                                  unsigned char key[VC_RL_KEY_LEN])
{
    unsigned char secret[VC_SECRET_LEN];
    apr_int64_t day = vc_day_of(start), today = vc_day_of(now);
    apr_status_t rv;
    int found = 0;

    rv = vc_store_secret(vc_child.store, day, day == today, now, secret,
                         &found);
    if (rv == APR_SUCCESS && !found) {
        rv = vc_store_secret(vc_child.store, today, 1, now, secret, &found);
    }
    if (rv == APR_SUCCESS) {
        vc_rl_key(secret, sizeof(secret), key);
    }
    memset(secret, 0, sizeof(secret));
    return rv;
}

/* Says, at most once per VC_FULL_INTERVAL per process, that flood
 * control's table is too crowded to keep every client's count. */
static void log_table_full(request_rec *r)
{
    static apr_uint32_t next_sec;

    if (!first_in(&next_sec, r->request_time, VC_FULL_INTERVAL)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "VC0208: VisitCountRateLimit's table is crowded: %"
                  APR_UINT64_T_FMT " clients of a current window have made "
                  "room for others since httpd started; each starts its "
                  "window again, so it may get more than the limit",
                  vc_rl_evictions(rl_table));
}

/* Flood control: sets out->reason to "ratelimited" when r's client (or,
 * for a badge fetched through camo, key) has used up its attempts of the
 * window.  Only a failure to read the day's secret is an error. */
static apr_status_t ratelimited(request_rec *r, const vc_dir_conf *dc,
                                const char *key, unsigned int flags,
                                apr_int64_t now, vc_outcome_t *out)
{
    unsigned char hkey[VC_RL_KEY_LEN];
    apr_uint32_t period = 0, retry = 0;
    apr_uint32_t limit = vc_conf_rate_limit(dc, &period);
    apr_uint64_t hash, evicted;
    apr_status_t rv;

    if (!limit || !rl_table) {
        return APR_SUCCESS;
    }
    rv = ratelimit_key(now - now % (apr_int64_t)period, now, hkey);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    hash = (flags & VC_COUNT_CAMO)
           ? vc_rl_hash_key(hkey, key, limit, period)
           : vc_rl_hash_addr(hkey, r->useragent_ip, limit, period);
    memset(hkey, 0, sizeof(hkey));
    evicted = vc_rl_evictions(rl_table);
    if (!vc_rl_attempt(rl_table, hash, limit, period, now, &retry)) {
        out->reason = "ratelimited";
        if (vc_conf_rate_status(dc) == HTTP_TOO_MANY_REQUESTS) {
            out->retry_after = retry;
        }
    }
    else if (vc_rl_evictions(rl_table) != evicted) {
        log_table_full(r);
    }
    return APR_SUCCESS;
}

/* ---- counting ----------------------------------------------------------- */

/* The visitor's ids for today and, while a visit begun yesterday could
 * still be running, for yesterday. */
static apr_status_t visitor_ids(request_rec *r, const char *key,
                                const char *token, apr_int64_t now,
                                vc_visit_t *vis,
                                unsigned char *today, unsigned char *before)
{
    unsigned char secret[VC_SECRET_LEN];
    const char *ua = apr_table_get(r->headers_in, "User-Agent");
    apr_int64_t day = vc_day_of(now);
    apr_status_t rv;
    int found;

    rv = vc_store_secret(vc_child.store, day, 1, now, secret, &found);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    vc_visitor_id(secret, r->useragent_ip, ua, key, token, today);
    vis->id = today;
    if (vis->dedupe && now - (apr_int64_t)vis->dedupe < day * VC_DAY_SECONDS) {
        rv = vc_store_secret(vc_child.store, day - 1, 0, now, secret, &found);
        if (rv == APR_SUCCESS && found) {
            vc_visitor_id(secret, r->useragent_ip, ua, key, token,
                          before);
            vis->id_before = before;
        }
    }
    memset(secret, 0, sizeof(secret));
    return rv;
}

static apr_status_t count_hit(request_rec *r, const vc_dir_conf *dc,
                              const char *key, const char *token,
                              unsigned int flags, vc_outcome_t *out)
{
    unsigned char today[VC_VISITOR_LEN], before[VC_VISITOR_LEN];
    apr_int64_t now = vc_clock_now(r->request_time);
    vc_visit_t vis;
    apr_status_t rv;
    unsigned int result;

    out->retry_after = 0;
    out->reason = filtered(r, dc, flags);
    if (!out->reason
        && (rv = ratelimited(r, dc, key, flags, now, out)) != APR_SUCCESS) {
        return rv;
    }
    if (out->reason) {
        return vc_store_get(vc_child.store, key, &out->counts, NULL);
    }
    memset(&vis, 0, sizeof(vis));
    /* Behind camo every viewer has the proxy's address and User-Agent:
     * a visitor id would make them all one visitor, so there is none. */
    if (!(flags & VC_COUNT_CAMO)) {
        vis.dedupe = vc_conf_dedupe(dc);
        vis.unique = vc_conf_unique(dc);
    }
#ifdef VC_TEST_HOOKS
    /* Lets the test suite kill a child while it holds the write lock. */
    vis.test_crash = apr_table_get(r->headers_in, "VisitCount-Test-Crash") != NULL;
#endif
    if (vis.dedupe || vis.unique) {
        rv = visitor_ids(r, key, token, now, &vis, today, before);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    rv = vc_store_hit(vc_child.store, key, &vis, now, &out->counts, &result);
    if (rv == APR_SUCCESS && !(result & VC_HIT_COUNTED)) {
        out->reason = "duplicate";
    }
    if (result & VC_HIT_SEEN_FULL) {
        log_seen_full(r);
    }
    if (result & VC_HIT_REDONE) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      "VC0207: the group commit holding the hit on key '%s' "
                      "failed; the hit was committed alone", key);
    }
    return rv;
}

/* The outcome of a hit for the figures and the request's note: a hit
 * the filters turned away keeps its reason even when reading its counts
 * then failed (that failure is a store error of its own). */
static vc_out_e outcome_of(apr_status_t rv, const char *reason)
{
    if (rv != APR_SUCCESS && !reason) {
        return VC_OUT_ERROR;
    }
    if (!reason) {
        return VC_OUT_COUNTED;
    }
    return !strcmp(reason, "bot") ? VC_OUT_BOT
         : !strcmp(reason, "prefetch") ? VC_OUT_PREFETCH
         : !strcmp(reason, "ignored") ? VC_OUT_IGNORED
         : !strcmp(reason, "ratelimited") ? VC_OUT_RATELIMITED
         : VC_OUT_DUPLICATE;
}

apr_status_t vc_count_hit(request_rec *r, const vc_dir_conf *dc,
                          const char *key, const char *token,
                          unsigned int flags, vc_outcome_t *out)
{
    apr_status_t rv = count_hit(r, dc, key, token, flags, out);

    vc_stats_outcome(r, outcome_of(rv, out->reason));
    return rv;
}

/* ---- VisitCountPage --------------------------------------------------- */

/* True when r, or a request it was redirected from, failed: then r is an
 * ErrorDocument, not the page that was asked for. */
static int error_document(const request_rec *r)
{
    for (r = r->prev; r; r = r->prev) {
        if (ap_is_HTTP_ERROR(r->status)) {
            return 1;
        }
    }
    return 0;
}

/* The key of the page the client asked for: its URL path as sent (before
 * DirectoryIndex or other internal redirects), decoded, without the
 * leading and trailing '/'; "/" is the default key.  NULL when that path
 * is not a valid key. */
static const char *page_key(request_rec *r, const vc_dir_conf *dc)
{
    const request_rec *first = r;
    const char *path;
    apr_size_t len;
    char *key;

    while (first->prev) {
        first = first->prev;
    }
    path = first->parsed_uri.path ? first->parsed_uri.path : "/";
    key = vc_unescape(r->pool, path, strlen(path), 0, &len);
    if (!key) {
        return NULL;
    }
    while (len > 0 && key[len - 1] == '/') {
        key[--len] = '\0';
    }
    while (*key == '/') {
        key++;
        len--;
    }
    if (len == 0) {
        return vc_conf_default_key(dc);
    }
    return vc_key_check(key, len) ? NULL : key;
}

int vc_page_fixup(request_rec *r)
{
    const vc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                 &visitcount_module);
    vc_outcome_t out;
    const char *key;
    apr_status_t rv;

    /* Only what a client asked for and will get: no subrequests (SSI
     * includes), no HEAD, no error documents, no missing files, no
     * directory listings, and not the API itself. */
    if (!dc || dc->page != 1 || r->main || r->method_number != M_GET
        || r->header_only || r->finfo.filetype != APR_REG
        || error_document(r)
        || (r->handler && !strncmp(r->handler, "visitcount", 10))) {
        return DECLINED;
    }
    if (!(key = page_key(r, dc))) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "VC0301: not counting %s: its path is not a valid key",
                      r->uri);
        return DECLINED;
    }
    if (!vc_child.store) {
        /* VC0003 already said why; the figures still count the hit. */
        vc_stats_store_error(VC_STORE_CLOSED);
        vc_stats_outcome(r, VC_OUT_ERROR);
        return DECLINED;
    }
    if ((rv = vc_count_hit(r, dc, key, NULL, 0, &out)) != APR_SUCCESS) {
        vc_log_store_error(r, rv, "page hit", key);
        return DECLINED;            /* the page is served all the same */
    }
    apr_table_setn(r->subprocess_env, "VISITCOUNT_COUNT",
                   apr_psprintf(r->pool, "%" APR_UINT64_T_FMT,
                                out.counts.count));
    apr_table_setn(r->subprocess_env, "VISITCOUNT_UNIQUE",
                   apr_psprintf(r->pool, "%" APR_UINT64_T_FMT,
                                out.counts.unique));
    return DECLINED;
}
