/* What `visitcount export` writes and `visitcount import` reads: our own
 * export, as JSON lines or CSV, and the two forms GoatCounter's data leaves
 * in.  Pure code on APR (no httpd, no store): the writers turn a
 * vc_record_t into text, the readers turn lines of text into vc_record_ts,
 * and the unit tests and a fuzzer drive both alone.
 *
 * ---- visitcount export, version 1, JSON lines (VC_FORMAT_JSONL) ----------
 * One JSON object per line, UTF-8, each line ending in "\n".  Line 1:
 *   {"format":"visitcount","version":1,"exported":"2026-12-02T23:00:00Z","days":true}
 * then one line per key, in byte order of key:
 *   {"key":"home","count":12,"unique":5,"days":[["2026-12-01",3,2],["2026-12-02",9,3]]}
 * "count" and "unique" are the key's totals, whole numbers from 0 to
 * 18446744073709551615, unique <= count.  "days" appears only when the
 * header says "days":true (it may then be left out, or be []): the UTC days
 * with hits, oldest first, each as [date, count, unique].  Members may come
 * in any order; an unknown member, a repeated member or a key seen before
 * is an error.
 *
 * ---- visitcount export, version 1, CSV (VC_FORMAT_CSV) ------------------
 * RFC 4180 CSV, each line ending in "\n".  Line 1 carries the header
 * facts, line 2 names the columns:
 *   # visitcount export version 1, exported 2026-12-02T23:00:00Z, with days
 *   key,day,count,unique
 *   home,,12,5
 *   home,2026-12-01,3,2
 *   home,2026-12-02,9,3
 * Without days, line 1 ends "without days" and the columns are
 * key,count,unique (one row per key).  With days, a key's totals row has an
 * empty day and comes first; its day rows (oldest first, only days with
 * hits) follow it.  A field holding a comma, a quote or a line break is
 * quoted, quotes doubled.  The reader takes the columns in any order, but
 * each known name once and no other.
 *
 * ---- GoatCounter's CSV export (versions 1 and 2) -------------------------
 * The CSV of every pageview GoatCounter exports.  Its header starts with
 * the format version, either run into the first name ("2Path,Title,...") or
 * as a field of its own ("2,Path,Title,..."); the columns used are Path,
 * Event, Session, Bot and Date (RFC 3339), found by name, others ignored.
 * Events (Event true/1) and bots (Bot other than 0) are not counted.  Each
 * other row adds 1 to its key's count and to its UTC day's; unique is the
 * number of distinct (Session, day) pairs, per day and in total.  A path
 * becomes a key by dropping its leading '/', "/" becoming the default key;
 * a path that is then not a valid key (a trailing '/', a query string,
 * percent-escapes...) is an error naming the line: nothing is guessed.
 * So are two paths that would make one key ("/" and "/default").
 *
 * ---- GoatCounter's JSON (its API's /api/v0/stats/hits answer) -----------
 * GoatCounter's own JSON export is a ZIP of many files (paths referenced
 * by id from hourly counts), which a line reader cannot take; the JSON of
 * GoatCounter's that carries paths with their counts in one document is the
 * answer of GET /api/v0/stats/hits:
 *   {"hits":[{"path":"/a","event":false,"count":7,
 *             "stats":[{"day":"2026-11-30","daily":3,"hourly":[...]},...]},
 *            ...],"total":...,"more":false}
 * One document, possibly over many lines (buffered up to
 * VC_IMPORT_MAX_DOCUMENT bytes).  Each non-event hit gives its key the
 * count "count" (the sum of its "daily" figures when "count" is absent) and
 * a bucket per day with a non-zero "daily".  GoatCounter reports one figure
 * per path and day, not visitors and views apart, so unique is 0 unless the
 * hit carries "count_unique" / "daily_unique" (older GoatCounters did).
 * Members not named here are skipped.  Several documents (the pages of
 * the answer) may follow one another; a key may come from one hit only.
 *
 * ---- all formats --------------------------------------------------------
 * Lines may end in "\r\n".  Empty lines are skipped everywhere except
 * inside a CSV field in quotes.  Every key must pass vc_key_check().  A
 * record read holds its days from its first to its last non-zero day
 * (ndays = 0 without any), so exporting what was imported and importing it
 * again gives identical records.
 */
#ifndef VC_TRANSFER_H
#define VC_TRANSFER_H

#include "apr_pools.h"
#include "apr_tables.h"

#include "vc_store.h"

/* The most bytes a GoatCounter JSON document, or one CSV record spread over
 * several lines, may take. */
#define VC_IMPORT_MAX_DOCUMENT (256u * 1024 * 1024)
#define VC_IMPORT_MAX_RECORD (1024u * 1024)

/* The widest span of days one imported key may have, first to last. */
#define VC_IMPORT_MAX_SPAN 36600

typedef enum { VC_FORMAT_JSONL, VC_FORMAT_CSV } vc_format_e;

/* The export's header line, with its "\n": format name, format version,
 * the time (RFC 3339 UTC from now, Unix seconds), whether days are
 * included.  For CSV, both header lines. */
const char *vc_export_header(vc_format_e format, int with_days,
                             apr_int64_t now, apr_pool_t *pool);

/* One record, as one line (JSONL) or its CSV line(s), with "\n".  With
 * with_days, the daily history (only days with non-zero counts appear). */
const char *vc_export_record(vc_format_e format, int with_days,
                             const vc_record_t *rec, apr_pool_t *pool);

typedef enum {
    VC_FROM_AUTO,
    VC_FROM_VISITCOUNT,
    VC_FROM_GOATCOUNTER
} vc_from_e;

typedef struct vc_import vc_import_t;

/* A reader of one input.  AUTO tells the format from the first non-empty
 * line. */
vc_import_t *vc_import_create(vc_from_e from, apr_pool_t *pool);

/* The key GoatCounter's path "/" becomes (default "default", as
 * VisitCountDefaultKey's default).  Returns NULL, or why key is not a
 * valid key.  Call before the first line. */
const char *vc_import_set_default_key(vc_import_t *imp, const char *key);

/* One line of input without its "\n" (a trailing "\r" is accepted: CRLF
 * files work); lines are numbered from 1 in call order.  Returns NULL, or
 * an error message that starts "line N: " and says what is wrong.  The
 * reader stays usable after an error (the bad line is skipped), so the
 * caller can report several. */
const char *vc_import_line(vc_import_t *imp, const char *line, apr_size_t len);

/* After the last line: the records, one per key (each key once), in byte
 * order of key, as an apr_array_header_t of vc_record_t; *kind names the
 * format found, e.g. "visitcount jsonl 1", "goatcounter csv 2".  Or an
 * error message (empty input, missing header, truncated JSON document...).
 */
const char *vc_import_finish(vc_import_t *imp, apr_array_header_t **records,
                             const char **kind);

/* 1 when two arrays of vc_record_t hold the same keys in the same order,
 * with the same totals and the same days; 0 otherwise (or when either is
 * NULL). */
int vc_records_equal(const apr_array_header_t *a, const apr_array_header_t *b);

#endif
