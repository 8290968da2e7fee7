/* The table of vc_ratelimit.h.  Windows are fixed: window w of a limit
 * with period P holds the seconds [w*P, (w+1)*P).  A fixed window is
 * exact with one small counter per client, which a bounded table in
 * shared memory needs; a sliding window or GCRA would smooth the edge
 * (up to 2N attempts across a window boundary) at the cost of a
 * timestamp per attempt or a fractional state, and the edge does not
 * matter for a counter, whose aim is to stop one client inflating it.
 *
 * The table is an array of 64-byte buckets, one cache line each: a lock
 * word and 7 entries.  A client's hash picks its bucket (low bits) and
 * names it there by a 24-bit tag (high bits); its entry packs
 *     tag (24 bits) | window mod 2^24 (24 bits) | attempts (16 bits)
 * in one 64-bit word, 0 being an empty entry.  Every look-up and change
 * of a bucket happens under its lock word, so two processes can never
 * both count the same client's last allowed attempt, nor give one client
 * two entries.  The lock word holds the time (CLOCK_MONOTONIC,
 * microseconds) until which its holder may keep it: a holder keeps it for
 * a few instructions, and a process killed while holding it only stops
 * its bucket for VC_RL_LOCK_HOLD, after which the lock is taken over.
 *
 * When a new client finds no free entry in its bucket, it takes the entry
 * of the oldest window (and, among those of the current window, the one
 * with the fewest attempts): the probe is bounded by the bucket, and only
 * a bucket full of clients of the current window loses a count (counted
 * by vc_rl_evictions).  The window is kept mod 2^24: an entry untouched
 * for 2^24 windows (194 days of 1-second windows) may be taken for
 * current, which can only limit, never let through.
 */
#include "vc_ratelimit.h"
#include "vc_visitor.h"

#include "apr_thread_proc.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE != 2
#error "mod_visitcount needs lock-free 64-bit atomics for its flood control"
#endif

#define VC_RL_LOCK_HOLD 1000000     /* microseconds a lock may be held */
#define VC_RL_SPINS 64              /* tries before yielding the CPU */
#define TAG_SHIFT 40
#define WIN_SHIFT 16
#define WIN_MASK APR_UINT64_C(0xffffff)
#define COUNT_MASK APR_UINT64_C(0xffff)

typedef struct {
    apr_uint64_t lock;
    apr_uint64_t entry[VC_RL_SLOTS];
} vc_rl_bucket_t;

struct vc_rl_table {
    apr_uint32_t mask;              /* buckets - 1 */
    apr_uint32_t pad;
    apr_uint64_t evictions;
    apr_uint64_t pad2[6];           /* the buckets start on a cache line */
    vc_rl_bucket_t bucket[];       /* mask + 1 of them */
};

void vc_rl_key(const unsigned char *secret, apr_size_t secret_len,
               unsigned char key[VC_RL_KEY_LEN])
{
    static const char label[] = "visitcount flood control";
    unsigned char half[16];
    apr_uint64_t a, b;
    int i;

    memset(half, 0, sizeof(half));
    memcpy(half, secret, secret_len < 16 ? secret_len : 16);
    a = vc_siphash(half, label, sizeof(label) - 1);
    memset(half, 0, sizeof(half));
    if (secret_len > 16) {
        memcpy(half, secret + 16, secret_len - 16 < 16 ? secret_len - 16 : 16);
    }
    b = vc_siphash(half, label, sizeof(label) - 1);
    memset(half, 0, sizeof(half));
    for (i = 0; i < 8; i++) {
        key[i] = (unsigned char)(a >> (8 * i));
        key[8 + i] = (unsigned char)(b >> (8 * i));
    }
}

apr_size_t vc_rl_mask_addr(const char *ip, unsigned char out[16])
{
    static const unsigned char mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };
    unsigned char a6[16];

    if (!ip) {
        return 0;
    }
    if (inet_pton(AF_INET, ip, out) == 1) {
        return 4;
    }
    if (inet_pton(AF_INET6, ip, a6) != 1) {
        return 0;
    }
    if (!memcmp(a6, mapped, sizeof(mapped))) {
        memcpy(out, a6 + 12, 4);
        return 4;
    }
    memcpy(out, a6, 8);
    return 8;
}

/* The hash of (kind, limit, period, data): each field of fixed length or
 * last, so no two inputs hash the same bytes. */
static apr_uint64_t hash_of(const unsigned char key[VC_RL_KEY_LEN], char kind,
                            apr_uint32_t limit, apr_uint32_t period,
                            const void *data, apr_size_t len)
{
    unsigned char head[9];
    vc_siphash_t h;
    int i;

    head[0] = (unsigned char)kind;
    for (i = 0; i < 4; i++) {
        head[1 + i] = (unsigned char)(limit >> (8 * i));
        head[5 + i] = (unsigned char)(period >> (8 * i));
    }
    vc_siphash_init(&h, key);
    vc_siphash_update(&h, head, sizeof(head));
    vc_siphash_update(&h, data, len);
    return vc_siphash_final(&h);
}

apr_uint64_t vc_rl_hash_addr(const unsigned char key[VC_RL_KEY_LEN],
                             const char *ip, apr_uint32_t limit,
                             apr_uint32_t period)
{
    unsigned char addr[16];
    apr_size_t len = vc_rl_mask_addr(ip, addr);

    if (len) {
        return hash_of(key, 'a', limit, period, addr, len);
    }
    ip = ip ? ip : "";
    return hash_of(key, 't', limit, period, ip, strlen(ip));
}

apr_uint64_t vc_rl_hash_key(const unsigned char key[VC_RL_KEY_LEN],
                            const char *counter_key, apr_uint32_t limit,
                            apr_uint32_t period)
{
    return hash_of(key, 'k', limit, period, counter_key, strlen(counter_key));
}

apr_size_t vc_rl_table_size(apr_uint32_t nbuckets)
{
    return offsetof(vc_rl_table_t, bucket)
           + (apr_size_t)nbuckets * sizeof(vc_rl_bucket_t);
}

vc_rl_table_t *vc_rl_table_init(void *mem, apr_uint32_t nbuckets)
{
    vc_rl_table_t *t = mem;

    memset(mem, 0, vc_rl_table_size(nbuckets));
    t->mask = nbuckets - 1;
    return t;
}

static apr_uint64_t monotonic_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_uint64_t)ts.tv_sec * 1000000 + (apr_uint64_t)ts.tv_nsec / 1000;
}

static void bucket_lock(vc_rl_bucket_t *b)
{
    unsigned int spins = 0;

    for (;;) {
        apr_uint64_t held = __atomic_load_n(&b->lock, __ATOMIC_RELAXED);
        apr_uint64_t now = monotonic_us();

        /* Free, or held past its time by a holder that died. */
        if ((held == 0 || held < now)
            && __atomic_compare_exchange_n(&b->lock, &held,
                                           now + VC_RL_LOCK_HOLD, 0,
                                           __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED)) {
            return;
        }
        if (++spins % VC_RL_SPINS == 0) {
            apr_thread_yield();
        }
    }
}

static void bucket_unlock(vc_rl_bucket_t *b)
{
    __atomic_store_n(&b->lock, 0, __ATOMIC_RELEASE);
}

static apr_uint64_t entry_of(apr_uint64_t tag, apr_uint64_t win,
                             apr_uint64_t count)
{
    return tag << TAG_SHIFT | (win & WIN_MASK) << WIN_SHIFT | count;
}

/* The entry a new client takes: an empty one, else the oldest window's,
 * else (all current) the one with the fewest attempts. */
static int victim(const vc_rl_bucket_t *b, apr_uint64_t win, int *live)
{
    apr_uint64_t best_age = 0, best_count = COUNT_MASK + 1;
    int i, best = 0;

    for (i = 0; i < VC_RL_SLOTS; i++) {
        apr_uint64_t e = b->entry[i];
        apr_uint64_t age = (win - (e >> WIN_SHIFT)) & WIN_MASK;

        if (e == 0) {
            *live = 0;
            return i;
        }
        if (age > best_age
            || (age == best_age && (e & COUNT_MASK) < best_count)) {
            best = i;
            best_age = age;
            best_count = e & COUNT_MASK;
        }
    }
    *live = best_age == 0;
    return best;
}

/* Under the bucket's lock: records the attempt, or says it is over. */
static int attempt_locked(vc_rl_table_t *t, vc_rl_bucket_t *b,
                          apr_uint64_t tag, apr_uint64_t win,
                          apr_uint32_t limit)
{
    int i, live;

    for (i = 0; i < VC_RL_SLOTS; i++) {
        apr_uint64_t e = b->entry[i];

        if (e >> TAG_SHIFT != tag) {
            continue;
        }
        if (((e >> WIN_SHIFT) & WIN_MASK) != (win & WIN_MASK)) {
            b->entry[i] = entry_of(tag, win, 1);
            return 1;
        }
        if ((e & COUNT_MASK) >= limit) {
            return 0;
        }
        b->entry[i] = e + 1;
        return 1;
    }
    i = victim(b, win, &live);
    if (live) {
        __atomic_fetch_add(&t->evictions, 1, __ATOMIC_RELAXED);
    }
    b->entry[i] = entry_of(tag, win, 1);
    return 1;
}

int vc_rl_attempt(vc_rl_table_t *t, apr_uint64_t hash, apr_uint32_t limit,
                  apr_uint32_t period, apr_int64_t now,
                  apr_uint32_t *retry_after)
{
    vc_rl_bucket_t *b = &t->bucket[hash & t->mask];
    apr_uint64_t tag = hash >> TAG_SHIFT;
    apr_uint64_t win;
    int allowed;

    if (period == 0 || limit == 0) {
        return 1;
    }
    if (now < 0) {
        now = 0;
    }
    if (tag == 0) {
        tag = 1;                    /* 0 is an empty entry */
    }
    win = (apr_uint64_t)now / period;
    bucket_lock(b);
    allowed = attempt_locked(t, b, tag, win, limit);
    bucket_unlock(b);
    if (!allowed) {
        *retry_after = (apr_uint32_t)((win + 1) * period - (apr_uint64_t)now);
    }
    return allowed;
}

apr_uint64_t vc_rl_evictions(const vc_rl_table_t *t)
{
    return __atomic_load_n(&t->evictions, __ATOMIC_RELAXED);
}
