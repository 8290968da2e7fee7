/* Unit tests for vc_ratelimit.c: address masking (IPv4 /32, IPv6 /64),
 * the hashes of addresses and of keys, the fixed windows and their
 * Retry-After, eviction within a bucket, and exactness: threads, and
 * processes sharing the table through shared memory, hammering one client
 * never get more than the limit through, nor fewer. */
#include "apr_general.h"
#include "apr_shm.h"
#include "apr_thread_proc.h"

#include "../../mod_visitcount/vc_ratelimit.h"
#include "tap.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static apr_pool_t *pool;
static unsigned char key[VC_RL_KEY_LEN];

static vc_rl_table_t *new_table(apr_uint32_t nbuckets)
{
    return vc_rl_table_init(apr_palloc(pool, vc_rl_table_size(nbuckets)),
                            nbuckets);
}

static int same_mask(const char *a, const char *b)
{
    unsigned char ma[16], mb[16];
    apr_size_t la = vc_rl_mask_addr(a, ma), lb = vc_rl_mask_addr(b, mb);

    return la && la == lb && !memcmp(ma, mb, la);
}

static void test_mask(void)
{
    unsigned char m[16];

    is_u64(vc_rl_mask_addr("192.0.2.1", m), 4, "IPv4: 4 bytes");
    ok(m[0] == 192 && m[3] == 1, "IPv4: the address itself");
    ok(!same_mask("192.0.2.1", "192.0.2.2"), "IPv4 /32: neighbours differ");
    is_u64(vc_rl_mask_addr("2001:db8::1", m), 8, "IPv6: 8 bytes (/64)");
    ok(same_mask("2001:db8::1", "2001:db8::2"), "IPv6: one /64, one client");
    ok(same_mask("2001:db8::1", "2001:db8:0:0:ffff:ffff:ffff:ffff"),
       "IPv6: the whole interface id is masked");
    ok(!same_mask("2001:db8::1", "2001:db8:0:1::1"), "IPv6: another /64 differs");
    ok(same_mask("::ffff:192.0.2.1", "192.0.2.1"),
       "an IPv4-mapped IPv6 address is its IPv4 address");
    is_u64(vc_rl_mask_addr("not an address", m), 0, "no address: 0");
    is_u64(vc_rl_mask_addr(NULL, m), 0, "NULL: 0");
}

static void test_hashes(void)
{
    unsigned char other[VC_RL_KEY_LEN];
    unsigned char secret[32];

    memset(secret, 7, sizeof(secret));
    vc_rl_key(secret, sizeof(secret), other);
    ok(memcmp(other, key, sizeof(key)) != 0, "another secret, another key");
    ok(memcmp(other, secret, sizeof(other)) != 0, "the key is not the secret");
    is_u64(vc_rl_hash_addr(key, "2001:db8::1", 5, 60),
           vc_rl_hash_addr(key, "2001:db8::2", 5, 60), "one /64, one hash");
    ok(vc_rl_hash_addr(key, "2001:db8::1", 5, 60)
       != vc_rl_hash_addr(key, "2001:db8:0:1::1", 5, 60), "another /64, another hash");
    ok(vc_rl_hash_addr(key, "192.0.2.1", 5, 60)
       != vc_rl_hash_addr(other, "192.0.2.1", 5, 60), "another secret, another hash");
    ok(vc_rl_hash_addr(key, "192.0.2.1", 5, 60)
       != vc_rl_hash_addr(key, "192.0.2.1", 6, 60), "another limit, another hash");
    ok(vc_rl_hash_addr(key, "192.0.2.1", 5, 60)
       != vc_rl_hash_addr(key, "192.0.2.1", 5, 61), "another period, another hash");
    is_u64(vc_rl_hash_key(key, "readme", 5, 60), vc_rl_hash_key(key, "readme", 5, 60),
           "a key hashes alike each time");
    ok(vc_rl_hash_key(key, "readme", 5, 60) != vc_rl_hash_key(key, "other", 5, 60),
       "another key, another hash");
    ok(vc_rl_hash_key(key, "192.0.2.1", 5, 60)
       != vc_rl_hash_addr(key, "192.0.2.1", 5, 60) && vc_rl_hash_addr(key, "x", 5, 60)
       != vc_rl_hash_key(key, "x", 5, 60), "keys and addresses never share a hash");
}

static void test_windows(void)
{
    vc_rl_table_t *t = new_table(64);
    apr_uint64_t a = vc_rl_hash_addr(key, "192.0.2.1", 3, 60);
    apr_uint64_t b = vc_rl_hash_addr(key, "192.0.2.2", 3, 60);
    apr_uint32_t retry = 0;
    int i, allowed = 0;

    for (i = 0; i < 3; i++) {
        allowed += vc_rl_attempt(t, a, 3, 60, 1000, &retry);
    }
    is_u64(allowed, 3, "3 per 60 s: 3 attempts pass");
    ok(!vc_rl_attempt(t, a, 3, 60, 1000, &retry), "the 4th is over the limit");
    is_u64(retry, 20, "Retry-After: to the window's end (960 + 60 - 1000)");
    ok(!vc_rl_attempt(t, a, 3, 60, 1019, &retry), "still over at the last second");
    is_u64(retry, 1, "Retry-After: at least 1");
    ok(vc_rl_attempt(t, b, 3, 60, 1019, &retry), "another address is not limited");
    ok(vc_rl_attempt(t, a, 3, 60, 1020, &retry), "the next window starts afresh");
    is_u64(vc_rl_evictions(t), 0, "no eviction in a roomy table");
    ok(vc_rl_attempt(t, a, 1, 0, 1020, &retry), "a period of 0 limits nothing");
}

/* One bucket: 7 clients fill it; an 8th in the same window evicts the
 * one with the fewest attempts; in a later window the stale are reused. */
static void test_eviction(void)
{
    vc_rl_table_t *t = new_table(1);
    apr_uint32_t retry;
    apr_uint64_t h[VC_RL_SLOTS + 1];
    char ip[32];
    int i, j;

    for (i = 0; i <= VC_RL_SLOTS; i++) {
        snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
        h[i] = vc_rl_hash_addr(key, ip, 2, 10);
    }
    for (i = 0; i < VC_RL_SLOTS; i++) {
        for (j = 0; j < (i == 3 ? 1 : 2); j++) {
            vc_rl_attempt(t, h[i], 2, 10, 100, &retry);
        }
    }
    ok(!vc_rl_attempt(t, h[0], 2, 10, 100, &retry), "a full bucket still limits");
    ok(vc_rl_attempt(t, h[VC_RL_SLOTS], 2, 10, 100, &retry),
       "a new client in a full bucket is let in");
    is_u64(vc_rl_evictions(t), 1, "evicting a live entry is counted");
    ok(vc_rl_attempt(t, h[3], 2, 10, 100, &retry),
       "the evicted client (fewest attempts) starts again");
    ok(!vc_rl_attempt(t, h[1], 2, 10, 100, &retry), "the others keep their counts");
    ok(vc_rl_attempt(t, h[0], 2, 10, 110, &retry)
       && vc_rl_attempt(t, h[VC_RL_SLOTS], 2, 10, 110, &retry),
       "in the next window, old entries make room");
    is_u64(vc_rl_evictions(t), 2, "evictions: h[3]'s return took h[%d]'s live "
           "entry; the next window's took stale ones", VC_RL_SLOTS);
}

#define THREADS 8
#define TRIES 20000
#define LIMIT 50000

typedef struct {
    vc_rl_table_t *t;
    apr_uint64_t hash;
    int allowed;
} hammer_t;

static int gate;                    /* threads ready to start */

static void *APR_THREAD_FUNC hammer(apr_thread_t *th, void *arg)
{
    hammer_t *h = arg;
    apr_uint32_t retry;
    int i;

    /* All start together, so that they meet on the slot. */
    __atomic_fetch_add(&gate, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&gate, __ATOMIC_SEQ_CST) < THREADS) {
        apr_thread_yield();
    }
    for (i = 0; i < TRIES; i++) {
        h->allowed += vc_rl_attempt(h->t, h->hash, LIMIT, 60, 6000, &retry);
    }
    /* Returning rather than apr_thread_exit(): pthread_exit's unwinding
     * trips GCC 12's AddressSanitizer (a false stack-buffer-underflow in
     * sigaltstack as the thread ends) under scripts/sanitize. */
    (void)th;
    return NULL;
}

static void test_threads(void)
{
    vc_rl_table_t *t = new_table(4);
    apr_thread_t *threads[THREADS];
    hammer_t h[THREADS];
    apr_status_t rv;
    int i, total = 0, started = 0;

    for (i = 0; i < THREADS; i++) {
        h[i].t = t;
        h[i].hash = vc_rl_hash_addr(key, "203.0.113.9", LIMIT, 60);
        h[i].allowed = 0;
        started += apr_thread_create(&threads[i], NULL, hammer, &h[i], pool)
                   == APR_SUCCESS;
    }
    is_u64(started, THREADS, "%d threads started", THREADS);
    for (i = 0; i < started; i++) {
        apr_thread_join(&rv, threads[i]);
        total += h[i].allowed;
    }
    is_u64(total, LIMIT, "%d threads x %d attempts on one slot: exactly %d pass",
           THREADS, TRIES, LIMIT);
}

#define PROCS 4

/* Processes sharing one table through anonymous shared memory, as
 * httpd's children do: each reports how many of its attempts passed. */
static void test_processes(void)
{
    vc_rl_table_t *t;
    apr_shm_t *table, *results;
    int *passed;
    pid_t pids[PROCS];
    int i, j, total = 0, clean = 1;
    apr_uint64_t hash = vc_rl_hash_addr(key, "2001:db8::42", LIMIT, 60);

    ok(apr_shm_create(&table, vc_rl_table_size(16), NULL, pool) == APR_SUCCESS,
       "a table in shared memory");
    t = vc_rl_table_init(apr_shm_baseaddr_get(table), 16);
    ok(apr_shm_create(&results, sizeof(int) * PROCS, NULL, pool) == APR_SUCCESS,
       "room for the results");
    passed = apr_shm_baseaddr_get(results);
    for (i = 0; i < PROCS; i++) {
        if ((pids[i] = fork()) == 0) {
            apr_uint32_t retry;
            int n = 0;

            for (j = 0; j < TRIES; j++) {
                n += vc_rl_attempt(t, hash, LIMIT, 60, 6000, &retry);
            }
            passed[i] = n;
            _exit(0);
        }
    }
    for (i = 0; i < PROCS; i++) {
        int status = 1;

        if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] || status) {
            clean = 0;
        }
        total += passed[i];
    }
    ok(clean, "%d processes ran", PROCS);
    is_u64(total, LIMIT, "%d processes x %d attempts on one slot: exactly %d pass",
           PROCS, TRIES, LIMIT);
}

/* A badge's key (VC_COUNT_CAMO) is limited apart from the proxy's
 * addresses, and each key apart from the others. */
static void test_keys(void)
{
    vc_rl_table_t *t = new_table(64);
    apr_uint64_t readme = vc_rl_hash_key(key, "readme", 2, 60);
    apr_uint64_t other = vc_rl_hash_key(key, "other", 2, 60);
    apr_uint32_t retry;

    ok(vc_rl_attempt(t, readme, 2, 60, 0, &retry)
       && vc_rl_attempt(t, readme, 2, 60, 0, &retry), "a key: 2 pass");
    ok(!vc_rl_attempt(t, readme, 2, 60, 0, &retry), "the key's 3rd is over");
    ok(vc_rl_attempt(t, other, 2, 60, 0, &retry), "another key is not limited");
    ok(vc_rl_attempt(t, vc_rl_hash_addr(key, "140.82.112.1", 2, 60), 2, 60, 0, &retry),
       "nor is the proxy's address");
}

int main(void)
{
    unsigned char secret[32];
    int i;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    for (i = 0; i < 32; i++) {
        secret[i] = (unsigned char)i;
    }
    vc_rl_key(secret, sizeof(secret), key);
    test_mask();
    test_hashes();
    test_windows();
    test_eviction();
    test_threads();
    test_processes();
    test_keys();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
