/* Visitor identity for mod_visitcount.  A visitor is SipHash-2-4 of
 * (client address, User-Agent, key) under a random secret that exists for
 * one UTC day: the id says "the same browser as earlier today" and nothing
 * else, and once the secret is destroyed no stored id can be linked to an
 * address again.  Also the calendar arithmetic for UTC days, and the
 * headers browsers send on speculative loads.
 */
#include "vc_visitor.h"

#include "apr_lib.h"

#include <string.h>
#include <strings.h>

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static apr_uint64_t load_le64(const unsigned char *p)
{
    return (apr_uint64_t)p[0] | (apr_uint64_t)p[1] << 8
         | (apr_uint64_t)p[2] << 16 | (apr_uint64_t)p[3] << 24
         | (apr_uint64_t)p[4] << 32 | (apr_uint64_t)p[5] << 40
         | (apr_uint64_t)p[6] << 48 | (apr_uint64_t)p[7] << 56;
}

static void sip_round(vc_siphash_t *h)
{
    h->v0 += h->v1; h->v1 = ROTL(h->v1, 13); h->v1 ^= h->v0;
    h->v0 = ROTL(h->v0, 32);
    h->v2 += h->v3; h->v3 = ROTL(h->v3, 16); h->v3 ^= h->v2;
    h->v0 += h->v3; h->v3 = ROTL(h->v3, 21); h->v3 ^= h->v0;
    h->v2 += h->v1; h->v1 = ROTL(h->v1, 17); h->v1 ^= h->v2;
    h->v2 = ROTL(h->v2, 32);
}

static void sip_compress(vc_siphash_t *h, apr_uint64_t m)
{
    h->v3 ^= m;
    sip_round(h);
    sip_round(h);
    h->v0 ^= m;
}

void vc_siphash_init(vc_siphash_t *h, const unsigned char key[16])
{
    apr_uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);

    /* "somepseudorandomlygeneratedbytes", from the SipHash paper */
    h->v0 = k0 ^ APR_UINT64_C(0x736f6d6570736575);
    h->v1 = k1 ^ APR_UINT64_C(0x646f72616e646f6d);
    h->v2 = k0 ^ APR_UINT64_C(0x6c7967656e657261);
    h->v3 = k1 ^ APR_UINT64_C(0x7465646279746573);
    h->tail = 0;
    h->len = 0;
}

void vc_siphash_update(vc_siphash_t *h, const void *data, apr_size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        h->tail |= (apr_uint64_t)*p++ << (8 * (h->len & 7));
        h->len++;
        len--;
        if ((h->len & 7) == 0) {
            sip_compress(h, h->tail);
            h->tail = 0;
        }
    }
}

apr_uint64_t vc_siphash_final(vc_siphash_t *h)
{
    sip_compress(h, h->tail | (apr_uint64_t)(h->len & 0xff) << 56);
    h->v2 ^= 0xff;
    sip_round(h);
    sip_round(h);
    sip_round(h);
    sip_round(h);
    return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

apr_uint64_t vc_siphash(const unsigned char key[16], const void *data,
                        apr_size_t len)
{
    vc_siphash_t h;

    vc_siphash_init(&h, key);
    vc_siphash_update(&h, data, len);
    return vc_siphash_final(&h);
}

static void feed_field(vc_siphash_t *h, const char *s)
{
    apr_size_t n = s ? strlen(s) : 0;
    unsigned char len[4];

    len[0] = (unsigned char)n;
    len[1] = (unsigned char)(n >> 8);
    len[2] = (unsigned char)(n >> 16);
    len[3] = (unsigned char)(n >> 24);
    vc_siphash_update(h, len, sizeof(len));
    vc_siphash_update(h, s ? s : "", n);
}

void vc_visitor_id(const unsigned char secret[VC_SECRET_LEN],
                   const char *ip, const char *user_agent, const char *key,
                   const char *token, unsigned char id[VC_VISITOR_LEN])
{
    int half;

    for (half = 0; half < 2; half++) {
        vc_siphash_t h;
        apr_uint64_t v;
        int i;

        vc_siphash_init(&h, secret + 16 * half);
        feed_field(&h, ip);
        feed_field(&h, user_agent);
        feed_field(&h, key);
        if (token) {
            feed_field(&h, token);
        }
        v = vc_siphash_final(&h);
        for (i = 0; i < 8; i++) {
            id[8 * half + i] = (unsigned char)(v >> (8 * i));
        }
    }
}

int vc_visitor_token_ok(const char *token)
{
    apr_size_t n = strspn(token, "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    return token[n] == '\0' && n >= VC_TOKEN_MIN && n <= VC_TOKEN_MAX;
}

apr_int64_t vc_day_of(apr_int64_t unix_seconds)
{
    apr_int64_t d = unix_seconds / VC_DAY_SECONDS;

    return unix_seconds < 0 && d * VC_DAY_SECONDS != unix_seconds ? d - 1 : d;
}

/* Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day
 * count, exact for every day, with no time zone or locale involved. */
void vc_day_format(apr_int64_t day, char *buf)
{
    apr_int64_t z = day + 719468;
    apr_int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    apr_int64_t doe = z - era * 146097;
    apr_int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    apr_int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    apr_int64_t mp = (5 * doy + 2) / 153;
    apr_int64_t d = doy - (153 * mp + 2) / 5 + 1;
    apr_int64_t m = mp < 10 ? mp + 3 : mp - 9;
    apr_int64_t y = yoe + era * 400 + (m <= 2);
    int i;

    if (y < 0 || y > 9999) {
        memcpy(buf, "0000-00-00", 11);
        return;
    }
    for (i = 3; i >= 0; i--, y /= 10) {
        buf[i] = (char)('0' + y % 10);
    }
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
}

/* True when the header value holds one of the speculative-load words as a
 * token (case-insensitive), as in "prefetch;prerender". */
static int speculative(const char *v)
{
    static const char *const words[] = { "prefetch", "prerender", "preview" };
    apr_size_t i;

    while (v && *v) {
        apr_size_t n;
        while (*v && !apr_isalpha(*v)) {
            v++;
        }
        n = 0;
        while (apr_isalpha(v[n]) || v[n] == '-') {
            n++;
        }
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            if (n == strlen(words[i]) && !strncasecmp(v, words[i], n)) {
                return 1;
            }
        }
        v += n;
    }
    return 0;
}

int vc_prefetch_check(const char *purpose, const char *sec_purpose,
                      const char *x_purpose, const char *x_moz)
{
    return speculative(purpose) || speculative(sec_purpose)
           || speculative(x_purpose) || speculative(x_moz);
}
