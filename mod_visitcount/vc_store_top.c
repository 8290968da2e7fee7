/* vc_store_top(): the n highest counts, kept in a binary min-heap of n
 * entries while every key passes by once, so a scrape costs one walk of
 * the store and n entries of memory, whatever the number of keys (the
 * dashboard sums every count on the same walk).  Each
 * page of the walk lives in a subpool cleared before the next, and the
 * heap copies the keys it keeps into fixed slots, so nothing grows with
 * the store.
 */
#include "vc_store_top.h"
#include "vc_parse.h"

#include "apr_strings.h"

#include <string.h>

/* A place in the heap: the key is copied into it, so replacing an entry
 * allocates nothing. */
typedef struct {
    char key[VC_KEY_MAX + 1];
    vc_counts_t counts;
} slot_t;

/* True when a ranks below b: a lower count, or the same count and a
 * key later in byte order. */
static int ranks_below(apr_uint64_t a_count, const char *a_key,
                       apr_uint64_t b_count, const char *b_key)
{
    if (a_count != b_count) {
        return a_count < b_count;
    }
    return strcmp(a_key, b_key) > 0;
}

static int below(const slot_t *a, const slot_t *b)
{
    return ranks_below(a->counts.count, a->key, b->counts.count, b->key);
}

static void swap(slot_t *a, slot_t *b)
{
    slot_t t = *a;

    *a = *b;
    *b = t;
}

static void sift_up(slot_t *h, int i)
{
    while (i > 0 && below(&h[i], &h[(i - 1) / 2])) {
        swap(&h[i], &h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

static void sift_down(slot_t *h, int n, int i)
{
    for (;;) {
        int least = i, l = 2 * i + 1, r = 2 * i + 2;
        if (l < n && below(&h[l], &h[least])) {
            least = l;
        }
        if (r < n && below(&h[r], &h[least])) {
            least = r;
        }
        if (least == i) {
            return;
        }
        swap(&h[i], &h[least]);
        i = least;
    }
}

/* Offers e to the heap of the best n so far. */
static void offer(apr_array_header_t *heap, unsigned int n,
                  const vc_entry_t *e)
{
    slot_t *h = (slot_t *)heap->elts;

    if ((unsigned int)heap->nelts < n) {
        slot_t *slot = apr_array_push(heap);
        apr_cpystrn(slot->key, e->key, sizeof(slot->key));
        slot->counts = e->counts;
        sift_up((slot_t *)heap->elts, heap->nelts - 1);
        return;
    }
    if (ranks_below(h[0].counts.count, h[0].key, e->counts.count, e->key)) {
        apr_cpystrn(h[0].key, e->key, sizeof(h[0].key));
        h[0].counts = e->counts;
        sift_down(h, heap->nelts, 0);
    }
}

/* Empties the heap into an array of vc_entry_t, highest first. */
static apr_array_header_t *drain(apr_array_header_t *heap, apr_pool_t *pool)
{
    slot_t *h = (slot_t *)heap->elts;
    apr_array_header_t *top = apr_array_make(pool, heap->nelts ? heap->nelts
                                                               : 1,
                                             sizeof(vc_entry_t));
    int n;

    top->nelts = heap->nelts;
    for (n = heap->nelts; n > 0; n--) {
        vc_entry_t *e = &APR_ARRAY_IDX(top, n - 1, vc_entry_t);
        e->key = apr_pstrdup(pool, h[0].key);
        e->counts = h[0].counts;
        h[0] = h[n - 1];
        sift_down(h, n - 1, 0);
    }
    return top;
}

static apr_uint64_t add_sat(apr_uint64_t a, apr_uint64_t b)
{
    return a > APR_UINT64_MAX - b ? APR_UINT64_MAX : a + b;
}

/* Adds a page of the walk to the sums. */
static void add_page(const apr_array_header_t *page, apr_uint64_t *nkeys,
                     vc_counts_t *sum)
{
    int i;

    for (i = 0; i < page->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(page, i, vc_entry_t);
        sum->count = add_sat(sum->count, e->counts.count);
        sum->unique = add_sat(sum->unique, e->counts.unique);
    }
    *nkeys += (apr_uint64_t)page->nelts;
}

apr_status_t vc_store_top_sum(vc_store_t *st, unsigned int n,
                              apr_array_header_t **top, apr_uint64_t *nkeys,
                              vc_counts_t *sum, apr_pool_t *pool)
{
    apr_array_header_t *heap = apr_array_make(pool, n ? (int)n : 1,
                                              sizeof(slot_t));
    apr_array_header_t *page;
    char after[VC_KEY_MAX + 1] = "";
    apr_pool_t *scratch;
    apr_status_t rv = APR_SUCCESS;
    int more = 1, i;

    *nkeys = 0;
    sum->count = sum->unique = 0;
    if ((rv = apr_pool_create(&scratch, pool)) != APR_SUCCESS) {
        return rv;
    }
    while (more) {
        rv = vc_store_list(st, "", after, VC_TOP_PAGE, &page, &more, scratch);
        if (rv != APR_SUCCESS) {
            break;
        }
        add_page(page, nkeys, sum);
        for (i = 0; n && i < page->nelts; i++) {
            offer(heap, n, &APR_ARRAY_IDX(page, i, vc_entry_t));
        }
        if (page->nelts == 0) {
            break;
        }
        apr_cpystrn(after, APR_ARRAY_IDX(page, page->nelts - 1,
                                         vc_entry_t).key, sizeof(after));
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    *top = drain(heap, pool);
    return rv;
}

apr_status_t vc_store_top(vc_store_t *st, unsigned int n,
                          apr_array_header_t **top, apr_pool_t *pool)
{
    apr_uint64_t nkeys;
    vc_counts_t sum;

    if (!n) {
        /* Nothing to rank: no walk. */
        *top = apr_array_make(pool, 1, sizeof(vc_entry_t));
        return APR_SUCCESS;
    }
    return vc_store_top_sum(st, n, top, &nkeys, &sum, pool);
}
