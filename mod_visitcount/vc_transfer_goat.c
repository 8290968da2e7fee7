/* Reading what GoatCounter leaves: the CSV of every pageview it exports
 * (versions 1 and 2), and the JSON its API answers /api/v0/stats/hits
 * with (see vc_transfer.h for both, and for why not its ZIP export).
 * Paths become keys strictly: a path that is not a valid key as it stands
 * is an error naming its line, never mangled into some other key, so
 * that what is imported is exactly what GoatCounter counted.
 */
#include "vc_transfer_int.h"
#include "vc_parse.h"

#include "apr_lib.h"

#include <string.h>

/* The key of a GoatCounter path, or an error for line. */
static const char *path_key(vc_import_t *imp, unsigned long line,
                            const char *path, apr_size_t len,
                            const char **key)
{
    const char *why;

    if (len == 1 && path[0] == '/') {
        *key = imp->default_key;
        return NULL;
    }
    if (len == 0 || path[0] != '/') {
        return vc_tr_error(imp, line, "path '%s' does not start with '/'",
                           path);
    }
    if ((why = vc_key_check(path + 1, len - 1))) {
        return vc_tr_error(imp, line, "path '%s' does not make a valid key: "
                           "%s", path, why);
    }
    *key = apr_pstrmemdup(imp->pool, path + 1, len - 1);
    return NULL;
}

/* ---- CSV ------------------------------------------------------------------ */

/* The version before "Path": "2Path" or "2" then "Path"; *split tells
 * which.  -1 when it is neither. */
static int header_version(const apr_array_header_t *f, int *split)
{
    const vc_tr_field_t *f0 = &APR_ARRAY_IDX(f, 0, vc_tr_field_t);
    apr_size_t i = 0;
    int v = 0;

    while (i < f0->len && apr_isdigit(f0->s[i]) && v < 100000) {
        v = v * 10 + (f0->s[i++] - '0');
    }
    if (i == 0) {
        return -1;
    }
    if (i == f0->len && f->nelts > 1
        && !strcmp(APR_ARRAY_IDX(f, 1, vc_tr_field_t).s, "Path")) {
        *split = 1;
        return v;
    }
    if (!strcmp(f0->s + i, "Path")) {
        *split = 0;
        return v;
    }
    return -1;
}

int vc_tr_goat_csv_header_like(const apr_array_header_t *fields)
{
    int split;

    return header_version(fields, &split) >= 0;
}

const char *vc_tr_goat_csv_header(vc_import_t *imp,
                                  const apr_array_header_t *f)
{
    static const char *const names[] = {"Event", "Session", "Bot", "Date"};
    int *const slots[] = {&imp->col_event, &imp->col_session, &imp->col_bot,
                          &imp->col_date};
    int split = 0, version = header_version(f, &split), i, k;

    imp->state = VC_TR_FAILED;
    if (version != 1 && version != 2) {
        imp->fatal = vc_tr_error(imp, imp->lineno, "GoatCounter export "
                                 "version %d is not supported (this tool "
                                 "reads versions 1 and 2)", version);
        return imp->fatal;
    }
    imp->col_path = 0;
    imp->ncols = f->nelts - split;
    for (k = 0; k < 4; k++) {
        *slots[k] = -1;
        for (i = 1 + split; i < f->nelts; i++) {
            const char *name = APR_ARRAY_IDX(f, i, vc_tr_field_t).s;

            if (!strcmp(name, names[k])
                || (k == 3 && !strcmp(name, "CreatedAt"))) {
                *slots[k] = i - split;
                break;
            }
        }
        if (*slots[k] < 0) {
            imp->fatal = vc_tr_error(imp, imp->lineno, "not GoatCounter's CSV "
                                     "export: it has no column '%s'",
                                     names[k]);
            return imp->fatal;
        }
    }
    imp->state = VC_TR_GOAT_CSV;
    imp->kind = version == 1 ? "goatcounter csv 1" : "goatcounter csv 2";
    return NULL;
}

/* An Event column: GoatCounter writes true/false (its own test data has
 * 1/0). */
static int flag(const vc_tr_field_t *f)
{
    if (!strcmp(f->s, "true") || !strcmp(f->s, "1")) {
        return 1;
    }
    if (!strcmp(f->s, "false") || !strcmp(f->s, "0")) {
        return 0;
    }
    return -1;
}

const char *vc_tr_goat_csv_row(vc_import_t *imp, const apr_array_header_t *f)
{
    const vc_tr_field_t *path, *session, *date;
    apr_uint64_t bot;
    apr_int64_t day;
    vc_counts_t c = {1, 0};
    const char *key, *why, *seen = NULL;
    apr_size_t slen = 0;
    vc_tr_acc_t *acc;
    int event, created;

    if (f->nelts != imp->ncols) {
        return vc_tr_error(imp, imp->lineno, "%d fields where the columns "
                           "are %d", f->nelts, imp->ncols);
    }
    event = flag(&APR_ARRAY_IDX(f, imp->col_event, vc_tr_field_t));
    if (event < 0) {
        return vc_tr_error(imp, imp->lineno, "Event must be true or false "
                           "(or 1 or 0)");
    }
    if (vc_tr_uint(APR_ARRAY_IDX(f, imp->col_bot, vc_tr_field_t).s,
                   APR_ARRAY_IDX(f, imp->col_bot, vc_tr_field_t).len, &bot)) {
        return vc_tr_error(imp, imp->lineno, "Bot must be a whole number");
    }
    date = &APR_ARRAY_IDX(f, imp->col_date, vc_tr_field_t);
    if (vc_tr_time_day(date->s, date->len, 0, &day) != 0) {
        return vc_tr_error(imp, imp->lineno, "bad Date '%s': it must be an "
                           "RFC 3339 time", date->s);
    }
    if (event || bot != 0) {
        return NULL;                    /* events and bots are not views */
    }
    path = &APR_ARRAY_IDX(f, imp->col_path, vc_tr_field_t);
    if ((why = path_key(imp, imp->lineno, path->s, path->len, &key))) {
        return why;
    }
    acc = vc_tr_acc(imp, key, imp->lineno, &created);
    session = &APR_ARRAY_IDX(f, imp->col_session, vc_tr_field_t);
    if (session->len > 0) {
        char *k;

        if (!acc->sessions) {
            acc->sessions = apr_hash_make(imp->pool);
        }
        slen = sizeof(day) + session->len;
        k = apr_palloc(imp->pool, slen);
        memcpy(k, &day, sizeof(day));
        memcpy(k + sizeof(day), session->s, session->len);
        seen = k;
        if (!apr_hash_get(acc->sessions, seen, (apr_ssize_t)slen)) {
            c.unique = 1;
        }
    }
    if ((why = vc_tr_acc_add(imp, acc, imp->lineno, &c, 1, day))
        || (why = vc_tr_acc_add(imp, acc, imp->lineno, &c, 0, 0))) {
        return why;
    }
    if (c.unique) {
        apr_hash_set(acc->sessions, seen, (apr_ssize_t)slen, "");
    }
    return NULL;
}

/* ---- JSON ----------------------------------------------------------------- */

/* The input line at the parser's position. */
static unsigned long json_line(const vc_import_t *imp, const vc_tr_json_t *j)
{
    unsigned long line = imp->buf_line;
    const char *p;

    for (p = j->start; p < j->p && p + 1 < j->end; p++) {
        line += *p == '\n';
    }
    return line;
}

typedef struct {
    const char *path;
    apr_size_t path_len;
    int event, has_count, has_unique;
    vc_counts_t counts;
    apr_array_header_t *days;           /* vc_tr_day_t */
} goat_hit_t;

/* {"day":"2026-11-30","daily":3,"hourly":[...]} */
static int stat_day(vc_tr_json_t *j, vc_tr_day_t *d)
{
    const char *name, *date = NULL;
    apr_size_t dlen = 0;
    int n = 0, r, has_daily = 0;

    if (!vc_tr_json_open(j, '{')) {
        return 0;
    }
    d->counts.count = d->counts.unique = 0;
    while ((r = vc_tr_json_member(j, &n, &name)) == 1) {
        if (!strcmp(name, "day")) {
            vc_tr_json_string(j, "\"day\"", &date, &dlen);
        }
        else if (!strcmp(name, "daily")) {
            has_daily = vc_tr_json_uint(j, "\"daily\"", &d->counts.count);
        }
        else if (!strcmp(name, "daily_unique")) {
            vc_tr_json_uint(j, "\"daily_unique\"", &d->counts.unique);
        }
        else {
            vc_tr_json_skip(j);
        }
        if (j->err) {
            return 0;
        }
    }
    if (r < 0) {
        return 0;
    }
    if (!date || vc_tr_date(date, dlen, &d->day) != 0) {
        return vc_tr_json_fail(j, "each of \"stats\" needs a \"day\" as "
                               "YYYY-MM-DD");
    }
    if (!has_daily) {
        return vc_tr_json_fail(j, "each of \"stats\" needs a \"daily\" count");
    }
    if (d->counts.unique > d->counts.count) {
        return vc_tr_json_fail(j, "\"daily_unique\" is more than \"daily\"");
    }
    return 1;
}

static int read_hit(vc_import_t *imp, vc_tr_json_t *j, goat_hit_t *h)
{
    const char *name;
    int n = 0, r;

    memset(h, 0, sizeof(*h));
    h->days = apr_array_make(imp->pool, 8, sizeof(vc_tr_day_t));
    if (!vc_tr_json_open(j, '{')) {
        return 0;
    }
    while ((r = vc_tr_json_member(j, &n, &name)) == 1) {
        if (!strcmp(name, "path")) {
            vc_tr_json_string(j, "\"path\"", &h->path, &h->path_len);
        }
        else if (!strcmp(name, "event")) {
            vc_tr_json_bool(j, "\"event\"", &h->event);
        }
        else if (!strcmp(name, "count")) {
            h->has_count = vc_tr_json_uint(j, "\"count\"", &h->counts.count);
        }
        else if (!strcmp(name, "count_unique")) {
            h->has_unique = vc_tr_json_uint(j, "\"count_unique\"",
                                            &h->counts.unique);
        }
        else if (!strcmp(name, "stats")) {
            int m = 0;

            if (vc_tr_json_open(j, '[')) {
                while (vc_tr_json_element(j, &m) == 1
                       && stat_day(j, apr_array_push(h->days))) {
                }
            }
        }
        else {
            vc_tr_json_skip(j);
        }
        if (j->err) {
            return 0;
        }
    }
    if (r < 0) {
        return 0;
    }
    if (!h->path) {
        return vc_tr_json_fail(j, "a hit has no \"path\"");
    }
    return 1;
}

/* A non-event hit's key, totals and days, added as a new key. */
static const char *add_hit(vc_import_t *imp, unsigned long line,
                           goat_hit_t *h)
{
    const char *key, *why;
    vc_tr_acc_t *acc;
    apr_uint64_t sum = 0;
    apr_hash_t *days = apr_hash_make(imp->pool);
    int created, i;

    if ((why = path_key(imp, line, h->path, h->path_len, &key))) {
        return why;
    }
    for (i = 0; i < h->days->nelts; i++) {
        vc_tr_day_t *d = &APR_ARRAY_IDX(h->days, i, vc_tr_day_t);

        if (apr_hash_get(days, &d->day, sizeof(d->day))) {
            return vc_tr_error(imp, line, "a day appears twice in the "
                               "\"stats\" of path '%s'", h->path);
        }
        apr_hash_set(days, &d->day, sizeof(d->day), d);
        if (vc_tr_add(&sum, d->counts.count) != 0) {
            return vc_tr_error(imp, line, "the counts of path '%s' overflow",
                               h->path);
        }
    }
    if (!h->has_count) {
        h->counts.count = sum;
    }
    if (h->counts.unique > h->counts.count) {
        return vc_tr_error(imp, line, "\"count_unique\" is more than "
                           "\"count\"");
    }
    acc = vc_tr_acc(imp, key, line, &created);
    if (!created) {
        return vc_tr_error(imp, line, "key '%s' appears twice, for the hit "
                           "on line %lu and here", key, acc->line);
    }
    acc->counts = h->counts;
    for (i = 0; i < h->days->nelts; i++) {
        vc_tr_day_t *d = &APR_ARRAY_IDX(h->days, i, vc_tr_day_t);

        if ((why = vc_tr_acc_add(imp, acc, line, &d->counts, 1, d->day))) {
            apr_hash_set(imp->keys, key, APR_HASH_KEY_STRING, NULL);
            return why;
        }
    }
    return NULL;
}

/* One document: {"hits":[...], ...}. */
static const char *read_document(vc_import_t *imp, vc_tr_json_t *j)
{
    const char *name, *why;
    int n = 0, r, has_hits = 0;

    if (!vc_tr_json_open(j, '{')) {
        return NULL;
    }
    while ((r = vc_tr_json_member(j, &n, &name)) == 1) {
        if (strcmp(name, "hits") != 0) {
            if (!vc_tr_json_skip(j)) {
                return NULL;
            }
            continue;
        }
        has_hits = 1;
        if (vc_tr_json_open(j, '[')) {
            int m = 0;

            while (vc_tr_json_element(j, &m) == 1) {
                goat_hit_t h;
                unsigned long line;

                vc_tr_json_peek(j);
                line = json_line(imp, j);
                if (!read_hit(imp, j, &h)) {
                    return NULL;
                }
                if (!h.event && (why = add_hit(imp, line, &h))) {
                    return why;
                }
            }
        }
        if (j->err) {
            return NULL;
        }
    }
    if (r == 0 && !has_hits) {
        vc_tr_json_fail(j, "not GoatCounter's stats JSON: it has no \"hits\"");
    }
    return NULL;
}

const char *vc_tr_goat_json(vc_import_t *imp)
{
    vc_tr_json_t j;
    const char *why = NULL;

    vc_tr_json_init(&j, imp->buf, imp->buf_len, imp->pool);
    while (!why && !j.err && !vc_tr_json_at_end(&j)) {
        why = read_document(imp, &j);
    }
    if (!why && j.err) {
        why = vc_tr_error(imp, json_line(imp, &j), "%s", j.err);
    }
    imp->buf_len = 0;
    return why;
}
