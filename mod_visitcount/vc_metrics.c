/* The metrics handler (`SetHandler visitcount-metrics`): Prometheus's
 * text exposition format 0.0.4.  Counters since httpd started come from
 * the shared figures (vc_stats.h) and are always served; the store's own
 * figures (keys, bytes, and the counts of the VisitCountMetricsTopKeys
 * keys with the highest counts) are read at scrape time, and left out,
 * with visitcount_store_up 0, when the store cannot answer.  Like the
 * admin API it is guarded by the administrator's Require, nothing else.
 */
#include "vc_metrics.h"
#include "vc_module.h"
#include "vc_prom.h"
#include "vc_reply.h"
#include "vc_stats.h"
#include "vc_store_top.h"

#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_strings.h"

#define VC_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const vc_methods_t metrics_methods = {
    "GET, HEAD", "GET, HEAD", VC_METHOD_BIT(M_GET)
};

/* The HELP and TYPE lines of a metric. */
static void head(apr_bucket_brigade *bb, const char *name, const char *type,
                 const char *help)
{
    apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}

static void sample(apr_bucket_brigade *bb, const char *name, apr_uint64_t n)
{
    apr_brigade_printf(bb, NULL, NULL, "%s %" APR_UINT64_T_FMT "\n", name, n);
}

/* A sample with one label, its value escaped. */
static void labelled(apr_bucket_brigade *bb, const char *name,
                     const char *label, const char *value, apr_uint64_t n,
                     apr_pool_t *p)
{
    apr_brigade_printf(bb, NULL, NULL, "%s{%s=\"%s\"} %" APR_UINT64_T_FMT
                       "\n", name, label, vc_prom_label(p, value), n);
}

/* The counters since httpd started. */
static void put_counters(apr_bucket_brigade *bb, apr_pool_t *p)
{
    vc_stats_t s;
    int i;

    vc_stats_read(&s);
    head(bb, "visitcount_hits_total", "counter",
         "Hits counted since httpd started.");
    sample(bb, "visitcount_hits_total", s.outcomes[VC_OUT_COUNTED]);
    head(bb, "visitcount_not_counted_total", "counter",
         "Hits not counted since httpd started, by reason.");
    for (i = VC_OUT_COUNTED + 1; i < VC_OUT_N; i++) {
        labelled(bb, "visitcount_not_counted_total", "reason",
                 vc_out_name((vc_out_e)i), s.outcomes[i], p);
    }
    head(bb, "visitcount_store_errors_total", "counter",
         "Failed store calls since httpd started, by class.");
    for (i = 0; i < VC_ERR_N; i++) {
        labelled(bb, "visitcount_store_errors_total", "class",
                 vc_err_name((vc_err_e)i), s.store_errors[i], p);
    }
}

/* The store's figures, read now; up says whether it answered. */
static void put_store(apr_bucket_brigade *bb, const vc_store_stats_t *st,
                      const apr_array_header_t *top, int up, apr_pool_t *p)
{
    int i;

    head(bb, "visitcount_store_up", "gauge",
         "1 when the store answered this scrape, else 0.");
    sample(bb, "visitcount_store_up", (apr_uint64_t)up);
    if (!up) {
        return;
    }
    head(bb, "visitcount_keys", "gauge", "Keys held by the store.");
    sample(bb, "visitcount_keys", st->keys);
    head(bb, "visitcount_store_used_bytes", "gauge",
         "Bytes the store uses.");
    sample(bb, "visitcount_store_used_bytes", st->used_bytes);
    if (st->size_bytes) {
        head(bb, "visitcount_store_size_bytes", "gauge",
             "Bytes the store may grow to.");
        sample(bb, "visitcount_store_size_bytes", st->size_bytes);
    }
    if (top->nelts == 0) {
        return;
    }
    head(bb, "visitcount_key_hits", "gauge",
         "Count of each of the keys with the highest counts.");
    for (i = 0; i < top->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(top, i, vc_entry_t);
        labelled(bb, "visitcount_key_hits", "key", e->key, e->counts.count, p);
    }
    head(bb, "visitcount_key_unique_visitors", "gauge",
         "Unique visitors (summed over days) of the same keys.");
    for (i = 0; i < top->nelts; i++) {
        const vc_entry_t *e = &APR_ARRAY_IDX(top, i, vc_entry_t);
        labelled(bb, "visitcount_key_unique_visitors", "key", e->key,
                 e->counts.unique, p);
    }
}

static int metrics(request_rec *r, const vc_dir_conf *dc)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);
    apr_array_header_t *top = NULL;
    vc_store_stats_t st;
    apr_status_t rv;
    apr_size_t len;
    char *body;
    int up;

    if (r->method_number != M_GET) {
        return vc_method_not_allowed(r, &metrics_methods);
    }
    rv = vc_store_stats(vc_child.store, &st);
    if (rv == APR_SUCCESS) {
        rv = vc_store_top(vc_child.store, vc_conf_metrics_top_keys(dc), &top,
                          r->pool);
    }
    up = rv == APR_SUCCESS;
    if (!up) {
        /* Served all the same: the scrape itself reports the store down. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      "VC0501: metrics without the store's figures");
    }
    put_counters(bb, r->pool);
    put_store(bb, &st, top, up, r->pool);
    ap_set_content_type(r, VC_METRICS_TYPE);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (apr_brigade_pflatten(bb, &body, &len, r->pool) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

int vc_metrics_handler(request_rec *r)
{
    const vc_dir_conf *dc;
    int cors_ok;

    if (!(dc = vc_reply_start(r, "visitcount-metrics", &cors_ok))) {
        return DECLINED;
    }
    return metrics(r, dc);
}
