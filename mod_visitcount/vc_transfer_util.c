/* The strict little parsers the import readers are built from: UTF-8,
 * whole numbers up to 2^64-1, dates and RFC 3339 times, and CSV records
 * (RFC 4180).  The JSON parser is in vc_transfer_json.c.
 */
#include "vc_transfer_int.h"

#include <string.h>

const char *vc_tr_utf8_check(const char *s, apr_size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned char c = *p;
        apr_uint32_t cp;
        int n, i;

        if (c == 0) {
            return "NUL byte";
        }
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        }
        else {
            return "invalid UTF-8";
        }
        if (end - p <= n) {
            return "invalid UTF-8";
        }
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return "invalid UTF-8";
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return "invalid UTF-8";
        }
        p += n + 1;
    }
    return NULL;
}

int vc_tr_uint(const char *s, apr_size_t len, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    apr_size_t i;

    if (len == 0 || (len > 1 && s[0] == '0')) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned int d;

        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        d = (unsigned int)(s[i] - '0');
        if (v > (APR_UINT64_MAX - d) / 10) {
            for (; i < len; i++) {
                if (s[i] < '0' || s[i] > '9') {
                    return -1;
                }
            }
            return -2;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Howard Hinnant's days_from_civil: the inverse of vc_day_format(). */
static apr_int64_t days_from_civil(apr_int64_t y, int m, int d)
{
    apr_int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int vc_tr_date(const char *s, apr_size_t len, apr_int64_t *day)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }
    y = digits(s, 4);
    m = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return -1;
    }
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        return -1;
    }
    *day = days_from_civil(y, m, d);
    return 0;
}

int vc_tr_time_day(const char *s, apr_size_t len, int strict_utc,
                   apr_int64_t *day)
{
    apr_size_t i = 19;
    apr_int64_t secs;
    int h, mi, se, off = 0;

    if (len < 20 || vc_tr_date(s, 10, day) != 0
        || !(s[10] == 'T' || (!strict_utc && (s[10] == 't' || s[10] == ' ')))
        || s[13] != ':' || s[16] != ':') {
        return -1;
    }
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    se = digits(s + 17, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) {
        return -1;
    }
    if (!strict_utc && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        }
        if (i == 20) {
            return -1;
        }
    }
    if (i + 1 == len && (s[i] == 'Z' || (!strict_utc && s[i] == 'z'))) {
        off = 0;
    }
    else if (!strict_utc && i + 6 == len && (s[i] == '+' || s[i] == '-')
             && s[i + 3] == ':') {
        int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);

        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return -1;
        }
        off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    }
    else {
        return -1;
    }
    secs = *day * VC_DAY_SECONDS + h * 3600 + mi * 60 + se - off;
    *day = vc_day_of(secs);
    /* an offset may carry a time out of the years a date can be written in */
    if (*day < days_from_civil(0, 1, 1) || *day > days_from_civil(9999, 12, 31)) {
        return -1;
    }
    return 0;
}

int vc_tr_add(apr_uint64_t *a, apr_uint64_t b)
{
    if (*a > APR_UINT64_MAX - b) {
        return -1;
    }
    *a += b;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------ */

int vc_tr_csv_split(const char *s, apr_size_t len, apr_array_header_t *fields,
                    apr_pool_t *pool, const char **err)
{
    apr_size_t i = 0;

    fields->nelts = 0;
    for (;;) {
        vc_tr_field_t *f = apr_array_push(fields);

        if (i < len && s[i] == '"') {
            char *out = apr_palloc(pool, len - i + 1);
            apr_size_t n = 0;

            for (i++;; i++) {
                if (i >= len) {
                    return 0;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        out[n++] = '"';
                        i++;
                        continue;
                    }
                    break;
                }
                out[n++] = s[i];
            }
            out[n] = '\0';
            f->s = out;
            f->len = n;
            i++;
            if (i < len && s[i] != ',') {
                *err = "text after a closing quote";
                return -1;
            }
        }
        else {
            apr_size_t start = i;

            while (i < len && s[i] != ',') {
                if (s[i] == '"') {
                    *err = "a quote inside a field that does not start with one";
                    return -1;
                }
                i++;
            }
            f->s = apr_pstrmemdup(pool, s + start, i - start);
            f->len = i - start;
        }
        if (i >= len) {
            return 1;
        }
        i++;                                    /* the comma */
    }
}

int vc_records_equal(const apr_array_header_t *a, const apr_array_header_t *b)
{
    int i;

    if (!a || !b || a->nelts != b->nelts) {
        return 0;
    }
    for (i = 0; i < a->nelts; i++) {
        const vc_record_t *x = &APR_ARRAY_IDX(a, i, vc_record_t);
        const vc_record_t *y = &APR_ARRAY_IDX(b, i, vc_record_t);

        if (strcmp(x->key, y->key) || x->counts.count != y->counts.count
            || x->counts.unique != y->counts.unique || x->ndays != y->ndays
            || (x->ndays && (x->first_day != y->first_day
                             || memcmp(x->daily, y->daily,
                                       x->ndays * sizeof(vc_counts_t))))) {
            return 0;
        }
    }
    return 1;
}
