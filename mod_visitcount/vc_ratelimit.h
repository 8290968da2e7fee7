/* Flood control's table: how many counting attempts each client made in
 * the current window, for VisitCountRateLimit.  Pure code over APR (no
 * httpd header), so the unit tests reach all of it: the client's masked
 * address (IPv4 /32, IPv6 /64) or a badge's key, hashed under a key
 * derived from the day's secret; fixed windows aligned on the epoch; and a
 * fixed-size table in shared memory whose buckets of 7 entries are each
 * guarded by a lock word, so that every process and thread of every MPM
 * sees one count per client and never lets more than the limit through.
 */
#ifndef VC_RATELIMIT_H
#define VC_RATELIMIT_H

#include "apr.h"

#define VC_RL_KEY_LEN 16            /* bytes of the hashing key */
#define VC_RL_MAX_LIMIT 65535       /* attempts per window */
#define VC_RL_MAX_PERIOD 86400      /* seconds of a window */
#define VC_RL_SLOTS 7               /* entries per bucket: the probe */

typedef struct vc_rl_table vc_rl_table_t;

/* The hashing key of the table, derived from the day's secret (32 bytes),
 * so that no two uses of the secret hash alike. */
void vc_rl_key(const unsigned char *secret, apr_size_t secret_len,
               unsigned char key[VC_RL_KEY_LEN]);

/* The bytes a client address is limited by: the 4 bytes of an IPv4
 * address (or of an IPv4-mapped IPv6 one), the first 8 of an IPv6 one
 * (its /64).  Returns their number, or 0 when ip is no address (then the
 * caller hashes the text as it is). */
apr_size_t vc_rl_mask_addr(const char *ip, unsigned char out[16]);

/* The hash of a client address, or of a key (for badge fetches through an
 * image proxy, which all come from the proxy's addresses), for one limit:
 * limit and period are hashed in, so scopes with other limits keep other
 * counts. */
apr_uint64_t vc_rl_hash_addr(const unsigned char key[VC_RL_KEY_LEN],
                             const char *ip, apr_uint32_t limit,
                             apr_uint32_t period);
apr_uint64_t vc_rl_hash_key(const unsigned char key[VC_RL_KEY_LEN],
                            const char *counter_key, apr_uint32_t limit,
                            apr_uint32_t period);

/* Bytes of a table of nbuckets buckets (a power of two). */
apr_size_t vc_rl_table_size(apr_uint32_t nbuckets);

/* A table in mem (vc_rl_table_size bytes, suitably aligned), emptied. */
vc_rl_table_t *vc_rl_table_init(void *mem, apr_uint32_t nbuckets);

/* One counting attempt by the client of hash at now (seconds), against
 * limit attempts per window of period seconds.  1: allowed (and
 * recorded); 0: over the limit, and *retry_after says how many seconds
 * remain of the window (at least 1). */
int vc_rl_attempt(vc_rl_table_t *t, apr_uint64_t hash, apr_uint32_t limit,
                  apr_uint32_t period, apr_int64_t now,
                  apr_uint32_t *retry_after);

/* Entries of the current window that were evicted to make room for a new
 * client: when this grows, the table is too small for the traffic. */
apr_uint64_t vc_rl_evictions(const vc_rl_table_t *t);

#endif
