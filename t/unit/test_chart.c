/* Unit tests for the dashboard's charts (vc_chart.c): escaping, the nice
 * steps of the y axis up to 2^64-1, the SVG's text alternative, axes,
 * dates and lines for 1, 3, 30, 90 and 365 days, its summary, and the
 * table of figures behind it.
 */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_chart.h"
#include "tap.h"

static apr_pool_t *pool;

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    const char *s = hay;

    while (s && (s = strstr(s, needle)) != NULL) {
        n++;
        s += strlen(needle);
    }
    return n;
}

static void test_escape(void)
{
    const char *plain = "blog/post-1.html~x_y";

    ok(vc_chart_escape(pool, plain) == plain, "nothing to escape: as is");
    is_str(vc_chart_escape(pool, "<&\">'"), "&lt;&amp;&quot;&gt;&#39;",
           "all five characters");
    is_str(vc_chart_escape(pool, "a&&b"), "a&amp;&amp;b", "repeated");
    is_str(vc_chart_escape(pool, ""), "", "empty");
    is_str(vc_chart_escape(pool, "caf\xc3\xa9 <b>"), "caf\xc3\xa9 &lt;b&gt;",
           "UTF-8 kept as is");
}

static void ticks(apr_uint64_t max, unsigned int want, apr_uint64_t step,
                  apr_uint64_t top)
{
    apr_uint64_t s, t;

    vc_chart_ticks(max, want, &s, &t);
    is_u64(s, step, "max %" APR_UINT64_T_FMT ", %u steps: step", max, want);
    is_u64(t, top, "max %" APR_UINT64_T_FMT ", %u steps: top", max, want);
}

static void test_ticks(void)
{
    ticks(0, 4, 1, 1);
    ticks(1, 4, 1, 1);
    ticks(4, 4, 1, 4);
    ticks(7, 4, 2, 8);
    ticks(10, 4, 5, 10);
    ticks(100, 4, 50, 100);
    ticks(101, 4, 50, 150);
    ticks(1234, 4, 500, 1500);
    ticks(9, 1, 10, 10);
    ticks(9, 0, 10, 10);                /* 0 steps wanted: taken as 1 */
    ticks(APR_UINT64_C(4000000000000000000), 4,
          APR_UINT64_C(1000000000000000000),
          APR_UINT64_C(4000000000000000000));
    /* The next multiple of 5 * 10^18 does not fit: held at 2^64-1. */
    ticks(APR_UINT64_MAX, 4, APR_UINT64_C(5000000000000000000),
          APR_UINT64_MAX);
    ticks(APR_UINT64_MAX, 1, APR_UINT64_C(10000000000000000000),
          APR_UINT64_MAX);
}

static vc_counts_t *series(unsigned int n, apr_uint64_t scale)
{
    vc_counts_t *d = apr_pcalloc(pool, sizeof(*d) * n);
    unsigned int i;

    for (i = 0; i < n; i++) {
        d[i].count = (i * 7 % 11) * scale;
        d[i].unique = d[i].count / 2;
    }
    return d;
}

/* The dates along the x axis: the texts anchored in the middle. */
static void test_dates(unsigned int n, const char *first, const char *last)
{
    vc_chart_t c = { "c", "t", 0, n, series(n, 1) };
    const char *svg = vc_chart_svg(pool, &c);

    ok(count_of(svg, "text-anchor=\"middle\"") >= 5
       && count_of(svg, "text-anchor=\"middle\"") <= 7
       && count_of(svg, "text-anchor=\"start\"") == 0,
       "%u days: 5 to 7 dates (%d), each centred on its tick", n,
       count_of(svg, "text-anchor=\"middle\""));
    ok(strstr(svg, apr_pstrcat(pool, "\">", first, "</text>", NULL)) != NULL,
       "%u days: the first day is labelled %s", n, first);
    ok(strstr(svg, apr_pstrcat(pool, "<tr><th scope=\"row\">", last, NULL))
       == NULL, "%u days: no table in the SVG", n);
    ok(strstr(vc_chart_table(pool, &c), apr_pstrcat(pool,
       "<tr><th scope=\"row\">", last, "</th>", NULL)) != NULL,
       "%u days: the table's last row is %s", n, last);
    is_u64((apr_uint64_t)count_of(vc_chart_table(pool, &c), "<tr>"), n + 1,
           "%u days: a row per day and the header", n);
}

static void test_svg(void)
{
    vc_counts_t d3[3] = { { 0, 0 }, { 5, 2 }, { 10, 1 } };
    vc_counts_t d1[1] = { { 4, 4 } };
    vc_chart_t c = { "k-1", "Visits of <&\">", 0, 3, d3 };
    const char *svg = vc_chart_svg(pool, &c);
    const char *head = "<svg class=\"vc-chart\" viewBox=\"0 0 640 240\" "
                       "role=\"img\" aria-labelledby=\"k-1-title k-1-desc\"";

    ok(svg && !strncmp(svg, head, strlen(head)),
       "an svg with a viewBox, role img, labelled");
    ok(strstr(svg, "<title id=\"k-1-title\">Visits of &lt;&amp;&quot;&gt;"
              "</title>") != NULL, "its title, escaped");
    ok(strstr(svg, "<>") == NULL && strstr(svg, "<&") == NULL
       && strstr(svg, "\">\"") == NULL, "nothing raw of the title");
    is_str(vc_chart_summary(pool, &c), "Daily visits (solid line) and unique "
           "visitors (dashed line) from 1970-01-01 to 1970-01-03: 15 visits "
           "and 3 unique visitors in all; the busiest day was 1970-01-03, "
           "with 10 visits.", "the summary");
    ok(strstr(svg, apr_pstrcat(pool, "<desc id=\"k-1-desc\">",
                               vc_chart_summary(pool, &c), "</desc>", NULL))
       != NULL, "the summary is the desc");
    ok(strstr(svg, " width=") == NULL && strstr(svg, " height=") == NULL,
       "no fixed size: the page scales the viewBox");
    ok(strstr(svg, "http") == NULL && strstr(svg, "href") == NULL,
       "no reference to anything else");
    ok(strstr(svg, "points=\"66.0,206.0 336.0,118.0 606.0,30.0\"") != NULL,
       "visits: three points from the bottom (0) to the top (10)");
    ok(strstr(svg, "points=\"66.0,206.0 336.0,170.8 606.0,188.4\"") != NULL,
       "unique visitors: on the same scale");
    ok(count_of(svg, "stroke-dasharray") == 2, "unique: dashed, legend too");
    ok(strstr(svg, ">0</text>") && strstr(svg, ">5</text>")
       && strstr(svg, ">10</text>") && !strstr(svg, ">15</text>"),
       "y axis: 0, 5, 10");
    ok(strstr(svg, ">1970-01-01</text>") && strstr(svg, ">1970-01-03</text>"),
       "x axis: every date of three");
    ok(strstr(svg, ">Visits</text>") && strstr(svg, ">Unique visitors</text>"),
       "a legend");
    ok(count_of(svg, "<") == count_of(svg, ">"), "brackets balance");

    c.ndays = 1;
    c.daily = d1;
    svg = vc_chart_svg(pool, &c);
    ok(strstr(svg, "points=\"66.0,30.0 606.0,30.0\"") != NULL,
       "one day: a level line across, at the top");
    c.ndays = 0;
    ok(vc_chart_svg(pool, &c) == NULL, "no days: no chart");
    is_str(vc_chart_summary(pool, &c), "No days.", "no days: says so");
    is_str(vc_chart_table(pool, &c), "<table><caption>Visits of &lt;&amp;"
           "&quot;&gt;</caption><thead><tr><th scope=\"col\">Date (UTC)</th>"
           "<th scope=\"col\">Visits</th><th scope=\"col\">Unique visitors"
           "</th></tr></thead><tbody></tbody></table>",
           "no days: an empty table, caption escaped");
    c.ndays = 2;
    c.daily = d3 + 1;
    ok(strstr(vc_chart_table(pool, &c), "<tbody><tr><th scope=\"row\">"
              "1970-01-01</th><td>5</td><td>2</td></tr><tr><th scope=\"row\">"
              "1970-01-02</th><td>10</td><td>1</td></tr></tbody>") != NULL,
       "two days: the table's rows");
}

static void test_big(void)
{
    vc_counts_t d[2] = { { 25000, 0 }, { 1, 1 } };
    vc_counts_t m[2] = { { 1500000, 0 }, { 0, 0 } };
    vc_counts_t x[2] = { { APR_UINT64_MAX, APR_UINT64_MAX }, { 1, 0 } };
    vc_chart_t c = { "b", "big", 0, 2, d };
    const char *svg = vc_chart_svg(pool, &c);

    ok(strstr(svg, ">10k</text>") && strstr(svg, ">30k</text>")
       && strstr(svg, ">9999</text>") == NULL, "thousands: 10k .. 30k");
    c.daily = m;
    svg = vc_chart_svg(pool, &c);
    ok(strstr(svg, ">500k</text>") && strstr(svg, ">1.5M</text>"),
       "millions: 500k, 1M, 1.5M");
    c.daily = x;
    svg = vc_chart_svg(pool, &c);
    ok(svg && strstr(svg, ">15E</text>") && strstr(svg, ">5E</text>"),
       "2^64-1: ticks up to 15E, no overflow");
    ok(strstr(vc_chart_summary(pool, &c), " 18446744073709551615 visits and"
              " 18446744073709551615 unique") != NULL,
       "sums held at 2^64-1");
    is_u64(vc_chart_max(&c), APR_UINT64_MAX, "the largest figure");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_escape();
    test_ticks();
    test_svg();
    test_big();
    test_dates(30, "1970-01-01", "1970-01-30");
    test_dates(90, "1970-01-01", "1970-03-31");
    test_dates(365, "1970-01-01", "1970-12-31");
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
