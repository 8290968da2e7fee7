/* The import reader's front: numbers the lines, takes off "\r" and a
 * byte-order mark, tells the format from the first non-empty line, joins
 * a CSV record whose quoted field spans lines, reads our CSV's rows, and
 * at the end turns what was gathered into records in key order.
 */
#include "vc_transfer_int.h"
#include "vc_parse.h"

#include <stdlib.h>
#include <string.h>

/* ---- our CSV's rows ------------------------------------------------------ */

static const char *csv_columns(vc_import_t *imp, const apr_array_header_t *f)
{
    int i, *slot;

    imp->col_key = imp->col_day = imp->col_count = imp->col_unique = -1;
    for (i = 0; i < f->nelts; i++) {
        const vc_tr_field_t *c = &APR_ARRAY_IDX(f, i, vc_tr_field_t);

        slot = !strcmp(c->s, "key") ? &imp->col_key
             : !strcmp(c->s, "count") ? &imp->col_count
             : !strcmp(c->s, "unique") ? &imp->col_unique
             : !strcmp(c->s, "day") && imp->with_days ? &imp->col_day : NULL;
        if (!slot) {
            return vc_tr_error(imp, imp->lineno, "unknown column '%s'%s",
                               c->s, !strcmp(c->s, "day") ? " (the header "
                               "says without days)" : "");
        }
        if (*slot >= 0) {
            return vc_tr_error(imp, imp->lineno, "column '%s' appears twice",
                               c->s);
        }
        *slot = i;
    }
    if (imp->col_key < 0 || imp->col_count < 0 || imp->col_unique < 0
        || (imp->with_days && imp->col_day < 0)) {
        return vc_tr_error(imp, imp->lineno, "the columns must be %s",
                           imp->with_days ? "key,day,count,unique"
                                          : "key,count,unique");
    }
    imp->ncols = f->nelts;
    imp->state = VC_TR_VC_CSV;
    return NULL;
}

static const char *csv_count(vc_import_t *imp, const vc_tr_field_t *f,
                             const char *what, apr_uint64_t *v)
{
    int rc = vc_tr_uint(f->s, f->len, v);

    if (rc == -2) {
        return vc_tr_error(imp, imp->lineno, "%s overflows: more than "
                           "18446744073709551615", what);
    }
    if (rc != 0) {
        return vc_tr_error(imp, imp->lineno, "%s must be a whole number from "
                           "0 to 18446744073709551615, not '%s'", what, f->s);
    }
    return NULL;
}

static const char *csv_row(vc_import_t *imp, const apr_array_header_t *f)
{
    const vc_tr_field_t *key, *day = NULL;
    vc_counts_t c;
    const char *why;
    apr_int64_t dayno;
    char date[11];
    int created;

    if (f->nelts != imp->ncols) {
        return vc_tr_error(imp, imp->lineno, "%d fields where the columns "
                           "are %d", f->nelts, imp->ncols);
    }
    key = &APR_ARRAY_IDX(f, imp->col_key, vc_tr_field_t);
    if (imp->with_days) {
        day = &APR_ARRAY_IDX(f, imp->col_day, vc_tr_field_t);
    }
    if ((why = vc_key_check(key->s, key->len))) {
        return vc_tr_error(imp, imp->lineno, "invalid key '%s': %s", key->s,
                           why);
    }
    if ((why = csv_count(imp, &APR_ARRAY_IDX(f, imp->col_count, vc_tr_field_t),
                         "count", &c.count))
        || (why = csv_count(imp, &APR_ARRAY_IDX(f, imp->col_unique,
                                                vc_tr_field_t),
                            "unique", &c.unique))) {
        return why;
    }
    if (c.unique > c.count) {
        return vc_tr_error(imp, imp->lineno, "unique (%" APR_UINT64_T_FMT
                           ") is more than count (%" APR_UINT64_T_FMT ")",
                           c.unique, c.count);
    }
    if (!day || day->len == 0) {
        vc_tr_acc_t *acc = vc_tr_acc(imp, key->s, imp->lineno, &created);

        if (!created) {
            imp->current = NULL;
            return vc_tr_error(imp, imp->lineno, "key '%s' appears twice, on "
                               "line %lu and here", key->s, acc->line);
        }
        acc->counts = c;
        imp->current = acc;
        return NULL;
    }
    if (!imp->current || strcmp(imp->current->key, key->s) != 0) {
        return vc_tr_error(imp, imp->lineno, "a day row of key '%s' must "
                           "follow that key's totals row (with an empty "
                           "day)", key->s);
    }
    if (vc_tr_date(day->s, day->len, &dayno) != 0) {
        return vc_tr_error(imp, imp->lineno, "bad date '%s': dates are "
                           "YYYY-MM-DD", day->s);
    }
    if (imp->current->days
        && apr_hash_get(imp->current->days, &dayno, sizeof(dayno))) {
        vc_day_format(dayno, date);
        return vc_tr_error(imp, imp->lineno, "day %s of key '%s' appears "
                           "twice", date, key->s);
    }
    return vc_tr_acc_add(imp, imp->current, imp->lineno, &c, 1, dayno);
}

/* A CSV line: joined to the lines before it while a quoted field is
 * open, then handed to the reader of the state. */
static const char *csv_line(vc_import_t *imp, const char *line, apr_size_t len)
{
    apr_array_header_t *f = apr_array_make(imp->pool, 16, sizeof(vc_tr_field_t));
    const char *err = NULL, *why;
    unsigned long here = imp->lineno;
    int r;

    if (imp->buf_len > 0) {
        if (vc_tr_buf_append(imp, "\n", 1, VC_IMPORT_MAX_RECORD) != 0
            || vc_tr_buf_append(imp, line, len, VC_IMPORT_MAX_RECORD) != 0) {
            imp->buf_len = 0;
            return vc_tr_error(imp, imp->buf_line, "a quoted field runs on "
                               "past %u bytes", VC_IMPORT_MAX_RECORD);
        }
        line = imp->buf;
        len = imp->buf_len;
    }
    else if (len == 0) {
        return NULL;
    }
    r = vc_tr_csv_split(line, len, f, imp->pool, &err);
    if (r == 0) {
        if (imp->buf_len == 0) {
            imp->buf_line = imp->lineno;
            if (vc_tr_buf_append(imp, line, len, VC_IMPORT_MAX_RECORD) != 0) {
                return vc_tr_error(imp, imp->lineno, "a quoted field runs on "
                                   "past %u bytes", VC_IMPORT_MAX_RECORD);
            }
        }
        return NULL;
    }
    if (imp->buf_len > 0) {
        imp->lineno = imp->buf_line;          /* errors name where it began */
        imp->buf_len = 0;
    }
    if (r < 0) {
        why = vc_tr_error(imp, imp->lineno, "%s", err);
    }
    else if (imp->state == VC_TR_VC_CSV_COLUMNS) {
        why = csv_columns(imp, f);
    }
    else if (imp->state == VC_TR_VC_CSV) {
        why = csv_row(imp, f);
    }
    else {
        why = vc_tr_goat_csv_row(imp, f);
    }
    imp->lineno = here;
    return why;
}

/* ---- telling the format ------------------------------------------------ */

static const char *refuse(vc_import_t *imp, const char *why)
{
    imp->state = VC_TR_FAILED;
    imp->fatal = vc_tr_error(imp, imp->lineno, "%s", why);
    return imp->fatal;
}

static const char *start_goat_json(vc_import_t *imp, const char *line,
                                   apr_size_t len)
{
    imp->state = VC_TR_GOAT_JSON;
    imp->kind = "goatcounter json";
    imp->buf_line = imp->lineno;
    if (vc_tr_buf_append(imp, line, len, VC_IMPORT_MAX_DOCUMENT) != 0
        || vc_tr_buf_append(imp, "\n", 1, VC_IMPORT_MAX_DOCUMENT) != 0) {
        return refuse(imp, "the JSON document is too large");
    }
    return NULL;
}

/* 1 when the line is a JSON object with a "format" member: our header. */
static int has_format_member(vc_import_t *imp, const char *line,
                             apr_size_t len)
{
    vc_tr_json_t j;
    const char *name;
    int n = 0;

    vc_tr_json_init(&j, line, len, imp->pool);
    if (!vc_tr_json_open(&j, '{')) {
        return 0;
    }
    while (vc_tr_json_member(&j, &n, &name) == 1) {
        if (!strcmp(name, "format")) {
            return 1;
        }
        if (!vc_tr_json_skip(&j)) {
            return 0;
        }
    }
    return 0;
}

static const char *detect(vc_import_t *imp, const char *line, apr_size_t len)
{
    apr_array_header_t *f;
    const char *err;
    apr_size_t i = 0;

    while (i < len && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i < len && (line[i] == '{' || line[i] == '[')) {
        if (imp->from == VC_FROM_VISITCOUNT
            || (imp->from == VC_FROM_AUTO && has_format_member(imp, line, len))) {
            return vc_tr_vc_header_jsonl(imp, line, len);
        }
        return start_goat_json(imp, line, len);
    }
    if (line[0] == '#') {
        if (imp->from == VC_FROM_GOATCOUNTER) {
            return refuse(imp, "not GoatCounter's CSV export: its first line "
                          "names the columns, starting with the version and "
                          "Path (\"2,Path\" or \"2Path\")");
        }
        return vc_tr_vc_header_csv(imp, line, len);
    }
    f = apr_array_make(imp->pool, 16, sizeof(vc_tr_field_t));
    if (imp->from != VC_FROM_VISITCOUNT
        && vc_tr_csv_split(line, len, f, imp->pool, &err) == 1
        && vc_tr_goat_csv_header_like(f)) {
        return vc_tr_goat_csv_header(imp, f);
    }
    if (imp->from == VC_FROM_VISITCOUNT) {
        return refuse(imp, "not a visitcount export: its first line is a "
                      "JSON object or starts \"# visitcount export\"");
    }
    if (imp->from == VC_FROM_GOATCOUNTER) {
        return refuse(imp, "not GoatCounter's CSV or JSON: CSV starts with "
                      "the column names (\"2,Path,...\" or \"2Path,...\"), "
                      "JSON with '{'");
    }
    return refuse(imp, "unrecognised format: expected a visitcount export "
                  "(JSON lines or CSV) or GoatCounter's CSV or JSON");
}

const char *vc_import_line(vc_import_t *imp, const char *line, apr_size_t len)
{
    const char *why;

    imp->lineno++;
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (imp->lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
        line += 3;
        len -= 3;
    }
    if (imp->state == VC_TR_FAILED) {
        return NULL;                    /* the header's error said it all */
    }
    if ((why = vc_tr_utf8_check(line, len))) {
        why = vc_tr_error(imp, imp->lineno, "%s", why);
        if (imp->state == VC_TR_GOAT_JSON && !imp->fatal) {
            imp->fatal = why;
        }
        return why;
    }
    if (imp->state == VC_TR_GOAT_JSON) {
        if (vc_tr_buf_append(imp, line, len, VC_IMPORT_MAX_DOCUMENT) != 0
            || vc_tr_buf_append(imp, "\n", 1, VC_IMPORT_MAX_DOCUMENT) != 0) {
            return refuse(imp, apr_psprintf(imp->pool, "the JSON document is "
                          "larger than %u bytes", VC_IMPORT_MAX_DOCUMENT));
        }
        return NULL;
    }
    if (imp->state == VC_TR_START) {
        return len == 0 ? NULL : detect(imp, line, len);
    }
    if (imp->state == VC_TR_VC_JSONL) {
        return len == 0 ? NULL : vc_tr_vc_line(imp, line, len);
    }
    return csv_line(imp, line, len);
}

/* ---- the records --------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
    return strcmp((*(vc_tr_acc_t *const *)a)->key,
                  (*(vc_tr_acc_t *const *)b)->key);
}

static void make_record(vc_import_t *imp, const vc_tr_acc_t *acc,
                        vc_record_t *rec)
{
    apr_hash_index_t *hi;

    rec->key = acc->key;
    rec->counts = acc->counts;
    rec->first_day = 0;
    rec->ndays = 0;
    rec->daily = NULL;
    if (!acc->days || apr_hash_count(acc->days) == 0) {
        return;
    }
    rec->first_day = acc->min_day;
    rec->ndays = (unsigned int)(acc->max_day - acc->min_day + 1);
    rec->daily = apr_pcalloc(imp->pool, sizeof(vc_counts_t) * rec->ndays);
    for (hi = apr_hash_first(imp->pool, acc->days); hi; hi = apr_hash_next(hi)) {
        const vc_tr_day_t *d = apr_hash_this_val(hi);

        rec->daily[d->day - acc->min_day] = d->counts;
    }
}

const char *vc_import_finish(vc_import_t *imp, apr_array_header_t **records,
                             const char **kind)
{
    vc_tr_acc_t **accs;
    apr_hash_index_t *hi;
    const char *why;
    int n = 0, i;

    *records = NULL;
    *kind = imp->kind;
    if (imp->state == VC_TR_START) {
        return "empty input: no header line";
    }
    if (imp->fatal) {
        return imp->fatal;
    }
    if (imp->state == VC_TR_GOAT_JSON && (why = vc_tr_goat_json(imp))) {
        return why;
    }
    if (imp->state != VC_TR_GOAT_JSON && imp->buf_len > 0) {
        return vc_tr_error(imp, imp->buf_line, "a quoted field is still open "
                           "at the end of the input");
    }
    if (imp->state == VC_TR_VC_CSV_COLUMNS) {
        return "the input ends before the line naming the columns";
    }
    accs = apr_palloc(imp->pool, sizeof(*accs) * (apr_hash_count(imp->keys) + 1));
    for (hi = apr_hash_first(imp->pool, imp->keys); hi; hi = apr_hash_next(hi)) {
        accs[n++] = apr_hash_this_val(hi);
    }
    qsort(accs, (size_t)n, sizeof(*accs), by_key);
    *records = apr_array_make(imp->pool, n > 0 ? n : 1, sizeof(vc_record_t));
    for (i = 0; i < n; i++) {
        make_record(imp, accs[i], apr_array_push(*records));
    }
    return NULL;
}
