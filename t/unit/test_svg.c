/* Unit tests for vc_svg.c: text cleaning and escaping, colours, styles,
 * shields' abbreviations, the measured text widths and the SVG's
 * structure. */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_svg.h"
#include "tap.h"


static apr_pool_t *pool;

/* Equal to a thousandth of a pixel. */
static int near(double a, double b)
{
    return a - b < 0.001 && b - a < 0.001;
}

static void test_text(void)
{
    char long_label[200];

    is_str(vc_svg_text(pool, "  visits  ", 64), "visits", "spaces trimmed");
    is_str(vc_svg_text(pool, "a\tb\x01" "c\x7f", 64), "abc",
           "control characters dropped");
    is_str(vc_svg_text(pool, "caf\xc3\xa9", 64), "caf\xc3\xa9",
           "UTF-8 kept");
    is_str(vc_svg_text(pool, "a\xc3(b\xe0\x80\x80" "c\xed\xa0\x80" "d\xff", 64),
           "a(bcd", "invalid UTF-8, overlongs and surrogates dropped");
    is_str(vc_svg_text(pool, "x\xef\xbf\xbey", 64), "xy",
           "U+FFFE, which XML forbids, dropped");
    memset(long_label, 'a', sizeof(long_label) - 1);
    long_label[sizeof(long_label) - 1] = '\0';
    is_u64(strlen(vc_svg_text(pool, long_label, VC_SVG_LABEL_MAX)),
           VC_SVG_LABEL_MAX, "a long label is cut at %d characters",
           VC_SVG_LABEL_MAX);
    is_str(vc_svg_text(pool, "\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9",
           "cut counts characters, not bytes");
    is_str(vc_svg_text(pool, "ab   cd", 3), "ab", "a cut leaves no trailing space");
    is_str(vc_svg_escape(pool, "<a href=\"x\">'&'</a>"),
           "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;",
           "XML escaping");
}

static void test_colors(void)
{
    const char *name;

    is_str(vc_svg_color(pool, "blue", &name), "#007ec6", "blue");
    is_str(name, "blue", "blue keeps its name");
    is_str(vc_svg_color(pool, "informational", NULL), "#007ec6", "an alias");
    is_str(vc_svg_color(pool, "lightgray", NULL), "#939393", "lightgray");
    is_str(vc_svg_color(pool, "ABC", &name), "#abc", "3 hex digits");
    is_str(name, "abc", "hex named without '#'");
    is_str(vc_svg_color(pool, "#FF00aa", NULL), "#ff00aa", "6 with '#'");
    ok(vc_svg_color(pool, "abcd", NULL) == NULL, "4 digits refused");
    ok(vc_svg_color(pool, "ggg", NULL) == NULL, "not hex refused");
    ok(vc_svg_color(pool, "", NULL) == NULL, "empty refused");
    ok(vc_svg_color(pool, "red\"/><script>", NULL) == NULL,
       "markup refused");
    ok(vc_svg_color(pool, "Blue", NULL) == NULL,
       "names are lower case, as shields' are");
}

static void test_styles(void)
{
    vc_svg_style_e s = VC_SVG_FLAT;

    ok(vc_svg_style("for-the-badge", &s) == 0 && s == VC_SVG_FOR_THE_BADGE,
       "for-the-badge");
    ok(vc_svg_style("plastic", &s) == 0 && s == VC_SVG_PLASTIC, "plastic");
    ok(vc_svg_style("social", &s) == -1 && s == VC_SVG_PLASTIC,
       "an unknown style changes nothing");
    is_str(vc_svg_style_name(VC_SVG_FLAT_SQUARE), "flat-square", "its name");
}

static const char *abbr(apr_uint64_t n)
{
    char buf[16];

    vc_svg_abbreviate(n, buf, sizeof(buf));
    return apr_pstrdup(pool, buf);
}

static void test_abbreviate(void)
{
    is_str(abbr(0), "0", "0");
    is_str(abbr(999), "999", "999");
    is_str(abbr(1000), "1k", "1000: no .0");
    is_str(abbr(1049), "1k", "1049");
    is_str(abbr(1050), "1.1k", "1050 rounds half up");
    is_str(abbr(1234), "1.2k", "1234");
    is_str(abbr(9949), "9.9k", "9949");
    is_str(abbr(9950), "10k", "9950 is 10k");
    is_str(abbr(12345), "12k", "12345");
    is_str(abbr(999499), "999k", "999499");
    is_str(abbr(999500), "1M", "999500 is 1M");
    is_str(abbr(2500000), "2.5M", "2.5M");
    is_str(abbr(APR_UINT64_C(7000000000)), "7G", "7G");
    is_str(abbr(APR_UINT64_MAX), "18E", "2^64-1");
}

/* Widths to the hundredth, as shields' renderer has them for these
 * strings (anafanafo's sums in badge-maker 6.0.0). */
static void test_widths(void)
{
    static const struct {
        const char *s;
        double w11, w10, w10b;     /* the last two of the upper-cased text */
    } known[] = {
        { "visits", 28.34, 35.10, 39.58 },
        { "1.2k", 24.49, 23.29, 25.54 },
        { "Hello, World!", 71.86, 81.93, 89.76 },
        { "WWW", 32.64, 29.67, 33.84 },
        { "iii", 9.06, 12.63, 16.38 },
        { " ", 3.87, 3.52, 3.42 },
    };
    unsigned int i;
    char *up, *q;

    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        up = apr_pstrdup(pool, known[i].s);
        for (q = up; *q; q++) {
            if (*q >= 'a' && *q <= 'z') {
                *q = (char)(*q - 32);
            }
        }
        ok(near(vc_svg_text_width(known[i].s, VC_SVG_VERDANA11),
                known[i].w11), "'%s' in 11px Verdana", known[i].s);
        ok(near(vc_svg_text_width(up, VC_SVG_VERDANA10),
                known[i].w10), "'%s' in 10px Verdana", up);
        ok(near(vc_svg_text_width(up, VC_SVG_VERDANA10_BOLD),
                known[i].w10b), "'%s' in bold 10px Verdana", up);
    }
    ok(near(vc_svg_text_width("\xc3\xa9", VC_SVG_VERDANA11),
            vc_svg_text_width("m", VC_SVG_VERDANA11)),
       "an unmeasured character is as wide as m");
    ok(vc_svg_text_width("\x01", VC_SVG_VERDANA11) == 0.0,
       "a control character has no width");
}

static const char *render(const char *label, const char *message,
                          const char *label_color, vc_svg_style_e style,
                          const char *seed)
{
    vc_svg_badge_t b;
    apr_size_t len;
    const char *svg;

    b.label = label;
    b.message = message;
    b.color = "#007ec6";
    b.label_color = label_color;
    b.style = style;
    b.seed = seed;
    svg = vc_svg_render(pool, &b, &len);
    ok(strlen(svg) == len, "length of the %s badge", vc_svg_style_name(style));
    return svg;
}

static void test_render(void)
{
    const char *a, *b;

    /* The geometry badge-maker gives "visits | 1.2k". */
    a = render("visits", "1.2k", NULL, VC_SVG_FLAT, "home");
    ok(strstr(a, "width=\"74\" height=\"20\" role=\"img\" "
              "aria-label=\"visits: 1.2k\"><title>visits: 1.2k</title>") != NULL,
       "flat: size, role, aria-label and title");
    ok(strstr(a, "<rect width=\"39\" height=\"20\" fill=\"#555\"/>"
              "<rect x=\"39\" width=\"35\" height=\"20\" fill=\"#007ec6\"/>")
       != NULL, "flat: the two halves");
    ok(strstr(a, "<text x=\"205\" y=\"140\" textLength=\"290\">visits</text>")
       != NULL, "flat: the label's text");
    ok(strstr(a, "<text x=\"555\" y=\"140\" textLength=\"250\">1.2k</text>")
       != NULL, "flat: the message's text");
    b = render("visits", "1.2k", NULL, VC_SVG_FLAT, "other");
    ok(strstr(a, "id=\"s-") && strcmp(a, b) != 0,
       "ids differ between badges of different keys");
    ok(strcmp(a, render("visits", "1.2k", NULL, VC_SVG_FLAT, "home")) == 0,
       "the same badge renders the same bytes");

    a = render("visits", "1.2k", NULL, VC_SVG_FOR_THE_BADGE, "home");
    ok(strstr(a, "width=\"120.5\" height=\"28\"") != NULL
       && strstr(a, "aria-label=\"VISITS: 1.2K\"") != NULL,
       "for-the-badge: size and capitals");
    ok(strstr(a, "<text transform=\"scale(.1)\" x=\"332.5\" y=\"175\" "
              "textLength=\"425\">VISITS</text>") != NULL,
       "for-the-badge: letter-spaced label");
    ok(strstr(a, "x=\"935\" y=\"175\" textLength=\"300\" "
              "font-weight=\"bold\">1.2K</text>") != NULL,
       "for-the-badge: bold message");

    a = render("visits", "1.2k", NULL, VC_SVG_PLASTIC, "home");
    ok(strstr(a, "height=\"18\"") && strstr(a, "rx=\"4\"")
       && strstr(a, "y=\"130\""), "plastic: 18 px, rounder, text higher");
    a = render("visits", "1.2k", NULL, VC_SVG_FLAT_SQUARE, "home");
    ok(strstr(a, "shape-rendering=\"crispEdges\"") && !strstr(a, "clipPath"),
       "flat-square: square corners");

    a = render("", "7", NULL, VC_SVG_FLAT, "x");
    ok(strstr(a, "aria-label=\"7\"") && strstr(a, "<rect width=\"0\""),
       "no label: the message alone");
    a = render("a<b", "7", "#eee", VC_SVG_FLAT, "x");
    ok(strstr(a, ">a&lt;b</text>") && !strstr(a, "a<b"),
       "the label is escaped");
    ok(strstr(a, "fill=\"#eee\"") && strstr(a, " fill=\"#333\">a&lt;b"),
       "dark text on a light label colour");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_text();
    test_colors();
    test_styles();
    test_abbreviate();
    test_widths();
    test_render();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
