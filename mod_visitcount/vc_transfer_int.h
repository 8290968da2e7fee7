/* What the export writers and import readers (vc_transfer_*.c) share and
 * nothing else sees: the reader's state, the per-key accumulator records
 * are built in, and the small strict parsers (UTF-8, numbers, dates, CSV
 * fields, a pull parser for JSON) both our formats and GoatCounter's use.
 */
#ifndef VC_TRANSFER_INT_H
#define VC_TRANSFER_INT_H

#include "apr_hash.h"
#include "apr_strings.h"

#include "vc_transfer.h"

/* ---- small parsers (vc_transfer_util.c) --------------------------------- */

/* NULL when s[0..len) is valid UTF-8 without NUL bytes, else why not. */
const char *vc_tr_utf8_check(const char *s, apr_size_t len);

/* A whole number 0..2^64-1 in decimal, nothing else; 0 on success, -1
 * when malformed, -2 when too large. */
int vc_tr_uint(const char *s, apr_size_t len, apr_uint64_t *out);

/* "YYYY-MM-DD" (years 0000-9999) to a day number; 0 or -1. */
int vc_tr_date(const char *s, apr_size_t len, apr_int64_t *day);

/* An RFC 3339 time (fraction and offset allowed) to the UTC day it falls
 * on; 0 or -1.  With strict_utc, only "YYYY-MM-DDTHH:MM:SSZ". */
int vc_tr_time_day(const char *s, apr_size_t len, int strict_utc,
                   apr_int64_t *day);

/* a += b, unless that overflows: then -1. */
int vc_tr_add(apr_uint64_t *a, apr_uint64_t b);

/* One CSV field. */
typedef struct {
    const char *s;
    apr_size_t len;
} vc_tr_field_t;

/* Splits one CSV record into fields (vc_tr_field_t, unquoted copies in
 * pool).  Returns 1 when complete, 0 when a quoted field is still open
 * at the end (the record goes on on the next line), -1 on a malformed
 * record (*err says why). */
int vc_tr_csv_split(const char *s, apr_size_t len, apr_array_header_t *fields,
                    apr_pool_t *pool, const char **err);

/* ---- a pull parser for JSON --------------------------------------------- */

#define VC_TR_JSON_DEPTH 64

typedef struct {
    const char *p, *start, *end;
    const char *err;       /* first error, NULL while none */
    apr_pool_t *pool;
} vc_tr_json_t;

void vc_tr_json_init(vc_tr_json_t *j, const char *s, apr_size_t len,
                     apr_pool_t *pool);
/* Sets the error (the first one sticks) and returns 0. */
int vc_tr_json_fail(vc_tr_json_t *j, const char *err);
/* Skips white space; 1 when the text ends there. */
int vc_tr_json_at_end(vc_tr_json_t *j);
/* The next value's first character after white space, or 0 at the end. */
char vc_tr_json_peek(vc_tr_json_t *j);
/* Consumes '{' or '['; 1, or 0 with the error set. */
int vc_tr_json_open(vc_tr_json_t *j, char c);
/* In an object after open: 1 with the next member's name (decoded, in the
 * pool) read up to its value, 0 after the closing '}', -1 on error.  *n
 * counts members; start it at 0. */
int vc_tr_json_member(vc_tr_json_t *j, int *n, const char **name);
/* In an array after open: 1 when a value follows, 0 after ']', -1. */
int vc_tr_json_element(vc_tr_json_t *j, int *n);
/* Values; each returns 1, or 0 with the error set (naming what). */
int vc_tr_json_string(vc_tr_json_t *j, const char *what, const char **s,
                      apr_size_t *len);
int vc_tr_json_uint(vc_tr_json_t *j, const char *what, apr_uint64_t *v);
int vc_tr_json_bool(vc_tr_json_t *j, const char *what, int *v);
int vc_tr_json_skip(vc_tr_json_t *j);

/* ---- records being read ------------------------------------------------- */

typedef struct {
    apr_int64_t day;
    vc_counts_t counts;
} vc_tr_day_t;

typedef struct {
    const char *key;
    unsigned long line;        /* where the key first appeared */
    vc_counts_t counts;
    apr_hash_t *days;          /* apr_int64_t day -> vc_tr_day_t */
    apr_int64_t min_day, max_day; /* of the days in it */
    apr_hash_t *sessions;      /* GoatCounter: day + session seen */
} vc_tr_acc_t;

typedef enum {
    VC_TR_START,               /* nothing but empty lines yet */
    VC_TR_FAILED,              /* the header was refused */
    VC_TR_VC_JSONL,
    VC_TR_VC_CSV_COLUMNS,      /* our CSV, before its column names */
    VC_TR_VC_CSV,
    VC_TR_GOAT_CSV,
    VC_TR_GOAT_JSON
} vc_tr_state_e;

struct vc_import {
    apr_pool_t *pool;
    vc_from_e from;
    const char *default_key;
    unsigned long lineno;
    vc_tr_state_e state;
    const char *kind;
    const char *fatal;         /* why the header was refused */
    int with_days;
    apr_hash_t *keys;          /* key -> vc_tr_acc_t */
    /* CSV: column positions (-1: none), and the columns a row has */
    int col_key, col_day, col_count, col_unique;
    int col_path, col_event, col_session, col_bot, col_date;
    int ncols;
    vc_tr_acc_t *current;      /* our CSV: whose day rows follow */
    /* a CSV record spread over lines, or the GoatCounter JSON text */
    char *buf;
    apr_size_t buf_len, buf_cap;
    unsigned long buf_line;    /* the line the buffer starts on */
};

/* "line N: " + the message. */
const char *vc_tr_error(vc_import_t *imp, unsigned long line,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The accumulator of key (created at line when new; *created set). */
vc_tr_acc_t *vc_tr_acc(vc_import_t *imp, const char *key, unsigned long line,
                       int *created);

/* Adds counts to the accumulator's totals, and to day's when with_day;
 * NULL or the error (for the line). */
const char *vc_tr_acc_add(vc_import_t *imp, vc_tr_acc_t *acc,
                          unsigned long line, const vc_counts_t *counts,
                          int with_day, apr_int64_t day);

/* Appends len bytes to the buffer; -1 past limit. */
int vc_tr_buf_append(vc_import_t *imp, const char *s, apr_size_t len,
                     apr_size_t limit);

/* ---- the formats ------------------------------------------------------- */

/* Our export (vc_transfer_import.c). */
const char *vc_tr_vc_header_jsonl(vc_import_t *imp, const char *line,
                                  apr_size_t len);
const char *vc_tr_vc_header_csv(vc_import_t *imp, const char *line,
                                apr_size_t len);
const char *vc_tr_vc_line(vc_import_t *imp, const char *line, apr_size_t len);

/* GoatCounter's (vc_transfer_goat.c). */
int vc_tr_goat_csv_header_like(const apr_array_header_t *fields);
const char *vc_tr_goat_csv_header(vc_import_t *imp,
                                  const apr_array_header_t *fields);
const char *vc_tr_goat_csv_row(vc_import_t *imp,
                               const apr_array_header_t *fields);
const char *vc_tr_goat_json(vc_import_t *imp);

#endif
