/* The export writers: our format, version 1, as JSON lines or CSV (the
 * layouts are specified in vc_transfer.h).  Each call returns whole lines,
 * so the tool can stream a store of any size a record at a time.
 */
#include "vc_transfer.h"
#include "vc_json.h"

#include "apr_strings.h"

#include <string.h>

#define VC_EXPORT_VERSION 1

static void format_time(apr_int64_t now, char *buf)
{
    apr_int64_t day = vc_day_of(now), secs = now - day * VC_DAY_SECONDS;

    vc_day_format(day, buf);
    apr_snprintf(buf + 10, 11, "T%02d:%02d:%02dZ", (int)(secs / 3600),
                 (int)(secs / 60 % 60), (int)(secs % 60));
}

const char *vc_export_header(vc_format_e format, int with_days,
                             apr_int64_t now, apr_pool_t *pool)
{
    char when[21];

    format_time(now, when);
    if (format == VC_FORMAT_CSV) {
        return apr_psprintf(pool, "# visitcount export version %d, exported "
                            "%s, %s days\n%s\n", VC_EXPORT_VERSION, when,
                            with_days ? "with" : "without",
                            with_days ? "key,day,count,unique"
                                      : "key,count,unique");
    }
    return apr_psprintf(pool, "{\"format\":\"visitcount\",\"version\":%d,"
                        "\"exported\":\"%s\",\"days\":%s}\n",
                        VC_EXPORT_VERSION, when, with_days ? "true" : "false");
}

static int day_empty(const vc_counts_t *c)
{
    return c->count == 0 && c->unique == 0;
}

static const char *record_jsonl(int with_days, const vc_record_t *rec,
                                apr_pool_t *pool)
{
    vc_json_t j;
    unsigned int i;

    vc_json_init(&j, pool, 128);
    vc_json_object_begin(&j);
    vc_json_key(&j, "key");
    vc_json_cstring(&j, rec->key);
    vc_json_key(&j, "count");
    vc_json_uint64(&j, rec->counts.count);
    vc_json_key(&j, "unique");
    vc_json_uint64(&j, rec->counts.unique);
    if (with_days) {
        vc_json_key(&j, "days");
        vc_json_array_begin(&j);
        for (i = 0; i < rec->ndays; i++) {
            char date[11];

            if (day_empty(&rec->daily[i])) {
                continue;
            }
            vc_day_format(rec->first_day + i, date);
            vc_json_array_begin(&j);
            vc_json_cstring(&j, date);
            vc_json_uint64(&j, rec->daily[i].count);
            vc_json_uint64(&j, rec->daily[i].unique);
            vc_json_array_end(&j);
        }
        vc_json_array_end(&j);
    }
    vc_json_object_end(&j);
    return apr_pstrcat(pool, vc_json_finish(&j, NULL), "\n", NULL);
}

/* A CSV field: quoted, quotes doubled, when it holds a comma, a quote, a
 * line break or leading or trailing white space. */
static const char *csv_field(const char *s, apr_pool_t *pool)
{
    apr_size_t n = strlen(s), i, q = 0;
    char *out, *o;

    if (n > 0 && strcspn(s, ",\"\r\n") == n && s[0] != ' ' && s[n - 1] != ' ') {
        return s;
    }
    for (i = 0; i < n; i++) {
        q += s[i] == '"';
    }
    o = out = apr_palloc(pool, n + q + 3);
    *o++ = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"') {
            *o++ = '"';
        }
        *o++ = s[i];
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *record_csv(int with_days, const vc_record_t *rec,
                              apr_pool_t *pool)
{
    const char *key = csv_field(rec->key, pool);
    struct iovec *parts;
    unsigned int i, n = 0;

    if (!with_days) {
        return apr_psprintf(pool, "%s,%" APR_UINT64_T_FMT ",%" APR_UINT64_T_FMT
                            "\n", key, rec->counts.count, rec->counts.unique);
    }
    parts = apr_palloc(pool, sizeof(*parts) * (rec->ndays + 1));
    parts[n].iov_base = apr_psprintf(pool, "%s,,%" APR_UINT64_T_FMT ",%"
                                     APR_UINT64_T_FMT "\n", key,
                                     rec->counts.count, rec->counts.unique);
    parts[n].iov_len = strlen(parts[n].iov_base);
    n++;
    for (i = 0; i < rec->ndays; i++) {
        char date[11];

        if (day_empty(&rec->daily[i])) {
            continue;
        }
        vc_day_format(rec->first_day + i, date);
        parts[n].iov_base = apr_psprintf(pool, "%s,%s,%" APR_UINT64_T_FMT ",%"
                                         APR_UINT64_T_FMT "\n", key, date,
                                         rec->daily[i].count,
                                         rec->daily[i].unique);
        parts[n].iov_len = strlen(parts[n].iov_base);
        n++;
    }
    return apr_pstrcatv(pool, parts, n, NULL);
}

const char *vc_export_record(vc_format_e format, int with_days,
                             const vc_record_t *rec, apr_pool_t *pool)
{
    if (format == VC_FORMAT_CSV) {
        return record_csv(with_days, rec, pool);
    }
    return record_jsonl(with_days, rec, pool);
}
