/* Badges as SVG images, laid out as shields.io lays out its own (the flat,
 * flat-square, plastic and for-the-badge styles), so that a count can sit
 * in a row of shields' badges and look like one of them.  The text widths
 * come from a table measured from shields' renderer (vc_svg_widths.c,
 * written by scripts/badge-widths).  A leaf: APR only, no httpd.
 */
#ifndef VC_SVG_H
#define VC_SVG_H

#include "apr_pools.h"

typedef enum {
    VC_SVG_FLAT = 0,
    VC_SVG_FLAT_SQUARE = 1,
    VC_SVG_PLASTIC = 2,
    VC_SVG_FOR_THE_BADGE = 3
} vc_svg_style_e;

/* The fonts shields measures text in. */
typedef enum {
    VC_SVG_VERDANA11 = 0,       /* flat, flat-square, plastic */
    VC_SVG_VERDANA10 = 1,       /* for-the-badge's label */
    VC_SVG_VERDANA10_BOLD = 2   /* for-the-badge's message */
} vc_svg_font_e;

#define VC_SVG_LABEL_MAX 64     /* characters a label or message keeps */
#define VC_SVG_DEFAULT_COLOR "#4b0"         /* shields' brightgreen */
#define VC_SVG_DEFAULT_LABEL_COLOR "#555"
#define VC_SVG_ERROR_COLOR "#939393"        /* lightgrey: an "n/a" badge */

/* One badge.  label and message are UTF-8 text as vc_svg_text() leaves
 * it (label may be ""); colours are "#rgb" or "#rrggbb", label_color NULL
 * for the default; seed makes the element ids of this badge differ from
 * those of other badges on the same page (the key, say). */
typedef struct {
    const char *label;
    const char *message;
    const char *color;
    const char *label_color;
    vc_svg_style_e style;
    const char *seed;
} vc_svg_badge_t;

/* The SVG document of badge b, NUL-terminated; *len its length. */
char *vc_svg_render(apr_pool_t *p, const vc_svg_badge_t *b, apr_size_t *len);

/* Text fit for a badge from untrusted bytes: leading and trailing spaces
 * removed, control characters, invalid UTF-8 and characters XML forbids
 * dropped, and cut after max characters. */
char *vc_svg_text(apr_pool_t *p, const char *s, apr_size_t max);

/* s with & < > " ' as XML entities. */
char *vc_svg_escape(apr_pool_t *p, const char *s);

/* The width shields gives text s in font, in pixels, before rounding:
 * the sum of its characters' widths (an unmeasured character counts as
 * wide as "m"). */
double vc_svg_text_width(const char *s, vc_svg_font_e font);

/* The SVG colour for a colour parameter: one of shields' colour names
 * (brightgreen, green, yellowgreen, yellow, orange, red, blue, grey,
 * lightgrey, and the aliases gray, lightgray, success, important,
 * critical, informational, inactive) or 3 or 6 hex digits with or without
 * a leading '#'.  Returns "#..." in lower case, or NULL for anything
 * else.  *name, when name is not NULL, gets the colour as shields'
 * endpoint JSON gives it: the name, or the hex digits without '#'. */
const char *vc_svg_color(apr_pool_t *p, const char *s, const char **name);

/* Parses a style name; returns 0, or -1 when s names none. */
int vc_svg_style(const char *s, vc_svg_style_e *style);
const char *vc_svg_style_name(vc_svg_style_e style);

/* n in shields' metric form: "999", "1.2k", "12k", "1M" (k, M, G, T, P,
 * E), into buf of at least 8 bytes. */
void vc_svg_abbreviate(apr_uint64_t n, char *buf, apr_size_t size);

/* FNV-1a over n bytes of s, continuing from h (start with
 * VC_SVG_HASH_INIT): the fingerprint of a badge for its ids and ETag. */
#define VC_SVG_HASH_INIT APR_UINT64_C(0xcbf29ce484222325)
apr_uint64_t vc_svg_hash(apr_uint64_t h, const char *s, apr_size_t n);

/* The measured widths (vc_svg_widths.c), in hundredths of a pixel, of the
 * printable ASCII characters 32 to 126. */
extern const unsigned short vc_svg_width_verdana11[95];
extern const unsigned short vc_svg_width_verdana10[95];
extern const unsigned short vc_svg_width_verdana10bold[95];

#endif
