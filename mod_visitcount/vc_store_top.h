/* The keys with the highest counts, found by walking the whole store page
 * by page with vc_store_list(): what the metrics handler labels.  Works
 * with any engine, since it uses nothing but the store interface.
 */
#ifndef VC_STORE_TOP_H
#define VC_STORE_TOP_H

#include "vc_store.h"

#define VC_TOP_PAGE 1000            /* keys asked of the store at a time */

/* The n keys with the highest counts (ties: the key first in byte order
 * wins), as vc_entry_t in *top, highest first, allocated from pool.
 * Memory beyond the result is bounded by one page of VC_TOP_PAGE keys. */
apr_status_t vc_store_top(vc_store_t *st, unsigned int n,
                          apr_array_header_t **top, apr_pool_t *pool);

/* The same, from the same walk, with the number of keys in *nkeys and
 * the sums of all their counts and unique figures in *sum (each held at
 * 2^64-1 rather than wrapping). */
apr_status_t vc_store_top_sum(vc_store_t *st, unsigned int n,
                              apr_array_header_t **top, apr_uint64_t *nkeys,
                              vc_counts_t *sum, apr_pool_t *pool);

#endif
