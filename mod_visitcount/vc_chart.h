/* Drawing a daily series for the dashboard: an inline SVG chart of visits
 * and unique visitors with labelled axes, its text alternative, and the
 * HTML table of the same figures.  Pure: figures in, text out, from a
 * pool; nothing here knows about httpd or the store's engines, so the
 * unit tests check it byte for byte.
 */
#ifndef VC_CHART_H
#define VC_CHART_H

#include "apr_pools.h"

#include "vc_store.h"

/* The viewBox of every chart; the page scales it to its width. */
#define VC_CHART_WIDTH 640
#define VC_CHART_HEIGHT 240

/* One chart: ndays days of figures, daily[0] being day first_day (a
 * vc_day_of() number) and the rest the days after it.  id is unique in
 * the page and made of [A-Za-z0-9-] (the ids of the title and the
 * description derive from it); title is plain text, escaped here. */
typedef struct {
    const char *id;
    const char *title;
    apr_int64_t first_day;
    unsigned int ndays;
    const vc_counts_t *daily;
} vc_chart_t;

/* s with &, <, >, " and ' replaced by entities, fit for HTML and SVG
 * text and attribute values; s itself when nothing needs replacing. */
const char *vc_chart_escape(apr_pool_t *p, const char *s);

/* A "nice" scale for values from 0 to max: *step is 1, 2 or 5 times a
 * power of ten, chosen so that at most want steps (want >= 1) reach max,
 * and *top the first multiple of step at or above max (at least step;
 * 2^64-1 when that multiple does not fit). */
void vc_chart_ticks(apr_uint64_t max, unsigned int want, apr_uint64_t *step,
                    apr_uint64_t *top);

/* The largest count, and the largest unique figure, of the series. */
apr_uint64_t vc_chart_max(const vc_chart_t *c);

/* What the chart shows, in words: its dates, the sums of both figures
 * and the busiest day.  The chart's <desc>. */
const char *vc_chart_summary(apr_pool_t *p, const vc_chart_t *c);

/* The chart as an <svg> element: role="img" labelled by its <title> and
 * by its <desc> (the summary), a y axis of counts with gridlines at nice
 * steps, an x axis with up to seven dates, visits as a solid line and
 * unique visitors as a dashed one, and a legend.  Its size comes from its
 * viewBox alone, so it follows the width of the page.  NULL when ndays
 * is 0. */
const char *vc_chart_svg(apr_pool_t *p, const vc_chart_t *c);

/* The same figures as a <table> with a caption: a row per day, oldest
 * first, with the date, the visits and the unique visitors. */
const char *vc_chart_table(apr_pool_t *p, const vc_chart_t *c);

#endif
