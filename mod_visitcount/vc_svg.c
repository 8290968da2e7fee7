/* Rendering badges.  The geometry is shields': a text is as wide as the
 * sum of its characters' widths in the style's font, cut to whole pixels
 * (and, in the 11px styles, raised to an odd number so the text centres
 * on a pixel); each half of the badge pads its text by 5 px (12 px in
 * for-the-badge, whose text is in capitals with 1.25 px letter spacing);
 * text is drawn at ten times its size and scaled down by .1, which keeps
 * half pixels exact.  Dark text goes on light colours, white text on the
 * rest.  Every id carries a suffix derived from the badge, so that badges
 * inlined in one page never take each other's gradients or clip paths.
 * Everything that came from a request is cleaned (vc_svg_text) and
 * escaped here.
 */
#include "vc_svg.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- text ------------------------------------------------------------- */

/* The code point of the UTF-8 sequence at s (at most n bytes), its length
 * in *len; -1 when the sequence is invalid (overlong, a surrogate, beyond
 * U+10FFFF, cut short), *len then being 1. */
static long utf8_next(const unsigned char *s, apr_size_t n, apr_size_t *len)
{
    static const long min_of[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    apr_size_t k, i;
    long c;

    *len = 1;
    if (s[0] < 0x80) {
        return s[0];
    }
    k = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
      : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    if (k == 0 || k > n) {
        return -1;
    }
    c = s[0] & (0x7f >> k);
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return -1;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min_of[k] || c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
        return -1;
    }
    *len = k;
    return c;
}

/* True for the characters an XML 1.0 document may not hold, and for
 * the controls nobody wants in a badge. */
static int unwanted(long c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xfffe || c == 0xffff;
}

char *vc_svg_text(apr_pool_t *p, const char *s, apr_size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t n = strlen(s), i = 0, out = 0, kept = 0, len, last = 0;
    char *buf = apr_palloc(p, n + 1);
    long c;

    while (i < n && kept < max) {
        c = utf8_next(u + i, n - i, &len);
        if (c >= 0 && !unwanted(c) && !(c == ' ' && out == 0)) {
            memcpy(buf + out, s + i, len);
            out += len;
            kept++;
            if (c != ' ') {
                last = out;
            }
        }
        i += len;
    }
    buf[last] = '\0';               /* without trailing spaces */
    return buf;
}

char *vc_svg_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *q;
    char *buf, *o;

    for (q = s; *q; q++) {
        n += *q == '&' ? 5 : *q == '<' || *q == '>' ? 4
           : *q == '"' || *q == '\'' ? 6 : 1;
    }
    o = buf = apr_palloc(p, n + 1);
    for (q = s; *q; q++) {
        const char *e = *q == '&' ? "&amp;" : *q == '<' ? "&lt;"
                      : *q == '>' ? "&gt;" : *q == '"' ? "&quot;"
                      : *q == '\'' ? "&apos;" : NULL;
        if (e) {
            memcpy(o, e, strlen(e));
            o += strlen(e);
        }
        else {
            *o++ = *q;
        }
    }
    *o = '\0';
    return buf;
}

static const unsigned short *width_table(vc_svg_font_e font)
{
    return font == VC_SVG_VERDANA10 ? vc_svg_width_verdana10
         : font == VC_SVG_VERDANA10_BOLD ? vc_svg_width_verdana10bold
         : vc_svg_width_verdana11;
}

double vc_svg_text_width(const char *s, vc_svg_font_e font)
{
    const unsigned short *w = width_table(font);
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t n = strlen(s), i = 0, len;
    double sum = 0.0;
    long c;

    /* Added one character at a time, in order, as shields adds them, so
     * that the sum rounds as theirs does. */
    while (i < n) {
        c = utf8_next(u + i, n - i, &len);
        if (c >= 0x20 && c < 0x7f) {
            sum += w[c - 0x20] / 100.0;
        }
        else if (c > 0x7f) {
            sum += w['m' - 0x20] / 100.0;
        }
        i += len;
    }
    return sum;
}

/* Characters in s as JavaScript counts them (UTF-16 units), which is
 * what for-the-badge spaces letters by. */
static apr_size_t js_length(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t n = 0;

    for (; *u; u++) {
        n += (*u & 0xc0) != 0x80;
        n += *u >= 0xf0;
    }
    return n;
}

static char *upper(apr_pool_t *p, const char *s)
{
    char *u = apr_pstrdup(p, s), *q;

    for (q = u; *q; q++) {
        if (*q >= 'a' && *q <= 'z') {
            *q = (char)(*q - 'a' + 'A');
        }
    }
    return u;
}

/* ---- colours ---------------------------------------------------------- */

static const struct {
    const char *name, *hex;
} named_colors[] = {
    { "brightgreen", "#4b0" }, { "green", "#67ac09" },
    { "yellow", "#d8b800" }, { "yellowgreen", "#95991a" },
    { "orange", "#ea7233" }, { "red", "#dd4343" }, { "blue", "#007ec6" },
    { "grey", "#555" }, { "lightgrey", "#939393" },
    /* shields' aliases */
    { "gray", "#555" }, { "lightgray", "#939393" },
    { "critical", "#dd4343" }, { "important", "#ea7233" },
    { "success", "#4b0" }, { "informational", "#007ec6" },
    { "inactive", "#939393" },
    { NULL, NULL }
};

const char *vc_svg_color(apr_pool_t *p, const char *s, const char **name)
{
    apr_size_t n;
    char *hex;
    int i;

    for (i = 0; named_colors[i].name; i++) {
        if (!strcmp(s, named_colors[i].name)) {
            if (name) {
                *name = named_colors[i].name;
            }
            return named_colors[i].hex;
        }
    }
    if (*s == '#') {
        s++;
    }
    n = strlen(s);
    if ((n != 3 && n != 6) || strspn(s, "0123456789abcdefABCDEF") != n) {
        return NULL;
    }
    hex = apr_pstrcat(p, "#", s, NULL);
    for (i = 1; hex[i]; i++) {
        hex[i] = (char)apr_tolower(hex[i]);
    }
    if (name) {
        *name = hex + 1;
    }
    return hex;
}

/* True when color (as vc_svg_color returns it) is light enough to need
 * dark text: shields' brightness, (299 R + 587 G + 114 B) / 255000, is
 * above .69 to two decimals. */
static int light(const char *color)
{
    unsigned int rgb[3], i;
    int six = strlen(color) == 7;

    for (i = 0; i < 3; i++) {
        char d[3];
        d[0] = color[1 + (six ? 2 * i : i)];
        d[1] = six ? color[2 + 2 * i] : d[0];
        d[2] = '\0';
        rgb[i] = (unsigned int)strtoul(d, NULL, 16);
    }
    return rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 > 177225;
}

/* ---- styles and numbers ----------------------------------------------- */

static const char *const style_names[] = {
    "flat", "flat-square", "plastic", "for-the-badge"
};

int vc_svg_style(const char *s, vc_svg_style_e *style)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (!strcmp(s, style_names[i])) {
            *style = (vc_svg_style_e)i;
            return 0;
        }
    }
    return -1;
}

const char *vc_svg_style_name(vc_svg_style_e style)
{
    return style_names[style];
}

void vc_svg_abbreviate(apr_uint64_t n, char *buf, apr_size_t size)
{
    static const char prefixes[] = "kMGTPE";
    apr_uint64_t limit = APR_UINT64_C(1000000000000000000);
    apr_uint64_t tenths, rounded;
    int i;

    for (i = 5; i >= 0; i--, limit /= 1000) {
        if (n < limit) {
            continue;
        }
        /* Below 10 of a unit, one decimal unless it is 0: 1.2k, 9.9k;
         * otherwise whole units, rounded half up: 12k, 999k; and a
         * thousand units are one of the next: 1M. */
        tenths = n / (limit / 10) + (n % (limit / 10) >= limit / 20);
        if (n / limit < 10 && tenths < 100 && tenths % 10) {
            apr_snprintf(buf, size, "%" APR_UINT64_T_FMT ".%" APR_UINT64_T_FMT
                         "%c", tenths / 10, tenths % 10, prefixes[i]);
            return;
        }
        rounded = n / limit + (n % limit >= limit / 2);
        if (rounded < 1000) {
            apr_snprintf(buf, size, "%" APR_UINT64_T_FMT "%c", rounded,
                         prefixes[i]);
        }
        else {
            apr_snprintf(buf, size, "1%c", prefixes[i + 1]);
        }
        return;
    }
    apr_snprintf(buf, size, "%" APR_UINT64_T_FMT, n);
}

apr_uint64_t vc_svg_hash(apr_uint64_t h, const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= APR_UINT64_C(0x100000001b3);
    }
    return h;
}

/* ---- the SVG ---------------------------------------------------------- */

typedef struct {
    apr_pool_t *pool;
    apr_array_header_t *out;        /* of const char *: the pieces */
} svg_t;

static void put(svg_t *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    *(const char **)apr_array_push(b->out) = apr_pvsprintf(b->pool, fmt, ap);
    va_end(ap);
}

/* A coordinate as shields writes it: no trailing zeros ("332.5", "40"). */
static const char *num(apr_pool_t *p, double v)
{
    char *s = apr_psprintf(p, "%.3f", v), *e = s + strlen(s) - 1;

    while (*e == '0') {
        *e-- = '\0';
    }
    if (*e == '.') {
        *e = '\0';
    }
    return s;
}

/* What is laid out: the escaped texts, their widths and positions. */
typedef struct {
    const char *label, *message;        /* escaped; label may be "" */
    double label_text, message_text;    /* text widths */
    double left, right;                 /* the two rectangles' widths */
    double label_x, message_x;          /* text centres */
    int has_left;
    const char *left_color, *color;
    const char *id;                     /* suffix of every id */
    int height;
} layout_t;

static int preferred_width(const char *s)
{
    int w = (int)vc_svg_text_width(s, VC_SVG_VERDANA11);

    return w % 2 ? w : w + 1;
}

/* The flat, flat-square and plastic geometry. */
static void layout_small(layout_t *l, const char *label, const char *message,
                         int has_label_color)
{
    double margin;

    l->has_left = *label || has_label_color;
    l->label_text = *label ? preferred_width(label) : 0;
    l->left = l->has_left ? l->label_text + 10 : 0;
    l->message_text = preferred_width(message);
    l->right = l->message_text + 10;
    margin = l->left - (*message ? 1 : 0) + (l->has_left ? 0 : 1);
    l->label_x = 10 * (1 + 0.5 * l->label_text + 5);
    l->message_x = 10 * (margin + 0.5 * l->message_text + 5);
}

/* for-the-badge's geometry: texts already in capitals. */
static void layout_big(layout_t *l, const char *label, const char *message)
{
    l->label_text = *label
        ? (int)vc_svg_text_width(label, VC_SVG_VERDANA10)
          + 1.25 * (double)js_length(label) : 0;
    l->message_text = *message
        ? (int)vc_svg_text_width(message, VC_SVG_VERDANA10_BOLD)
          + 1.25 * (double)js_length(message) : 0;
    l->has_left = *label != '\0';
    l->left = l->has_left ? 12 + l->label_text + 12 : 0;
    l->right = 24 + l->message_text;
    l->label_x = 10 * (12 + 0.5 * l->label_text);
    l->message_x = 10 * (l->left + 12 + 0.5 * l->message_text);
}

/* One text of the flat or plastic style, with its shadow. */
static void put_shadowed(svg_t *b, const layout_t *l, const char *text,
                         double x, double width, const char *bg, int y)
{
    const char *xs = num(b->pool, x), *w = num(b->pool, 10 * width);

    put(b, "<g transform=\"scale(.1)\"><g aria-hidden=\"true\" fill=\"%s\">"
        "<text x=\"%s\" y=\"%d\" fill-opacity=\".8\" filter=\"url(#blur%s)\" "
        "textLength=\"%s\">%s</text><text x=\"%s\" y=\"%d\" "
        "fill-opacity=\".3\" textLength=\"%s\">%s</text></g>"
        "<text x=\"%s\" y=\"%d\" textLength=\"%s\"%s>%s</text></g>",
        light(bg) ? "#ccc" : "#010101", xs, y + 10, l->id, w, text,
        xs, y + 10, w, text, xs, y, w,
        light(bg) ? " fill=\"#333\"" : "", text);
}

static void put_plain(svg_t *b, const char *text, double x, double width,
                      const char *bg, int y, int big, int bold)
{
    const char *xs = num(b->pool, x), *w = num(b->pool, 10 * width);
    const char *fill = light(bg) ? " fill=\"#333\"" : "";

    if (big) {
        put(b, "<text transform=\"scale(.1)\" x=\"%s\" y=\"%d\" "
            "textLength=\"%s\"%s%s>%s</text>", xs, y, w,
            bold ? " font-weight=\"bold\"" : "", fill, text);
    }
    else {
        put(b, "<text x=\"%s\" y=\"%d\" textLength=\"%s\" "
            "transform=\"scale(.1)\"%s>%s</text>", xs, y, w, fill, text);
    }
}

/* The definitions and backgrounds of the flat and plastic styles. */
static void put_gradient_background(svg_t *b, const layout_t *l, int plastic)
{
    const char *w = num(b->pool, l->left + l->right);

    put(b, "<filter id=\"blur%s\"><feGaussianBlur stdDeviation=\"16\"/>"
        "</filter><linearGradient id=\"s%s\" x2=\"0\" y2=\"100%%\">", l->id,
        l->id);
    if (plastic) {
        put(b, "<stop offset=\"0\" stop-color=\"#fff\" stop-opacity=\".7\"/>"
            "<stop offset=\".1\" stop-color=\"#aaa\" stop-opacity=\".1\"/>"
            "<stop offset=\".9\" stop-color=\"#000\" stop-opacity=\".3\"/>"
            "<stop offset=\"1\" stop-color=\"#000\" stop-opacity=\".5\"/>");
    }
    else {
        put(b, "<stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>"
            "<stop offset=\"1\" stop-opacity=\".1\"/>");
    }
    put(b, "</linearGradient><clipPath id=\"r%s\"><rect width=\"%s\" "
        "height=\"%d\" rx=\"%d\"/></clipPath><g clip-path=\"url(#r%s)\">"
        "<rect width=\"%s\" height=\"%d\" fill=\"%s\"/>"
        "<rect x=\"%s\" width=\"%s\" height=\"%d\" fill=\"%s\"/>"
        "<rect width=\"%s\" height=\"%d\" fill=\"url(#s%s)\"/></g>",
        l->id, w, l->height, plastic ? 4 : 3, l->id,
        num(b->pool, l->left), l->height, l->left_color,
        num(b->pool, l->left), num(b->pool, l->right), l->height, l->color,
        w, l->height, l->id);
}

/* The flat-square and for-the-badge backgrounds; for-the-badge draws no
 * label rectangle for a badge without a label. */
static void put_flat_background(svg_t *b, const layout_t *l, int big)
{
    put(b, "<g shape-rendering=\"crispEdges\">");
    if (l->has_left || !big) {
        put(b, "<rect width=\"%s\" height=\"%d\" fill=\"%s\"/><rect x=\"%s\" ",
            num(b->pool, l->left), l->height, l->left_color,
            num(b->pool, l->left));
    }
    else {
        put(b, "<rect ");
    }
    put(b, "width=\"%s\" height=\"%d\" fill=\"%s\"/></g>",
        num(b->pool, l->right), l->height, l->color);
}

static void put_texts(svg_t *b, const layout_t *l, vc_svg_style_e style)
{
    int big = style == VC_SVG_FOR_THE_BADGE;
    int y = big ? 175 : style == VC_SVG_PLASTIC ? 130 : 140;

    put(b, "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,"
        "Geneva,DejaVu Sans,sans-serif\" text-rendering=\"geometricPrecision\" "
        "font-size=\"%d\">", big ? 100 : 110);
    if (style == VC_SVG_FLAT || style == VC_SVG_PLASTIC) {
        if (*l->label) {
            put_shadowed(b, l, l->label, l->label_x, l->label_text,
                         l->left_color, y);
        }
        put_shadowed(b, l, l->message, l->message_x, l->message_text,
                     l->color, y);
    }
    else {
        if (*l->label) {
            put_plain(b, l->label, l->label_x, l->label_text, l->left_color,
                      y, big, 0);
        }
        put_plain(b, l->message, l->message_x, l->message_text, l->color, y,
                  big, big);
    }
    put(b, "</g>");
}

/* The suffix of the badge's ids: a fingerprint of everything in it. */
static const char *id_suffix(apr_pool_t *p, const vc_svg_badge_t *b)
{
    const char *parts[6];
    apr_uint64_t h = VC_SVG_HASH_INIT;
    int i;

    parts[0] = b->seed ? b->seed : "";
    parts[1] = b->label;
    parts[2] = b->message;
    parts[3] = b->color;
    parts[4] = b->label_color ? b->label_color : "";
    parts[5] = style_names[b->style];
    for (i = 0; i < 6; i++) {
        h = vc_svg_hash(h, parts[i], strlen(parts[i]) + 1);
    }
    return apr_psprintf(p, "-%012" APR_UINT64_T_HEX_FMT,
                        h & APR_UINT64_C(0xffffffffffff));
}

char *vc_svg_render(apr_pool_t *p, const vc_svg_badge_t *b, apr_size_t *len)
{
    svg_t s;
    layout_t l;
    int big = b->style == VC_SVG_FOR_THE_BADGE;
    const char *label = big ? upper(p, b->label) : b->label;
    const char *message = big ? upper(p, b->message) : b->message;
    const char *title;
    char *svg;

    memset(&l, 0, sizeof(l));
    if (big) {
        layout_big(&l, label, message);
        l.height = 28;
    }
    else {
        layout_small(&l, label, message, b->label_color != NULL);
        l.height = b->style == VC_SVG_PLASTIC ? 18 : 20;
    }
    l.color = b->color;
    l.left_color = b->label_color ? b->label_color
                 : l.has_left || big ? VC_SVG_DEFAULT_LABEL_COLOR : b->color;
    l.label = vc_svg_escape(p, label);
    l.message = vc_svg_escape(p, message);
    l.id = id_suffix(p, b);
    title = *label ? apr_pstrcat(p, l.label, ": ", l.message, NULL)
                   : l.message;

    s.pool = p;
    s.out = apr_array_make(p, 32, sizeof(const char *));
    put(&s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" "
        "height=\"%d\" role=\"img\" aria-label=\"%s\"><title>%s</title>",
        num(p, l.left + l.right), l.height, title, title);
    if (b->style == VC_SVG_FLAT || b->style == VC_SVG_PLASTIC) {
        put_gradient_background(&s, &l, b->style == VC_SVG_PLASTIC);
    }
    else {
        put_flat_background(&s, &l, big);
    }
    put_texts(&s, &l, b->style);
    put(&s, "</svg>");
    svg = apr_array_pstrcat(p, s.out, 0);
    *len = strlen(svg);
    return svg;
}
