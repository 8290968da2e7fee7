/* The dashboard's charts, drawn as text: SVG for the eye, a summary for
 * screen readers (the chart's <desc>), and a table of every figure.  The
 * output is well-formed XML as well as HTML (every attribute quoted, no
 * named entity but XML's own), so a test can parse it strictly.  Nothing
 * in it refers to another document or host: the page that embeds it sets
 * the colours through the classes vc-visits, vc-unique, vc-grid and
 * vc-axis, with the attributes here as the fallback, and may hide every
 * other date (class vc-odd) on a narrow screen.
 */
#include "vc_chart.h"
#include "vc_visitor.h"

#include "apr_strings.h"
#include "apr_tables.h"

#include <string.h>

/* The plot inside the viewBox: room on the left for the counts and half
 * of the first date, at the top for the legend, at the bottom for the
 * dates, and on the right for half of the last date.  Each date is
 * centred on its tick, so two of them are as far apart as their ticks. */
#define PLOT_X0 66.0
#define PLOT_X1 606.0
#define PLOT_Y0 30.0
#define PLOT_Y1 206.0
#define Y_STEPS 4                   /* gridlines wanted above zero */
#define X_LABELS 6                  /* dates wanted along the x axis */

const char *vc_chart_escape(apr_pool_t *p, const char *s)
{
    apr_size_t extra = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        switch (*c) {
        case '&': extra += 4; break;        /* &amp; */
        case '<': case '>': extra += 3; break;
        case '"': case '\'': extra += 4; break;  /* &quot; &#39; */
        default: break;
        }
    }
    if (!extra) {
        return s;
    }
    o = out = apr_palloc(p, strlen(s) + extra + 1);
    for (c = s; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: *o++ = *c; continue;
        }
        memcpy(o, rep, strlen(rep));
        o += strlen(rep);
    }
    *o = '\0';
    return out;
}

void vc_chart_ticks(apr_uint64_t max, unsigned int want, apr_uint64_t *step,
                    apr_uint64_t *top)
{
    static const unsigned int mult[3] = { 1, 2, 5 };
    apr_uint64_t raw, mag = 1, steps;
    int i;

    if (want == 0) {
        want = 1;
    }
    raw = max / want + (max % want != 0);   /* the smallest step that fits */
    *step = 1;
    for (;;) {
        for (i = 0; i < 3; i++) {
            if (mag * mult[i] >= raw) {
                *step = mag * mult[i];
                goto found;
            }
        }
        if (mag > APR_UINT64_MAX / 100) {
            *step = mag * 10;   /* 10^19: raw is above 5 * 10^18 */
            break;
        }
        mag *= 10;
    }
found:
    steps = max / *step + (max % *step != 0);
    if (steps == 0) {
        steps = 1;
    }
    *top = steps > APR_UINT64_MAX / *step ? APR_UINT64_MAX : steps * *step;
}

apr_uint64_t vc_chart_max(const vc_chart_t *c)
{
    apr_uint64_t max = 0;
    unsigned int i;

    for (i = 0; i < c->ndays; i++) {
        if (c->daily[i].count > max) max = c->daily[i].count;
        if (c->daily[i].unique > max) max = c->daily[i].unique;
    }
    return max;
}

static apr_uint64_t add_sat(apr_uint64_t a, apr_uint64_t b)
{
    return a > APR_UINT64_MAX - b ? APR_UINT64_MAX : a + b;
}

static const char *date_of(apr_pool_t *p, apr_int64_t day)
{
    char *buf = apr_palloc(p, 11);

    vc_day_format(day, buf);
    return buf;
}

const char *vc_chart_summary(apr_pool_t *p, const vc_chart_t *c)
{
    apr_uint64_t visits = 0, unique = 0;
    unsigned int i, busiest = 0;

    if (c->ndays == 0) {
        return "No days.";
    }
    for (i = 0; i < c->ndays; i++) {
        visits = add_sat(visits, c->daily[i].count);
        unique = add_sat(unique, c->daily[i].unique);
        if (c->daily[i].count > c->daily[busiest].count) {
            busiest = i;
        }
    }
    return apr_psprintf(p, "Daily visits (solid line) and unique visitors "
                        "(dashed line) from %s to %s: %" APR_UINT64_T_FMT
                        " visits and %" APR_UINT64_T_FMT " unique visitors "
                        "in all; the busiest day was %s, with %"
                        APR_UINT64_T_FMT " visits.",
                        date_of(p, c->first_day),
                        date_of(p, c->first_day + c->ndays - 1), visits,
                        unique, date_of(p, c->first_day + busiest),
                        c->daily[busiest].count);
}

/* A count as an axis shows it: in full below 10000, else shortened with
 * k, M, G, T, P or E and at most one decimal (ticks are round numbers,
 * so nothing is lost). */
static const char *tick_label(apr_pool_t *p, apr_uint64_t v)
{
    static const char units[] = "kMGTPE";
    apr_uint64_t div = 1;
    int u = -1;

    if (v < 10000) {
        return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
    }
    while (u < 5 && v / div >= 1000) {
        div *= 1000;
        u++;
    }
    if ((v % div) / (div / 10) == 0) {
        return apr_psprintf(p, "%" APR_UINT64_T_FMT "%c", v / div, units[u]);
    }
    return apr_psprintf(p, "%" APR_UINT64_T_FMT ".%" APR_UINT64_T_FMT "%c",
                        v / div, (v % div) / (div / 10), units[u]);
}

static double x_of(const vc_chart_t *c, unsigned int i)
{
    if (c->ndays < 2) {
        return (PLOT_X0 + PLOT_X1) / 2;
    }
    return PLOT_X0 + (PLOT_X1 - PLOT_X0) * i / (c->ndays - 1);
}

static double y_of(apr_uint64_t v, apr_uint64_t top)
{
    return PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * ((long double)v / top);
}

#define PUSH(a) (*(const char **)apr_array_push(a))

/* The gridlines and labels of the y axis. */
static void put_y_axis(apr_array_header_t *out, apr_uint64_t step,
                       apr_uint64_t top)
{
    apr_pool_t *p = out->pool;
    apr_uint64_t v = 0;

    for (;;) {
        double y = y_of(v, top);
        PUSH(out) = apr_psprintf(p, "<line class=\"vc-grid\" x1=\"%.1f\" "
                                 "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                 "stroke=\"#888\" stroke-opacity=\"0.5\"/>"
                                 "<text x=\"%.1f\" "
                                 "y=\"%.1f\" text-anchor=\"end\">%s</text>",
                                 PLOT_X0, y, PLOT_X1, y, PLOT_X0 - 6, y + 4,
                                 tick_label(p, v));
        if (v > top - step) {
            break;
        }
        v += step;
    }
}

/* The x axis with a tick and a date every few days; every other date is
 * of the class vc-odd, which a narrow page hides to make room for larger
 * text. */
static void put_x_axis(apr_array_header_t *out, const vc_chart_t *c)
{
    apr_pool_t *p = out->pool;
    unsigned int every = (c->ndays + X_LABELS - 1) / X_LABELS, i;

    PUSH(out) = apr_psprintf(p, "<line class=\"vc-axis\" x1=\"%.1f\" "
                             "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                             "stroke=\"currentColor\"/>", PLOT_X0, PLOT_Y1,
                             PLOT_X1, PLOT_Y1);
    for (i = 0; i < c->ndays; i += every) {
        double x = x_of(c, i);
        PUSH(out) = apr_psprintf(p, "<line class=\"vc-axis\" x1=\"%.1f\" "
                                 "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                 "stroke=\"currentColor\"/><text%s "
                                 "x=\"%.1f\" y=\"%.1f\" "
                                 "text-anchor=\"middle\">%s</text>",
                                 x, PLOT_Y1, x, PLOT_Y1 + 5,
                                 (i / every) % 2 ? " class=\"vc-odd\"" : "",
                                 x, PLOT_Y1 + 20,
                                 date_of(p, c->first_day + i));
    }
}

/* One series as a polyline; a single day as a level line across. */
static void put_line(apr_array_header_t *out, const vc_chart_t *c,
                     apr_uint64_t top, int unique, const char *attrs)
{
    apr_pool_t *p = out->pool;
    unsigned int i;

    PUSH(out) = apr_psprintf(p, "<polyline %s fill=\"none\" points=\"",
                             attrs);
    for (i = 0; i < c->ndays; i++) {
        apr_uint64_t v = unique ? c->daily[i].unique : c->daily[i].count;
        double y = y_of(v, top);
        if (c->ndays == 1) {
            PUSH(out) = apr_psprintf(p, "%.1f,%.1f %.1f,%.1f", PLOT_X0, y,
                                     PLOT_X1, y);
        }
        else {
            PUSH(out) = apr_psprintf(p, "%s%.1f,%.1f", i ? " " : "",
                                     x_of(c, i), y);
        }
    }
    PUSH(out) = "\"/>";
}

#define VISITS_ATTRS "class=\"vc-visits\" stroke=\"#1f6feb\" " \
                     "stroke-width=\"2\" vector-effect=\"non-scaling-stroke\""
#define UNIQUE_ATTRS "class=\"vc-unique\" stroke=\"#c2410c\" " \
                     "stroke-width=\"2\" stroke-dasharray=\"6 4\" " \
                     "vector-effect=\"non-scaling-stroke\""

const char *vc_chart_svg(apr_pool_t *p, const vc_chart_t *c)
{
    apr_array_header_t *out;
    apr_uint64_t step, top;

    if (c->ndays == 0) {
        return NULL;
    }
    out = apr_array_make(p, 64 + 2 * (int)c->ndays, sizeof(const char *));
    vc_chart_ticks(vc_chart_max(c), Y_STEPS, &step, &top);
    PUSH(out) = apr_psprintf(p, "<svg class=\"vc-chart\" viewBox=\"0 0 %d %d\""
                             " role=\"img\" aria-labelledby=\"%s-title "
                             "%s-desc\" font-size=\"12\" "
                             "fill=\"currentColor\"><title id=\"%s-title\">"
                             "%s</title><desc id=\"%s-desc\">%s</desc>",
                             VC_CHART_WIDTH, VC_CHART_HEIGHT, c->id, c->id,
                             c->id, vc_chart_escape(p, c->title), c->id,
                             vc_chart_escape(p, vc_chart_summary(p, c)));
    PUSH(out) = apr_psprintf(p, "<g aria-hidden=\"true\"><line " VISITS_ATTRS
                             " x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"12\"/>"
                             "<text x=\"%.1f\" y=\"16\">Visits</text><line "
                             UNIQUE_ATTRS " x1=\"%.1f\" y1=\"12\" x2=\"%.1f\""
                             " y2=\"12\"/><text x=\"%.1f\" y=\"16\">Unique "
                             "visitors</text>", PLOT_X0, PLOT_X0 + 24,
                             PLOT_X0 + 30, PLOT_X0 + 110, PLOT_X0 + 134,
                             PLOT_X0 + 140);
    put_y_axis(out, step, top);
    put_x_axis(out, c);
    put_line(out, c, top, 0, VISITS_ATTRS);
    put_line(out, c, top, 1, UNIQUE_ATTRS);
    PUSH(out) = "</g></svg>";
    return apr_array_pstrcat(p, out, 0);
}

const char *vc_chart_table(apr_pool_t *p, const vc_chart_t *c)
{
    apr_array_header_t *out = apr_array_make(p, 4 + (int)c->ndays,
                                             sizeof(const char *));
    unsigned int i;

    PUSH(out) = apr_pstrcat(p, "<table><caption>",
                            vc_chart_escape(p, c->title),
                            "</caption><thead><tr><th scope=\"col\">Date "
                            "(UTC)</th><th scope=\"col\">Visits</th>"
                            "<th scope=\"col\">Unique visitors</th></tr>"
                            "</thead><tbody>", NULL);
    for (i = 0; i < c->ndays; i++) {
        PUSH(out) = apr_psprintf(p, "<tr><th scope=\"row\">%s</th><td>%"
                                 APR_UINT64_T_FMT "</td><td>%"
                                 APR_UINT64_T_FMT "</td></tr>",
                                 date_of(p, c->first_day + i),
                                 c->daily[i].count, c->daily[i].unique);
    }
    PUSH(out) = "</tbody></table>";
    return apr_array_pstrcat(p, out, 0);
}
