/* Unit tests for vc_transfer*.c: our export round-trips exactly in both
 * formats, with and without days; GoatCounter's CSV (both header forms)
 * and stats JSON import as they should; every malformed input is refused
 * with an error naming its line. */
#include "apr_general.h"
#include "apr_strings.h"
#include "apr_file_io.h"

#include "../../mod_visitcount/vc_transfer.h"
#include "tap.h"

#include <stdlib.h>

#ifndef VC_TEST_DATA
#define VC_TEST_DATA "t/data"
#endif

#define DAY_2026_11_29 20786

static apr_pool_t *pool;

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))
#define BAIL_OUT(...) (printf("Bail out! "), printf(__VA_ARGS__), \
                       printf("\n"), exit(1))

/* Feeds text line by line; the errors of the lines, joined with " | ",
 * go to *line_errors (NULL when none); returns finish's error. */
static const char *feed(vc_from_e from, const char *text, apr_size_t len,
                        apr_array_header_t **records, const char **kind,
                        const char **line_errors)
{
    vc_import_t *imp = vc_import_create(from, pool);
    const char *p = text, *end = text + len, *errs = NULL;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *err = vc_import_line(imp, p, (apr_size_t)(e - p));

        if (err) {
            errs = errs ? apr_pstrcat(pool, errs, " | ", err, NULL) : err;
        }
        p = nl ? nl + 1 : end;
    }
    *line_errors = errs;
    return vc_import_finish(imp, records, kind);
}

static const char *import_str(const char *text, apr_array_header_t **records)
{
    const char *kind, *errs, *fin;

    fin = feed(VC_FROM_AUTO, text, strlen(text), records, &kind, &errs);
    return errs ? errs : fin;
}

/* The first error importing text: a line's, else finish's. */
#define REFUSED(text, want, name) \
    do { apr_array_header_t *r_; \
         const char *e_ = import_str(text, &r_); \
         ok(e_ && strstr(e_, want), "%s", name); \
         if (!e_ || !strstr(e_, want)) diag("got: %s", e_ ? e_ : "NULL"); \
    } while (0)

static const char *read_file(const char *name, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    const char *path = apr_pstrcat(pool, VC_TEST_DATA, "/", name, NULL);

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, pool) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        BAIL_OUT("cannot read %s", path);
    }
    buf = apr_palloc(pool, (apr_size_t)fi.size + 1);
    *len = (apr_size_t)fi.size;
    apr_file_read_full(f, buf, *len, NULL);
    buf[*len] = '\0';
    apr_file_close(f);
    return buf;
}

static const vc_record_t *find(apr_array_header_t *recs, const char *key)
{
    int i;

    for (i = 0; recs && i < recs->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(recs, i, vc_record_t).key, key)) {
            return &APR_ARRAY_IDX(recs, i, vc_record_t);
        }
    }
    return NULL;
}

/* The record's days as "date:count/unique ..." (non-zero days). */
static const char *days_of(const vc_record_t *r)
{
    const char *s = "";
    unsigned int i;

    for (i = 0; r && i < r->ndays; i++) {
        char date[11];

        if (r->daily[i].count == 0 && r->daily[i].unique == 0) {
            continue;
        }
        vc_day_format(r->first_day + i, date);
        s = apr_psprintf(pool, "%s%s%s:%" APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT,
                         s, *s ? " " : "", date, r->daily[i].count,
                         r->daily[i].unique);
    }
    return s;
}

static const char *export_all(vc_format_e fmt, int with_days,
                              apr_array_header_t *recs)
{
    const char *out = vc_export_header(fmt, with_days, 1796252400, pool);
    int i;

    for (i = 0; i < recs->nelts; i++) {
        out = apr_pstrcat(pool, out, vc_export_record(fmt, with_days,
                          &APR_ARRAY_IDX(recs, i, vc_record_t), pool), NULL);
    }
    return out;
}

/* Records of every shape: max uint64, days with gaps and zero days at
 * either end, no days at all. */
static apr_array_header_t *sample_records(void)
{
    apr_array_header_t *recs = apr_array_make(pool, 4, sizeof(vc_record_t));
    vc_record_t *r;

    r = apr_array_push(recs);
    r->key = "blog/2026/hello-world";
    r->counts.count = 40;
    r->counts.unique = 9;
    r->first_day = DAY_2026_11_29;
    r->ndays = 4;
    r->daily = apr_pcalloc(pool, 4 * sizeof(vc_counts_t));
    r->daily[0].count = 3; r->daily[0].unique = 2;
    r->daily[3].count = 7; r->daily[3].unique = 7;

    r = apr_array_push(recs);
    r->key = "default";
    r->counts.count = APR_UINT64_MAX;
    r->counts.unique = APR_UINT64_MAX;
    r->first_day = DAY_2026_11_29 - 1;
    r->ndays = 3;
    r->daily = apr_pcalloc(pool, 3 * sizeof(vc_counts_t));
    r->daily[1].count = APR_UINT64_MAX; r->daily[1].unique = 1;

    r = apr_array_push(recs);
    r->key = "empty";
    r->counts.count = 0;
    r->counts.unique = 0;
    r->first_day = 0;
    r->ndays = 0;
    r->daily = NULL;

    r = apr_array_push(recs);
    r->key = "x~y_z-1.0";
    r->counts.count = 1;
    r->counts.unique = 0;
    r->first_day = 0;
    r->ndays = 0;
    r->daily = NULL;
    return recs;
}

static void test_export_text(void)
{
    apr_array_header_t *recs = sample_records();

    is_str(vc_export_header(VC_FORMAT_JSONL, 1, 1796252400, pool),
           "{\"format\":\"visitcount\",\"version\":1,\"exported\":"
           "\"2026-12-02T23:00:00Z\",\"days\":true}\n", "JSONL header");
    is_str(vc_export_header(VC_FORMAT_CSV, 0, 1796252400, pool),
           "# visitcount export version 1, exported 2026-12-02T23:00:00Z, "
           "without days\nkey,count,unique\n", "CSV header without days");
    is_str(vc_export_record(VC_FORMAT_JSONL, 1,
                            &APR_ARRAY_IDX(recs, 0, vc_record_t), pool),
           "{\"key\":\"blog/2026/hello-world\",\"count\":40,\"unique\":9,"
           "\"days\":[[\"2026-11-29\",3,2],[\"2026-12-02\",7,7]]}\n",
           "JSONL record: only days with hits");
    is_str(vc_export_record(VC_FORMAT_JSONL, 0,
                            &APR_ARRAY_IDX(recs, 1, vc_record_t), pool),
           "{\"key\":\"default\",\"count\":18446744073709551615,"
           "\"unique\":18446744073709551615}\n", "JSONL record without days");
    is_str(vc_export_record(VC_FORMAT_CSV, 1,
                            &APR_ARRAY_IDX(recs, 0, vc_record_t), pool),
           "blog/2026/hello-world,,40,9\nblog/2026/hello-world,2026-11-29,3,2\n"
           "blog/2026/hello-world,2026-12-02,7,7\n", "CSV record with days");
    is_str(vc_export_record(VC_FORMAT_CSV, 0,
                            &APR_ARRAY_IDX(recs, 2, vc_record_t), pool),
           "empty,0,0\n", "CSV record without days");
    {
        vc_record_t odd = {"a\"b,c", {1, 0}, 0, 0, NULL};

        is_str(vc_export_record(VC_FORMAT_CSV, 0, &odd, pool),
               "\"a\"\"b,c\",1,0\n", "CSV quotes a field with a comma or "
               "a quote, doubling the quote");
    }
}

static void test_round_trip(void)
{
    vc_format_e fmts[2] = {VC_FORMAT_JSONL, VC_FORMAT_CSV};
    apr_array_header_t *recs = sample_records(), *back, *again;
    int f, d;

    for (f = 0; f < 2; f++) {
        for (d = 0; d < 2; d++) {
            const char *text = export_all(fmts[f], d, recs), *kind, *errs;
            const char *err = feed(VC_FROM_AUTO, text, strlen(text), &back,
                                   &kind, &errs);
            const char *name = apr_psprintf(pool, "%s %s days",
                                            f ? "CSV" : "JSONL",
                                            d ? "with" : "without");

            ok(err == NULL && errs == NULL, "%s: imports", name);
            is_str(kind, f ? "visitcount csv 1" : "visitcount jsonl 1",
                   "%s: kind", name);
            ok(back && back->nelts == 4, "%s: four records", name);
            is_u64(find(back, "default") ? find(back, "default")->counts.count
                                         : 0, APR_UINT64_MAX,
                   "%s: max uint64 count", name);
            is_str(days_of(find(back, "blog/2026/hello-world")),
                   d ? "2026-11-29:3/2 2026-12-02:7/7" : "",
                   "%s: days", name);
            is_str(days_of(find(back, "default")),
                   d ? "2026-11-29:18446744073709551615/1" : "",
                   "%s: day of max uint64", name);
            ok(find(back, "default")->ndays == (d ? 1u : 0u),
               "%s: zero days trimmed", name);
            text = export_all(fmts[f], d, back);
            err = feed(VC_FROM_VISITCOUNT, text, strlen(text), &again, &kind,
                       &errs);
            ok(err == NULL && errs == NULL && vc_records_equal(back, again),
               "%s: export of the import imports identically", name);
        }
    }
}

static void test_crlf_and_empty(void)
{
    apr_array_header_t *recs;
    const char *e;

    e = import_str("\r\n{\"format\":\"visitcount\",\"version\":1,\"exported\":"
                   "\"2026-12-02T23:00:00Z\",\"days\":false}\r\n\r\n"
                   "{\"key\":\"a\",\"count\":2,\"unique\":1}\r\n\n", &recs);
    ok(e == NULL && recs && recs->nelts == 1, "CRLF and empty lines accepted");
    e = import_str("\xef\xbb\xbf# visitcount export version 1, exported "
                   "2026-12-02T23:00:00Z, without days\r\nunique,key,count\r\n"
                   "2,b,3\r\n1,a,2\r\n", &recs);
    ok(e == NULL && recs && recs->nelts == 2
       && !strcmp(APR_ARRAY_IDX(recs, 0, vc_record_t).key, "a")
       && APR_ARRAY_IDX(recs, 1, vc_record_t).counts.unique == 2,
       "CSV with BOM, CRLF, columns in another order; records in key order");
    e = import_str("# visitcount export version 1, exported "
                   "2026-12-02T23:00:00Z, without days\nkey,count,unique\n"
                   "\"a\",\"5\",3\n", &recs);
    ok(e == NULL && recs && recs->nelts == 1, "quoted CSV fields");
}

#define JH "{\"format\":\"visitcount\",\"version\":1,\"exported\":" \
           "\"2026-12-02T23:00:00Z\",\"days\":true}\n"
#define CH "# visitcount export version 1, exported 2026-12-02T23:00:00Z, " \
           "with days\nkey,day,count,unique\n"

static void test_malformed_own(void)
{
    REFUSED("", "empty input", "empty input");
    REFUSED("\n\n", "empty input", "only empty lines");
    REFUSED("hello,world\n", "line 1: unrecognised format", "no header");
    REFUSED("{\"format\":\"visitcount\",\"version\":7,\"exported\":\"x\"}\n",
            "line 1: visitcount export version 7 is not supported (this tool "
            "reads version 1)", "JSONL version 7");
    REFUSED("# visitcount export version 7, exported 2026-12-02T23:00:00Z, "
            "with days\n", "line 1: visitcount export version 7 is not "
            "supported", "CSV version 7");
    REFUSED("{\"format\":\"visitcount\",\"version\":1,\"exported\":"
            "\"2026-12-02T23:00:00Z\",\"days\":true,\"zone\":1}\n",
            "line 1: unknown member \"zone\"", "unknown header member");
    REFUSED("{\"format\":\"counter\",\"version\":1}\n",
            "not a visitcount export", "another format");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"unique\":0,\"extra\":2}\n",
            "line 2: unknown member \"extra\"", "unknown record member");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"unique\":0}\n\n"
            "{\"key\":\"a\",\"count\":1,\"unique\":0}\n",
            "line 4: key 'a' appears twice, on line 2 and here",
            "duplicate key JSONL");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"uniq",
            "line 2: unterminated JSON string", "truncated line");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"unique\":0",
            "line 2: truncated JSON", "truncated object");
    REFUSED(JH "{\"key\":\"a\",\"count\":1.5,\"unique\":0}\n",
            "line 2: \"count\" must be a whole number", "fraction");
    REFUSED(JH "{\"key\":\"a\",\"count\":-1,\"unique\":0}\n",
            "line 2: \"count\" must be a whole number", "negative");
    REFUSED(JH "{\"key\":\"a\",\"count\":\"1\",\"unique\":0}\n",
            "line 2: \"count\" must be a number", "string count");
    REFUSED(JH "{\"key\":\"a\",\"count\":18446744073709551616,\"unique\":0}\n",
            "line 2: \"count\" overflows", "overflow JSONL");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"unique\":2}\n",
            "line 2: unique (2) is more than count (1)", "unique > count");
    REFUSED(JH "{\"key\":\"a\",\"count\":9,\"unique\":2,\"days\":"
            "[[\"2026-12-01\",1,2]]}\n",
            "line 2: unique (2) is more than count (1) on 2026-12-01",
            "unique > count on a day");
    REFUSED(JH "{\"key\":\"a\",\"count\":9,\"unique\":2,\"days\":"
            "[[\"2026-02-30\",1,0]]}\n", "line 2: bad date '2026-02-30'",
            "bad date");
    REFUSED(JH "{\"key\":\"a\",\"count\":9,\"unique\":2,\"days\":"
            "[[\"2026-12-01\",1,0],[\"2026-12-01\",1,0]]}\n",
            "line 2: day 2026-12-01 appears twice", "day twice");
    REFUSED(JH "{\"key\":\"a\",\"count\":9,\"unique\":2,\"days\":"
            "[[\"2026-12-01\",1]]}\n", "line 2: each day must be",
            "short day");
    REFUSED(JH "{\"key\":\"a\",\"count\":9,\"unique\":2,\"days\":"
            "[[\"0001-01-01\",1,0],[\"9999-01-01\",1,0]]}\n",
            "line 2: the days span more than", "span");
    REFUSED(JH "{\"key\":\"a/../b\",\"count\":1,\"unique\":0}\n",
            "line 2: invalid key 'a/../b'", "invalid key");
    REFUSED(JH "{\"key\":\"caf\xc3\xa9\",\"count\":1,\"unique\":0}\n",
            "line 2: invalid key 'caf\xc3\xa9'", "non-ASCII key");
    REFUSED(JH "{\"key\":\"caf\xe9\",\"count\":1,\"unique\":0}\n",
            "line 2: invalid UTF-8", "invalid UTF-8");
    REFUSED(JH "{\"key\":\"a\",\"count\":1}\n",
            "line 2: member \"unique\" is missing", "missing member");
    REFUSED(JH "{\"key\":\"a\",\"count\":1,\"unique\":0} x\n",
            "line 2: text after the JSON object", "trailing text");
    REFUSED("{\"format\":\"visitcount\",\"version\":1,\"exported\":"
            "\"2026-12-02T23:00:00Z\",\"days\":false}\n"
            "{\"key\":\"a\",\"count\":1,\"unique\":0,\"days\":[]}\n",
            "line 2: unknown member \"days\" (the header says",
            "days without days");

    REFUSED(CH "a,,1,0\nb,,1,0\na,,2,0\n",
            "line 5: key 'a' appears twice, on line 3 and here",
            "duplicate key CSV");
    REFUSED("# visitcount export version 1, exported 2026-12-02T23:00:00Z, "
            "with days\nkey,day,count,unique,referrer\n",
            "line 2: unknown column 'referrer'", "unknown column");
    REFUSED("# visitcount export version 1, exported 2026-12-02T23:00:00Z, "
            "with days\nkey,count,unique\n", "line 2: the columns must be "
            "key,day,count,unique", "missing column");
    REFUSED("# visitcount export version 1, exported 2026-12-02T23:00:00Z, "
            "with days\n", "ends before the line naming the columns",
            "no column line");
    REFUSED(CH "a,,1\n", "line 3: 3 fields where the columns are 4",
            "truncated CSV row");
    REFUSED(CH "a,,18446744073709551616,0\n", "line 3: count overflows",
            "overflow CSV");
    REFUSED(CH "a,,1x,0\n", "line 3: count must be a whole number", "bad "
            "number CSV");
    REFUSED(CH "a,,1,0\nb,2026-12-01,1,0\n", "line 4: a day row of key 'b' "
            "must follow", "orphan day row");
    REFUSED(CH "a,,5,0\na,2026-12-01,1,0\na,2026-12-01,1,0\n",
            "line 5: day 2026-12-01 of key 'a' appears twice", "CSV day twice");
    REFUSED(CH "\"a,b\",,1,0\n", "line 3: invalid key 'a,b'",
            "quoted key with a comma is read, then refused as a key");
    REFUSED(CH "a\"b,,1,0\n", "line 3: a quote inside a field",
            "bare quote");
    REFUSED(CH "\"a,,1,0\n", "line 3: a quoted field is still open",
            "unterminated quote");
    REFUSED(CH "a,,1,0\n\"b\n\"x,,1,0\n", "line 4: text after a closing quote",
            "multi-line record refused where it begins");

    {   /* several errors are reported, and the good lines still count */
        const char *text = JH "{\"key\":\"a\",\"count\":1,\"unique\":0}\n"
                           "{\"key\":\"b\",\"count\":x}\n"
                           "{\"key\":\"c\",\"count\":1,\"unique\":3}\n"
                           "{\"key\":\"d\",\"count\":1,\"unique\":0}\n";
        apr_array_header_t *recs;
        const char *kind, *errs, *err = feed(VC_FROM_AUTO, text, strlen(text),
                                             &recs, &kind, &errs);

        ok(errs && strstr(errs, "line 3: ") && strstr(errs, "line 4: "),
           "two bad lines, two errors");
        ok(!err && recs && recs->nelts == 2 && find(recs, "a")
           && find(recs, "d"), "the good lines still read");
    }
}

static void check_goat_csv(const char *file, const char *kind_want, int contact)
{
    apr_size_t len;
    const char *text = read_file(file, &len), *kind, *errs, *err;
    apr_array_header_t *recs;
    const vc_record_t *r;

    err = feed(VC_FROM_AUTO, text, len, &recs, &kind, &errs);
    ok(!err && !errs, "%s: imports", file);
    is_str(kind, kind_want, "%s: kind", file);
    ok(recs && recs->nelts == (contact ? 4 : 3), "%s: one record per path, "
       "events skipped", file);
    r = find(recs, "default");
    ok(r && r->counts.count == 3 && r->counts.unique == 2,
       "%s: '/' is the default key; bot row skipped; unique by session", file);
    is_str(days_of(r), "2026-11-29:3/2", "%s: default's day", file);
    r = find(recs, "blog/first-post");
    ok(r && r->counts.count == 5 && r->counts.unique == 4,
       "%s: unique counts sessions per day", file);
    is_str(days_of(r), "2026-11-29:1/1 2026-11-30:3/2 2026-12-01:1/1",
           "%s: days from Date", file);
    is_str(days_of(find(recs, "about")), "2026-12-01:1/1", "%s: about",
           file);
    if (contact) {
        is_str(days_of(find(recs, "contact")), "2026-12-02:1/1",
               "%s: a title over two lines", file);
    }
    err = feed(VC_FROM_VISITCOUNT, text, len, &recs, &kind, &errs);
    ok(err && strstr(err, "line 1: not a visitcount export"),
       "%s: refused as a visitcount export", file);
}

#define GH "2Path,Title,Event,UserAgent,Browser,System,Session,Bot,Referrer," \
           "Referrer scheme,Screen size,Location,FirstVisit,Date\n"

static void test_goat_csv(void)
{
    apr_array_header_t *recs;
    const char *e;

    check_goat_csv("goatcounter-export.csv", "goatcounter csv 2", 0);
    check_goat_csv("goatcounter-export-v2comma.csv", "goatcounter csv 2", 1);
    REFUSED("3Path,Title,Event,Session,Bot,Date\n",
            "line 1: GoatCounter export version 3 is not supported",
            "GoatCounter version 3");
    REFUSED("2Path,Title,Event,Bot,Date\n",
            "line 1: not GoatCounter's CSV export: it has no column 'Session'",
            "GoatCounter header without Session");
    REFUSED(GH "/blog/,T,0,,,,s1,0,,,,,1,2026-12-01T10:00:00Z\n",
            "line 2: path '/blog/' does not make a valid key",
            "trailing slash refused");
    REFUSED(GH "/a?x=1,T,0,,,,s1,0,,,,,1,2026-12-01T10:00:00Z\n",
            "line 2: path '/a?x=1' does not make a valid key",
            "query refused");
    REFUSED(GH "/a,T,maybe,,,,s1,0,,,,,1,2026-12-01T10:00:00Z\n",
            "line 2: Event must be true or false", "bad Event");
    REFUSED(GH "/a,T,0,,,,s1,x,,,,,1,2026-12-01T10:00:00Z\n",
            "line 2: Bot must be a whole number", "bad Bot");
    REFUSED(GH "/a,T,0,,,,s1,0,,,,,1,yesterday\n",
            "line 2: bad Date 'yesterday'", "bad Date");
    REFUSED(GH "/a,T,0,,,,s1,0,,,,1,2026-12-01T10:00:00Z\n",
            "line 2: 13 fields where the columns are 14", "short row");
    REFUSED(GH "/,T,0,,,,s1,0,,,,,1,2026-12-01T10:00:00Z\n"
            "/default,T,0,,,,s1,0,,,,,1,2026-12-01T10:00:00Z\n",
            "line 3: paths '/' (line 2) and '/default' would both be key "
            "'default'", "two paths, one key");
    {
        vc_import_t *imp = vc_import_create(VC_FROM_GOATCOUNTER, pool);
        const char *kind;

        ok(vc_import_set_default_key(imp, "a/") != NULL,
           "an invalid default key is refused");
        ok(vc_import_set_default_key(imp, "home") == NULL,
           "a default key is set");
        vc_import_line(imp, GH, sizeof(GH) - 2);
        vc_import_line(imp, "/,T,0,,,,s1,0,,,,,1,2026-12-01T10:00:00Z", 40);
        e = vc_import_finish(imp, &recs, &kind);
        ok(!e && recs && recs->nelts == 1
           && !strcmp(APR_ARRAY_IDX(recs, 0, vc_record_t).key, "home"),
           "'/' becomes the default key set");
    }
    e = import_str(GH "/a,T,0,,,,s1,0,,,,,1,2026-12-01T23:30:00-02:00\n"
                   "/a,T,0,,,,s1,0,,,,,1,2026-12-02T00:10:00.5Z\n"
                   "/a,T,0,,,,,0,,,,,1,2026-12-02T00:20:00Z\n", &recs);
    ok(!e && recs && recs->nelts == 1, "offsets, fractions, no session");
    is_str(days_of(find(recs, "a")), "2026-12-02:3/1",
           "an offset moves the hit to its UTC day; no session: not unique");
    e = import_str("1Path,Title,Event,Bot,Session,FirstVisit,Referrer,"
                   "Referrer scheme,Browser,Screen size,Location,Date\n"
                   "/a,T,false,0,s9,true,,,UA,,NL,2020-01-05T10:00:00Z\n", &recs);
    ok(!e && recs && recs->nelts == 1 && find(recs, "a")->counts.unique == 1,
       "GoatCounter version 1's columns");
}

static void test_goat_json(void)
{
    apr_size_t len;
    const char *text = read_file("goatcounter.json", &len), *kind, *errs, *err;
    apr_array_header_t *recs;
    const vc_record_t *r;

    err = feed(VC_FROM_AUTO, text, len, &recs, &kind, &errs);
    ok(!err && !errs, "goatcounter.json: imports");
    is_str(kind, "goatcounter json", "goatcounter.json: kind");
    ok(recs && recs->nelts == 3, "goatcounter.json: events skipped");
    r = find(recs, "default");
    ok(r && r->counts.count == 5 && r->counts.unique == 0,
       "goatcounter.json: count, no unique");
    is_str(days_of(r), "2026-11-29:3/0 2026-11-30:2/0",
           "goatcounter.json: daily, zero days left out");
    ok(r && r->ndays == 2, "goatcounter.json: zero days trimmed");
    is_str(days_of(find(recs, "about")), "2026-12-01:1/0",
           "goatcounter.json: about");
    err = feed(VC_FROM_GOATCOUNTER, text, len - 2, &recs, &kind, &errs);
    ok(err && strstr(err, "line 9: truncated JSON"), "truncated document: %s",
       err ? err : "NULL");
    REFUSED("{\"hits\":[{\"path\":\"/a\",\"count\":1}],\n\"more\":false}\n"
            "{\"hits\":[{\"path\":\"/a\",\"count\":2}]}\n",
            "line 3: key 'a' appears twice, for the hit on line 1 and here",
            "JSON: a path twice");
    REFUSED("{\"hits\":[\n{\"path\":\"/a/\",\"count\":1}]}\n",
            "line 2: path '/a/' does not make a valid key", "JSON: bad path");
    REFUSED("{\"hits\":[{\"path\":\"/a\",\"count\":1,\n\"count_unique\":2}]}\n",
            "count_unique\" is more than", "JSON: unique > count");
    REFUSED("{\"hits\":[{\"path\":\"/a\",\"count\":1e3}]}\n",
            "line 1: \"count\" must be a whole number", "JSON: bad number");
    REFUSED("{\"total\":3}\n", "no \"hits\"", "JSON: not stats");
    REFUSED("[1,2]\n", "expected a JSON object", "JSON: an array");
    {
        const char *two = "{\"hits\":[{\"path\":\"/a\",\"stats\":[{\"day\":"
                          "\"2026-12-01\",\"daily\":4}]}],\"more\":true}\n"
                          "{\"hits\":[{\"path\":\"/b\",\"count\":1}]}\n";

        err = feed(VC_FROM_AUTO, two, strlen(two), &recs, &kind, &errs);
        ok(!err && recs && recs->nelts == 2
           && find(recs, "a")->counts.count == 4,
           "JSON: pages one after another; count from the days");
    }
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_export_text();
    test_round_trip();
    test_crlf_and_empty();
    test_malformed_own();
    test_goat_csv();
    test_goat_json();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
