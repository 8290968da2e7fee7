/* Unit tests for vc_visitor.c: SipHash-2-4 against the published
 * reference vectors, visitor ids, UTC day arithmetic and the prefetch
 * headers. */
#include "apr_general.h"

#include "../../mod_visitcount/vc_visitor.h"
#include "tap.h"

/* SipHash-2-4 reference vectors (the SipHash paper's vectors.h): key
 * 00 01 .. 0f, message i = bytes 00 .. i-1, output as a 64-bit integer. */
static const apr_uint64_t sip_vectors[64] = {
    APR_UINT64_C(0x726fdb47dd0e0e31),
    APR_UINT64_C(0x74f839c593dc67fd),
    APR_UINT64_C(0x0d6c8009d9a94f5a),
    APR_UINT64_C(0x85676696d7fb7e2d),
    APR_UINT64_C(0xcf2794e0277187b7),
    APR_UINT64_C(0x18765564cd99a68d),
    APR_UINT64_C(0xcbc9466e58fee3ce),
    APR_UINT64_C(0xab0200f58b01d137),
    APR_UINT64_C(0x93f5f5799a932462),
    APR_UINT64_C(0x9e0082df0ba9e4b0),
    APR_UINT64_C(0x7a5dbbc594ddb9f3),
    APR_UINT64_C(0xf4b32f46226bada7),
    APR_UINT64_C(0x751e8fbc860ee5fb),
    APR_UINT64_C(0x14ea5627c0843d90),
    APR_UINT64_C(0xf723ca908e7af2ee),
    APR_UINT64_C(0xa129ca6149be45e5),
    APR_UINT64_C(0x3f2acc7f57c29bdb),
    APR_UINT64_C(0x699ae9f52cbe4794),
    APR_UINT64_C(0x4bc1b3f0968dd39c),
    APR_UINT64_C(0xbb6dc91da77961bd),
    APR_UINT64_C(0xbed65cf21aa2ee98),
    APR_UINT64_C(0xd0f2cbb02e3b67c7),
    APR_UINT64_C(0x93536795e3a33e88),
    APR_UINT64_C(0xa80c038ccd5ccec8),
    APR_UINT64_C(0xb8ad50c6f649af94),
    APR_UINT64_C(0xbce192de8a85b8ea),
    APR_UINT64_C(0x17d835b85bbb15f3),
    APR_UINT64_C(0x2f2e6163076bcfad),
    APR_UINT64_C(0xde4daaaca71dc9a5),
    APR_UINT64_C(0xa6a2506687956571),
    APR_UINT64_C(0xad87a3535c49ef28),
    APR_UINT64_C(0x32d892fad841c342),
    APR_UINT64_C(0x7127512f72f27cce),
    APR_UINT64_C(0xa7f32346f95978e3),
    APR_UINT64_C(0x12e0b01abb051238),
    APR_UINT64_C(0x15e034d40fa197ae),
    APR_UINT64_C(0x314dffbe0815a3b4),
    APR_UINT64_C(0x027990f029623981),
    APR_UINT64_C(0xcadcd4e59ef40c4d),
    APR_UINT64_C(0x9abfd8766a33735c),
    APR_UINT64_C(0x0e3ea96b5304a7d0),
    APR_UINT64_C(0xad0c42d6fc585992),
    APR_UINT64_C(0x187306c89bc215a9),
    APR_UINT64_C(0xd4a60abcf3792b95),
    APR_UINT64_C(0xf935451de4f21df2),
    APR_UINT64_C(0xa9538f0419755787),
    APR_UINT64_C(0xdb9acddff56ca510),
    APR_UINT64_C(0xd06c98cd5c0975eb),
    APR_UINT64_C(0xe612a3cb9ecba951),
    APR_UINT64_C(0xc766e62cfcadaf96),
    APR_UINT64_C(0xee64435a9752fe72),
    APR_UINT64_C(0xa192d576b245165a),
    APR_UINT64_C(0x0a8787bf8ecb74b2),
    APR_UINT64_C(0x81b3e73d20b49b6f),
    APR_UINT64_C(0x7fa8220ba3b2ecea),
    APR_UINT64_C(0x245731c13ca42499),
    APR_UINT64_C(0xb78dbfaf3a8d83bd),
    APR_UINT64_C(0xea1ad565322a1a0b),
    APR_UINT64_C(0x60e61c23a3795013),
    APR_UINT64_C(0x6606d7e446282b93),
    APR_UINT64_C(0x6ca4ecb15c5f91e1),
    APR_UINT64_C(0x9f626da15c9625f3),
    APR_UINT64_C(0xe51b38608ef25f57),
    APR_UINT64_C(0x958a324ceb064572),
};

static void test_siphash(void)
{
    unsigned char key[16], msg[64];
    int i, bad_oneshot = 0, bad_pieces = 0;

    for (i = 0; i < 16; i++) {
        key[i] = (unsigned char)i;
    }
    for (i = 0; i < 64; i++) {
        msg[i] = (unsigned char)i;
    }
    for (i = 0; i < 64; i++) {
        vc_siphash_t h;
        int j;

        if (vc_siphash(key, msg, (apr_size_t)i) != sip_vectors[i]) {
            bad_oneshot++;
        }
        /* Fed in pieces of 1, 2, 3 ... bytes: the same result. */
        vc_siphash_init(&h, key);
        for (j = 0; j < i; ) {
            int n = (j % 5) + 1;
            if (n > i - j) {
                n = i - j;
            }
            vc_siphash_update(&h, msg + j, (apr_size_t)n);
            j += n;
        }
        if (vc_siphash_final(&h) != sip_vectors[i]) {
            bad_pieces++;
        }
    }
    ok(bad_oneshot == 0, "all 64 SipHash-2-4 reference vectors (one shot)");
    ok(bad_pieces == 0, "all 64 reference vectors fed in pieces");
    ok(vc_siphash(key, msg, 15) == APR_UINT64_C(0xa129ca6149be45e5),
       "the paper's worked example, 15 bytes");
}

static int same_id(const unsigned char *a, const unsigned char *b)
{
    return memcmp(a, b, VC_VISITOR_LEN) == 0;
}

static void test_visitor_id(void)
{
    unsigned char s1[VC_SECRET_LEN], s2[VC_SECRET_LEN];
    unsigned char a[VC_VISITOR_LEN], b[VC_VISITOR_LEN];
    const char *ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
    int i;

    for (i = 0; i < VC_SECRET_LEN; i++) {
        s1[i] = (unsigned char)(i * 7 + 1);
        s2[i] = s1[i];
    }
    s2[31] ^= 1;

    vc_visitor_id(s1, "192.0.2.1", ua, "home", NULL, a);
    vc_visitor_id(s1, "192.0.2.1", ua, "home", NULL, b);
    ok(same_id(a, b), "same visitor, same day: same id");
    vc_visitor_id(s1, "192.0.2.2", ua, "home", NULL, b);
    ok(!same_id(a, b), "another address: another id");
    vc_visitor_id(s1, "192.0.2.1", "Mozilla/5.0 Chrome/126", "home", NULL, b);
    ok(!same_id(a, b), "another User-Agent: another id");
    vc_visitor_id(s1, "192.0.2.1", ua, "blog", NULL, b);
    ok(!same_id(a, b), "another key: another id");
    vc_visitor_id(s2, "192.0.2.1", ua, "home", NULL, b);
    ok(!same_id(a, b), "one bit of the secret's second half changes the id");
    ok(memcmp(a, b, 8) == 0, "... and only the half keyed by it");
    vc_visitor_id(s1, "ab", "c", "k", NULL, a);
    vc_visitor_id(s1, "a", "bc", "k", NULL, b);
    ok(!same_id(a, b), "field boundaries are part of the input");
    vc_visitor_id(s1, NULL, NULL, "k", NULL, a);
    vc_visitor_id(s1, "", "", "k", NULL, b);
    ok(same_id(a, b), "missing fields hash as empty");

    vc_visitor_id(s1, "192.0.2.1", ua, "home", NULL, a);
    vc_visitor_id(s1, "192.0.2.1", ua, "home", "0123456789abcdef", b);
    ok(!same_id(a, b), "a browser token makes another visitor");
    vc_visitor_id(s1, "192.0.2.1", ua, "home", "0123456789abcdef", a);
    ok(same_id(a, b), "the same token again: the same visitor");
    vc_visitor_id(s1, "192.0.2.1", ua, "home", "0123456789abcdeg", a);
    ok(!same_id(a, b), "another token (another browser profile): another visitor");
    vc_visitor_id(s1, "192.0.2.2", ua, "home", "0123456789abcdef", a);
    ok(!same_id(a, b), "the same token from another address: another visitor");
    vc_visitor_id(s1, "192.0.2.1", ua, "home", "", a);
    vc_visitor_id(s1, "192.0.2.1", ua, "home", NULL, b);
    ok(!same_id(a, b), "an empty token is not the same input as none");
}

static void test_tokens(void)
{
    static const char *const good[] = {
        "0123456789abcdef", "AbCdEf-_0123456789",
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    static const char *const bad[] = {
        "", "0123456789abcde", "0123456789abcdef ", "0123456789abcdef\n",
        "0123456789+bcdef", "0123456789/bcdef", "0123456789.bcdef",
        "01234567890123456789012345678901234567890123456789012345678901234",
        "0123456789abcd\xc3\xa9",
    };
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ok(vc_visitor_token_ok(good[i]), "token accepted: %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!vc_visitor_token_ok(bad[i]), "token refused: \"%s\"", bad[i]);
    }
}

static void test_days(void)
{
    char buf[11];
    static const struct { apr_int64_t day; const char *date; } dates[] = {
        { 0, "1970-01-01" }, { -1, "1969-12-31" }, { 11016, "2000-02-29" },
        { 11017, "2000-03-01" }, { 19782, "2024-02-29" },
        { 20779, "2026-11-22" }, { 47541, "2100-03-01" },
        { 2932896, "9999-12-31" }, { 2932897, "0000-00-00" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        vc_day_format(dates[i].day, buf);
        is_str(buf, dates[i].date, "day %" APR_INT64_T_FMT " is %s",
               dates[i].day, dates[i].date);
    }
    ok(vc_day_of(0) == 0, "the epoch is day 0");
    ok(vc_day_of(86399) == 0, "the last second of day 0");
    ok(vc_day_of(86400) == 1, "midnight starts day 1");
    ok(vc_day_of(-1) == -1, "the second before the epoch is day -1");
    ok(vc_day_of(-86400) == -1, "exactly one day before the epoch is day -1");
    ok(vc_day_of(-86401) == -2, "one second more is day -2");
    ok(vc_day_of(INT64_C(1795305600)) == 20779, "2026-11-22 00:00 UTC");
}

static void test_prefetch(void)
{
    ok(!vc_prefetch_check(NULL, NULL, NULL, NULL), "no headers: a person");
    ok(vc_prefetch_check("prefetch", NULL, NULL, NULL), "Purpose: prefetch");
    ok(vc_prefetch_check(NULL, "prefetch", NULL, NULL), "Sec-Purpose: prefetch");
    ok(vc_prefetch_check(NULL, "prefetch;prerender", NULL, NULL),
       "Sec-Purpose: prefetch;prerender");
    ok(vc_prefetch_check(NULL, "prefetch;anonymous-client-ip", NULL, NULL),
       "Sec-Purpose with a parameter");
    ok(vc_prefetch_check(NULL, NULL, "preview", NULL), "X-Purpose: preview");
    ok(vc_prefetch_check(NULL, NULL, NULL, "prefetch"), "X-Moz: prefetch");
    ok(vc_prefetch_check("PREFETCH", NULL, NULL, NULL), "case-insensitive");
    ok(!vc_prefetch_check("", "", "", ""), "empty headers: a person");
    ok(!vc_prefetch_check("prefetcher", NULL, NULL, NULL),
       "a longer word is not the token");
    ok(!vc_prefetch_check(NULL, NULL, NULL, "livebookmarks"),
       "other X-Moz values: a person");
}

int main(void)
{
    apr_initialize();
    test_siphash();
    test_visitor_id();
    test_tokens();
    test_days();
    test_prefetch();
    apr_terminate();
    return done_testing();
}
