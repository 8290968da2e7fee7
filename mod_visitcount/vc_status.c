/* The section mod_visitcount adds to mod_status's page: how hits ended
 * and how many store calls failed since httpd started (vc_stats.h), and
 * the store's keys and size as it reports them now.  The store is asked
 * once per page, within its own timeouts (VisitCountRedisCommandTimeout
 * for Redis); when it cannot answer, the figures are still shown and the
 * store's own are marked unavailable (and left out of ?auto, whose
 * readers expect numbers).
 */
#include "vc_status.h"
#include "vc_count.h"
#include "vc_module.h"
#include "vc_stats.h"

#include "http_protocol.h"
#include "mod_status.h"
#include "apr_strings.h"

/* One figure: a line of ?auto, or a row of the HTML table (or a line,
 * with ?notable). */
static void put(request_rec *r, int flags, const char *auto_name,
                const char *label, apr_uint64_t value)
{
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "VisitCount%s: %" APR_UINT64_T_FMT "\n", auto_name,
                   value);
    }
    else if (flags & AP_STATUS_NOTABLE) {
        ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "<br />\n", label, value);
    }
    else {
        ap_rprintf(r, "<tr><th align=\"left\">%s</th><td align=\"right\">%"
                   APR_UINT64_T_FMT "</td></tr>\n", label, value);
    }
}

static void put_store(request_rec *r, int flags)
{
    vc_store_stats_t st;
    int up = vc_store_stats(vc_child.store, &st) == APR_SUCCESS;

    put(r, flags, "StoreUp", "Store up", up);
    if (up) {
        put(r, flags, "Keys", "Keys", st.keys);
        put(r, flags, "StoreUsedBytes", "Store used bytes", st.used_bytes);
        put(r, flags, "StoreSizeBytes", "Store size bytes (0: no limit)",
            st.size_bytes);
    }
    else if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs((flags & AP_STATUS_NOTABLE)
                 ? "Keys and store size: unavailable<br />\n"
                 : "<tr><th align=\"left\">Keys and store size</th>"
                   "<td align=\"right\">unavailable</td></tr>\n", r);
    }
}

int vc_status_hook(request_rec *r, int flags)
{
    vc_stats_t s;
    apr_uint64_t errors = 0;
    int i;

    vc_stats_read(&s);
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_visitcount</h2>\n", r);
        if (!(flags & AP_STATUS_NOTABLE)) {
            ap_rputs("<table border=\"0\">\n", r);
        }
    }
    put(r, flags, "Hits", "Hits counted", s.outcomes[VC_OUT_COUNTED]);
    for (i = VC_OUT_COUNTED + 1; i < VC_OUT_N; i++) {
        put(r, flags, apr_pstrcat(r->pool, "NotCounted",
                                  vc_out_title((vc_out_e)i), NULL),
            apr_pstrcat(r->pool, "Not counted: ", vc_out_name((vc_out_e)i),
                        NULL),
            s.outcomes[i]);
    }
    for (i = 0; i < VC_ERR_N; i++) {
        errors += s.store_errors[i];
    }
    put(r, flags, "StoreErrors", "Store errors", errors);
    for (i = 0; i < VC_ERR_N; i++) {
        put(r, flags, apr_pstrcat(r->pool, "StoreErrors",
                                  vc_err_title((vc_err_e)i), NULL),
            apr_pstrcat(r->pool, "Store errors: ", vc_err_name((vc_err_e)i),
                        NULL),
            s.store_errors[i]);
    }
    put_store(r, flags);
    if (!(flags & (AP_STATUS_SHORT | AP_STATUS_NOTABLE))) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}
