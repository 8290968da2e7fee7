/* Fuzzes the import readers: arbitrary bytes, split into lines (each in a
 * buffer of exactly its size, so ASan sees any read past it), through an
 * automatic-format reader.  Whatever it accepts must be records in strict
 * key order, with valid keys, unique <= count, and days trimmed to their
 * first and last non-zero day; and exporting them in either format, with
 * days, must import again to identical records.
 */
#include "fuzz_common.h"
#include "vc_parse.h"
#include "vc_transfer.h"

static const char *import_text(vc_from_e from, const char *text, size_t len,
                               apr_array_header_t **records)
{
    vc_import_t *imp = vc_import_create(from, fuzz_pool);
    const char *p = text, *end = text + len, *kind, *failed = NULL, *finished;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        char *line = malloc((size_t)(e - p) + 1);
        const char *err;

        memcpy(line, p, (size_t)(e - p));
        err = vc_import_line(imp, line, (apr_size_t)(e - p));
        free(line);
        if (err) {
            FUZZ_ASSERT(strncmp(err, "line ", 5) == 0);
            failed = failed ? failed : err;
        }
        p = nl ? nl + 1 : end;
    }
    finished = vc_import_finish(imp, records, &kind);
    if (finished) {
        FUZZ_ASSERT(*records == NULL);
        return finished;
    }
    FUZZ_ASSERT(kind != NULL && *records != NULL);
    return failed;
}

static void check_records(const apr_array_header_t *recs)
{
    int i;
    unsigned int d;

    for (i = 0; i < recs->nelts; i++) {
        const vc_record_t *r = &APR_ARRAY_IDX(recs, i, vc_record_t);

        FUZZ_ASSERT(vc_key_check(r->key, strlen(r->key)) == NULL);
        FUZZ_ASSERT(i == 0 || strcmp(APR_ARRAY_IDX(recs, i - 1, vc_record_t).key,
                                     r->key) < 0);
        FUZZ_ASSERT(r->counts.unique <= r->counts.count);
        if (r->ndays == 0) {
            continue;
        }
        FUZZ_ASSERT(r->ndays <= VC_IMPORT_MAX_SPAN);
        FUZZ_ASSERT(r->daily[0].count || r->daily[0].unique);
        FUZZ_ASSERT(r->daily[r->ndays - 1].count
                    || r->daily[r->ndays - 1].unique);
        for (d = 0; d < r->ndays; d++) {
            FUZZ_ASSERT(r->daily[d].unique <= r->daily[d].count);
        }
    }
}

static void round_trip(vc_format_e format, const apr_array_header_t *recs)
{
    apr_array_header_t *again = NULL;
    const char *text = vc_export_header(format, 1, 1796252400, fuzz_pool);
    int i;

    for (i = 0; i < recs->nelts; i++) {
        text = apr_pstrcat(fuzz_pool, text, vc_export_record(format, 1,
                           &APR_ARRAY_IDX(recs, i, vc_record_t), fuzz_pool),
                           NULL);
    }
    FUZZ_ASSERT(import_text(VC_FROM_VISITCOUNT, text, strlen(text),
                            &again) == NULL);
    FUZZ_ASSERT(vc_records_equal(recs, again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_array_header_t *recs = NULL;

    if (import_text(VC_FROM_AUTO, (const char *)data, size, &recs) == NULL) {
        check_records(recs);
        round_trip(VC_FORMAT_JSONL, recs);
        round_trip(VC_FORMAT_CSV, recs);
    }
    apr_pool_clear(fuzz_pool);
    return 0;
}
