/* Who a visitor is, and whether a request should count: the keyed hash
 * that identifies a visitor for one day without storing anything about
 * them, the UTC day arithmetic the daily secret and history rest on, and
 * the prefetch check.  Pure code (APR types only), so the unit tests reach
 * all of it; the User-Agent rules are in vc_bots.c.
 */
#ifndef VC_VISITOR_H
#define VC_VISITOR_H

#include "apr.h"

#define VC_SECRET_LEN 32        /* bytes of the daily secret */
#define VC_VISITOR_LEN 16       /* bytes of a visitor id */
#define VC_DAY_SECONDS 86400

/* SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit PRF, fed in
 * pieces.  Used here as two independent PRFs, one per half of the
 * secret, to make a 128-bit visitor id. */
typedef struct {
    apr_uint64_t v0, v1, v2, v3;
    apr_uint64_t tail;          /* bytes not yet compressed, little-endian */
    apr_size_t len;             /* total bytes fed */
} vc_siphash_t;

void vc_siphash_init(vc_siphash_t *h, const unsigned char key[16]);
void vc_siphash_update(vc_siphash_t *h, const void *data, apr_size_t len);
apr_uint64_t vc_siphash_final(vc_siphash_t *h);

/* One-shot SipHash-2-4 of data under key. */
apr_uint64_t vc_siphash(const unsigned char key[16], const void *data,
                        apr_size_t len);

/* The visitor id of (ip, user_agent, key) under the day's secret, and of
 * the browser's token when it sent one (NULL: none), so two profiles of one
 * browser on one address are two visitors.  Each field is length-prefixed,
 * so no two different inputs hash the same bytes.  A NULL ip, user_agent
 * or key counts as empty. */
void vc_visitor_id(const unsigned char secret[VC_SECRET_LEN],
                   const char *ip, const char *user_agent, const char *key,
                   const char *token, unsigned char id[VC_VISITOR_LEN]);

/* A browser's visitor token, as a hit's body may carry it: random letters,
 * digits, '-' and '_' that the front end keeps in the browser.  1 when
 * token has that form. */
#define VC_TOKEN_MIN 16
#define VC_TOKEN_MAX 64
int vc_visitor_token_ok(const char *token);

/* UTC day number (days since 1970-01-01) of a Unix time in seconds. */
apr_int64_t vc_day_of(apr_int64_t unix_seconds);

/* "YYYY-MM-DD" for a day number; buf holds at least 11 bytes.  Valid for
 * years 0000 to 9999; other days give "0000-00-00". */
void vc_day_format(apr_int64_t day, char *buf);

/* 1 when a request is a speculative load, not a person looking: a
 * Purpose, Sec-Purpose, X-Purpose or X-Moz header naming prefetch,
 * prerender or preview.  Each argument is that header's value or NULL. */
int vc_prefetch_check(const char *purpose, const char *sec_purpose,
                      const char *x_purpose, const char *x_moz);

#endif
