/* The import reader: takes an input a line at a time, tells its format
 * from its first line, reads our own export (JSON lines and CSV, version
 * 1) and hands GoatCounter's to vc_transfer_goat.c, gathering every key's
 * totals and days; at the end it turns them into records in key order.
 * Every refusal names its line, and a bad line is skipped so that the
 * caller can report every one.
 */
#include "vc_transfer_int.h"
#include "vc_parse.h"

#include "apr_lib.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define VC_IMPORT_VERSION 1

vc_import_t *vc_import_create(vc_from_e from, apr_pool_t *pool)
{
    vc_import_t *imp = apr_pcalloc(pool, sizeof(*imp));

    imp->pool = pool;
    imp->from = from;
    imp->default_key = "default";
    imp->state = VC_TR_START;
    imp->keys = apr_hash_make(pool);
    return imp;
}

const char *vc_import_set_default_key(vc_import_t *imp, const char *key)
{
    const char *why = vc_key_check(key, strlen(key));

    if (why) {
        return why;
    }
    imp->default_key = apr_pstrdup(imp->pool, key);
    return NULL;
}

const char *vc_tr_error(vc_import_t *imp, unsigned long line,
                        const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(imp->pool, fmt, ap);
    va_end(ap);
    return apr_psprintf(imp->pool, "line %lu: %s", line, msg);
}

/* ---- gathering records -------------------------------------------------- */

vc_tr_acc_t *vc_tr_acc(vc_import_t *imp, const char *key, unsigned long line,
                       int *created)
{
    vc_tr_acc_t *acc = apr_hash_get(imp->keys, key, APR_HASH_KEY_STRING);

    *created = acc == NULL;
    if (!acc) {
        acc = apr_pcalloc(imp->pool, sizeof(*acc));
        acc->key = apr_pstrdup(imp->pool, key);
        acc->line = line;
        apr_hash_set(imp->keys, acc->key, APR_HASH_KEY_STRING, acc);
    }
    return acc;
}

const char *vc_tr_acc_add(vc_import_t *imp, vc_tr_acc_t *acc,
                          unsigned long line, const vc_counts_t *counts,
                          int with_day, apr_int64_t day)
{
    vc_tr_day_t *d;
    vc_counts_t sum;

    if (!with_day) {
        sum = acc->counts;
        if (vc_tr_add(&sum.count, counts->count) != 0
            || vc_tr_add(&sum.unique, counts->unique) != 0) {
            return vc_tr_error(imp, line, "the counts of key '%s' overflow "
                               "(more than 18446744073709551615)", acc->key);
        }
        acc->counts = sum;
        return NULL;
    }
    if (counts->count == 0 && counts->unique == 0) {
        return NULL;
    }
    if (!acc->days) {
        acc->days = apr_hash_make(imp->pool);
        acc->min_day = acc->max_day = day;
    }
    if ((day < acc->min_day ? acc->max_day - day : day - acc->min_day)
        >= VC_IMPORT_MAX_SPAN) {
        return vc_tr_error(imp, line, "the days of key '%s' span more than "
                           "%d days", acc->key, VC_IMPORT_MAX_SPAN);
    }
    d = apr_hash_get(acc->days, &day, sizeof(day));
    if (!d) {
        d = apr_pcalloc(imp->pool, sizeof(*d));
        d->day = day;
        apr_hash_set(acc->days, &d->day, sizeof(d->day), d);
    }
    sum = d->counts;
    if (vc_tr_add(&sum.count, counts->count) != 0
        || vc_tr_add(&sum.unique, counts->unique) != 0) {
        return vc_tr_error(imp, line, "the counts of key '%s' overflow on a "
                           "day (more than 18446744073709551615)", acc->key);
    }
    d->counts = sum;
    if (day < acc->min_day) {
        acc->min_day = day;
    }
    if (day > acc->max_day) {
        acc->max_day = day;
    }
    return NULL;
}

static apr_status_t buf_free(void *data)
{
    vc_import_t *imp = data;

    free(imp->buf);
    imp->buf = NULL;
    imp->buf_len = imp->buf_cap = 0;
    return APR_SUCCESS;
}

int vc_tr_buf_append(vc_import_t *imp, const char *s, apr_size_t len,
                     apr_size_t limit)
{
    if (len > limit || imp->buf_len > limit - len) {
        return -1;
    }
    if (imp->buf_len + len + 1 > imp->buf_cap) {
        apr_size_t cap = imp->buf_cap ? imp->buf_cap : 4096;
        char *nb;

        while (cap < imp->buf_len + len + 1) {
            cap *= 2;
        }
        nb = malloc(cap);
        if (!nb) {
            return -1;
        }
        if (imp->buf_len) {
            memcpy(nb, imp->buf, imp->buf_len);
        }
        free(imp->buf);
        if (!imp->buf) {
            apr_pool_cleanup_register(imp->pool, imp, buf_free,
                                      apr_pool_cleanup_null);
        }
        imp->buf = nb;
        imp->buf_cap = cap;
    }
    memcpy(imp->buf + imp->buf_len, s, len);
    imp->buf_len += len;
    imp->buf[imp->buf_len] = '\0';
    return 0;
}

/* ---- our export ---------------------------------------------------------- */

static const char *version_refused(vc_import_t *imp, apr_uint64_t version)
{
    imp->state = VC_TR_FAILED;
    imp->fatal = vc_tr_error(imp, imp->lineno, "visitcount export version %"
                             APR_UINT64_T_FMT " is not supported (this tool "
                             "reads version %d)", version, VC_IMPORT_VERSION);
    return imp->fatal;
}

static const char *header_refused(vc_import_t *imp, const char *why)
{
    imp->state = VC_TR_FAILED;
    imp->fatal = vc_tr_error(imp, imp->lineno, "%s", why);
    return imp->fatal;
}

/* {"format":"visitcount","version":1,"exported":"...","days":true} */
const char *vc_tr_vc_header_jsonl(vc_import_t *imp, const char *line,
                                  apr_size_t len)
{
    vc_tr_json_t j;
    const char *name, *format = NULL, *exported = NULL, *unknown = NULL;
    apr_size_t flen = 0, elen = 0;
    apr_uint64_t version = 0;
    int n = 0, r, days = -1, has_version = 0;
    apr_int64_t day;

    vc_tr_json_init(&j, line, len, imp->pool);
    if (!vc_tr_json_open(&j, '{')) {
        return header_refused(imp, j.err);
    }
    while ((r = vc_tr_json_member(&j, &n, &name)) == 1) {
        if (!strcmp(name, "format")) {
            vc_tr_json_string(&j, "\"format\"", &format, &flen);
        }
        else if (!strcmp(name, "version")) {
            has_version = vc_tr_json_uint(&j, "\"version\"", &version);
        }
        else if (!strcmp(name, "exported")) {
            vc_tr_json_string(&j, "\"exported\"", &exported, &elen);
        }
        else if (!strcmp(name, "days")) {
            vc_tr_json_bool(&j, "\"days\"", &days);
        }
        else {
            unknown = unknown ? unknown : name;
            vc_tr_json_skip(&j);
        }
        if (j.err) {
            break;
        }
    }
    if (!j.err && !vc_tr_json_at_end(&j)) {
        vc_tr_json_fail(&j, "text after the header object");
    }
    if (j.err) {
        return header_refused(imp, j.err);
    }
    if (!format || strcmp(format, "visitcount") != 0 || flen != 10) {
        return header_refused(imp, "not a visitcount export: the header "
                              "needs \"format\":\"visitcount\"");
    }
    if (!has_version) {
        return header_refused(imp, "the header has no \"version\"");
    }
    if (version != VC_IMPORT_VERSION) {
        return version_refused(imp, version);
    }
    if (unknown) {
        return header_refused(imp, apr_psprintf(imp->pool, "unknown member "
                              "\"%s\" in the header", unknown));
    }
    if (!exported || vc_tr_time_day(exported, elen, 1, &day) != 0) {
        return header_refused(imp, "the header's \"exported\" must be a time "
                              "as YYYY-MM-DDTHH:MM:SSZ");
    }
    if (days < 0) {
        return header_refused(imp, "the header has no \"days\"");
    }
    imp->with_days = days;
    imp->state = VC_TR_VC_JSONL;
    imp->kind = "visitcount jsonl 1";
    return NULL;
}

/* # visitcount export version 1, exported 2026-12-02T23:00:00Z, with days */
const char *vc_tr_vc_header_csv(vc_import_t *imp, const char *line,
                                apr_size_t len)
{
    static const char prefix[] = "# visitcount export version ";
    apr_size_t i = sizeof(prefix) - 1, start;
    apr_uint64_t version;
    const char *rest;
    apr_size_t rlen;
    apr_int64_t day;

    if (len < i || memcmp(line, prefix, i) != 0) {
        return header_refused(imp, "not a visitcount export: the first line "
                              "must start \"# visitcount export version \"");
    }
    for (start = i; i < len && apr_isdigit(line[i]); i++) {
    }
    if (vc_tr_uint(line + start, i - start, &version) == -1) {
        return header_refused(imp, "the header's version must be a number");
    }
    if (vc_tr_uint(line + start, i - start, &version) == -2
        || version != VC_IMPORT_VERSION) {
        if (vc_tr_uint(line + start, i - start, &version) == -2) {
            version = APR_UINT64_MAX;
        }
        return version_refused(imp, version);
    }
    rest = line + i;
    rlen = len - i;
    if (rlen < 32 || memcmp(rest, ", exported ", 11) != 0
        || vc_tr_time_day(rest + 11, 20, 1, &day) != 0) {
        return header_refused(imp, "the header must go on \", exported "
                              "YYYY-MM-DDTHH:MM:SSZ, with days\" (or "
                              "\"without days\")");
    }
    rest += 31;
    rlen -= 31;
    if (rlen == 11 && memcmp(rest, ", with days", 11) == 0) {
        imp->with_days = 1;
    }
    else if (rlen == 14 && memcmp(rest, ", without days", 14) == 0) {
        imp->with_days = 0;
    }
    else {
        return header_refused(imp, "the header must end \", with days\" or "
                              "\", without days\"");
    }
    imp->state = VC_TR_VC_CSV_COLUMNS;
    imp->kind = "visitcount csv 1";
    return NULL;
}

static const char *check_key(vc_import_t *imp, const char *key,
                             apr_size_t len)
{
    const char *why = vc_key_check(key, len);

    if (why) {
        return vc_tr_error(imp, imp->lineno, "invalid key '%s': %s",
                           apr_pstrmemdup(imp->pool, key, len), why);
    }
    return NULL;
}

static const char *check_counts(vc_import_t *imp, const vc_counts_t *c,
                                const char *where)
{
    if (c->unique > c->count) {
        return vc_tr_error(imp, imp->lineno, "unique (%" APR_UINT64_T_FMT
                           ") is more than count (%" APR_UINT64_T_FMT ")%s",
                           c->unique, c->count, where);
    }
    return NULL;
}

/* A new key's totals; a key seen before is an error naming both lines. */
static const char *new_key(vc_import_t *imp, const char *key,
                           const vc_counts_t *counts, vc_tr_acc_t **out)
{
    int created;
    vc_tr_acc_t *acc = vc_tr_acc(imp, key, imp->lineno, &created);

    if (!created) {
        return vc_tr_error(imp, imp->lineno, "key '%s' appears twice, on "
                           "line %lu and here", key, acc->line);
    }
    acc->counts = *counts;
    *out = acc;
    return NULL;
}

/* One [date, count, unique] of a JSON line's "days". */
static int jsonl_day(vc_import_t *imp, vc_tr_json_t *j, apr_int64_t *day,
                     vc_counts_t *c)
{
    const char *date;
    apr_size_t dlen;
    int n = 0;

    if (!vc_tr_json_open(j, '[')
        || vc_tr_json_element(j, &n) != 1
        || !vc_tr_json_string(j, "a day's date", &date, &dlen)) {
        return vc_tr_json_fail(j, "each day must be [\"YYYY-MM-DD\", count, "
                               "unique]");
    }
    if (vc_tr_date(date, dlen, day) != 0) {
        return vc_tr_json_fail(j, apr_psprintf(imp->pool, "bad date '%s': "
                               "dates are YYYY-MM-DD", date));
    }
    if (vc_tr_json_element(j, &n) != 1
        || !vc_tr_json_uint(j, "a day's count", &c->count)
        || vc_tr_json_element(j, &n) != 1
        || !vc_tr_json_uint(j, "a day's unique", &c->unique)
        || vc_tr_json_element(j, &n) != 0) {
        return vc_tr_json_fail(j, "each day must be [\"YYYY-MM-DD\", count, "
                               "unique]");
    }
    return 1;
}

static const char *jsonl_days(vc_import_t *imp, vc_tr_json_t *j,
                              apr_array_header_t *days)
{
    int n = 0, r;

    if (!vc_tr_json_open(j, '[')) {
        return j->err;
    }
    while ((r = vc_tr_json_element(j, &n)) == 1) {
        vc_tr_day_t *d = apr_array_push(days);

        if (!jsonl_day(imp, j, &d->day, &d->counts)) {
            return j->err;
        }
    }
    return r < 0 ? j->err : NULL;
}

/* A line's days: each unique <= count, no day twice, within the span. */
static const char *check_days(vc_import_t *imp, const apr_array_header_t *days)
{
    apr_hash_t *seen = apr_hash_make(imp->pool);
    apr_int64_t lo = 0, hi = 0;
    const char *why;
    int i;

    for (i = 0; i < days->nelts; i++) {
        const vc_tr_day_t *d = &APR_ARRAY_IDX(days, i, vc_tr_day_t);
        char date[11];

        vc_day_format(d->day, date);
        if ((why = check_counts(imp, &d->counts,
                                apr_pstrcat(imp->pool, " on ", date, NULL)))) {
            return why;
        }
        if (apr_hash_get(seen, &d->day, sizeof(d->day))) {
            return vc_tr_error(imp, imp->lineno, "day %s appears twice", date);
        }
        apr_hash_set(seen, &d->day, sizeof(d->day), d);
        lo = i == 0 || d->day < lo ? d->day : lo;
        hi = i == 0 || d->day > hi ? d->day : hi;
        if (hi - lo >= VC_IMPORT_MAX_SPAN) {
            return vc_tr_error(imp, imp->lineno, "the days span more than %d "
                               "days", VC_IMPORT_MAX_SPAN);
        }
    }
    return NULL;
}

/* {"key":"home","count":12,"unique":5,"days":[["2026-12-01",3,2]]} */
const char *vc_tr_vc_line(vc_import_t *imp, const char *line, apr_size_t len)
{
    vc_tr_json_t j;
    const char *name, *key = NULL, *why;
    apr_size_t klen = 0;
    vc_counts_t c = {0, 0};
    apr_array_header_t *days = apr_array_make(imp->pool, 8,
                                              sizeof(vc_tr_day_t));
    int n = 0, r, seen[4] = {0, 0, 0, 0}, i;
    vc_tr_acc_t *acc = NULL;

    vc_tr_json_init(&j, line, len, imp->pool);
    if (!vc_tr_json_open(&j, '{')) {
        return vc_tr_error(imp, imp->lineno, "%s", j.err);
    }
    while ((r = vc_tr_json_member(&j, &n, &name)) == 1) {
        int which = !strcmp(name, "key") ? 0 : !strcmp(name, "count") ? 1
                  : !strcmp(name, "unique") ? 2
                  : !strcmp(name, "days") && imp->with_days ? 3 : -1;

        if (which < 0) {
            return vc_tr_error(imp, imp->lineno, "unknown member \"%s\"%s",
                               name, !strcmp(name, "days") ? " (the header "
                               "says \"days\":false)" : "");
        }
        if (seen[which]++) {
            return vc_tr_error(imp, imp->lineno, "member \"%s\" appears "
                               "twice", name);
        }
        if (which == 0) {
            vc_tr_json_string(&j, "\"key\"", &key, &klen);
        }
        else if (which == 1) {
            vc_tr_json_uint(&j, "\"count\"", &c.count);
        }
        else if (which == 2) {
            vc_tr_json_uint(&j, "\"unique\"", &c.unique);
        }
        else {
            jsonl_days(imp, &j, days);
        }
        if (j.err) {
            return vc_tr_error(imp, imp->lineno, "%s", j.err);
        }
    }
    if (r < 0 || !vc_tr_json_at_end(&j)) {
        return vc_tr_error(imp, imp->lineno, "%s",
                           j.err ? j.err : "text after the JSON object");
    }
    for (i = 0; i < 3; i++) {
        if (!seen[i]) {
            return vc_tr_error(imp, imp->lineno, "member \"%s\" is missing",
                               i == 0 ? "key" : i == 1 ? "count" : "unique");
        }
    }
    if ((why = check_key(imp, key, klen)) || (why = check_counts(imp, &c, ""))) {
        return why;
    }
    if ((why = check_days(imp, days))) {
        return why;
    }
    if ((why = new_key(imp, key, &c, &acc))) {
        return why;
    }
    for (i = 0; i < days->nelts; i++) {
        const vc_tr_day_t *d = &APR_ARRAY_IDX(days, i, vc_tr_day_t);

        if ((why = vc_tr_acc_add(imp, acc, imp->lineno, &d->counts, 1,
                                 d->day))) {
            return why;
        }
    }
    return NULL;
}
