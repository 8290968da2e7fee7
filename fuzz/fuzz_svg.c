/* Fuzzes what a badge does with the text of a request: the cleaning of a
 * label (vc_svg_text), its escaping, the colour and style parsers, and
 * the rendering of the SVG.  The input's first line is the label, the
 * rest the colour.  Cleaned text must be valid UTF-8 without controls,
 * at most the characters asked for; escaped text must hold no markup
 * character; a colour must come out as '#' and 3 or 6 hex digits; and a
 * badge must have exactly the elements of its style, whatever the label.
 */
#include "fuzz_common.h"
#include "vc_svg.h"

/* Occurrences of needle in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay++;
    }
    return n;
}

/* Characters of valid, control-free UTF-8 in s, or -1. */
static int clean_chars(const unsigned char *s)
{
    int n = 0, k, i;

    for (; *s; s += k, n++) {
        k = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3
          : (*s & 0xf8) == 0xf0 ? 4 : 0;
        if (k == 0 || (k == 1 && (*s < 0x20 || *s == 0x7f))) {
            return -1;
        }
        for (i = 1; i < k; i++) {
            if ((s[i] & 0xc0) != 0x80) {
                return -1;
            }
        }
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstring(data, size), *nl = strchr(in, '\n');
    const char *label, *color, *name, *esc;
    vc_svg_style_e style;
    vc_svg_badge_t b;
    apr_size_t len;
    char *svg;
    int n;

    if (nl) {
        *nl = '\0';
    }
    label = vc_svg_text(fuzz_pool, in, VC_SVG_LABEL_MAX);
    n = clean_chars((const unsigned char *)label);
    FUZZ_ASSERT(n >= 0 && n <= VC_SVG_LABEL_MAX);
    FUZZ_ASSERT(label[0] != ' ' && (n == 0 || label[strlen(label) - 1] != ' '));
    esc = vc_svg_escape(fuzz_pool, label);
    FUZZ_ASSERT(!strpbrk(esc, "<>\"'"));
    FUZZ_ASSERT(count(esc, "&") == count(esc, "&amp;") + count(esc, "&lt;")
                + count(esc, "&gt;") + count(esc, "&quot;")
                + count(esc, "&apos;"));
    color = vc_svg_color(fuzz_pool, nl ? nl + 1 : "", &name);
    if (color) {
        FUZZ_ASSERT(color[0] == '#' && (strlen(color) == 4 || strlen(color) == 7)
                    && strspn(color + 1, "0123456789abcdef") == strlen(color) - 1);
    }
    if (vc_svg_style(in, &style) != 0) {
        style = (vc_svg_style_e)(size % 4);
    }
    b.label = label;
    b.message = "n/a";
    b.color = color ? color : VC_SVG_DEFAULT_COLOR;
    b.label_color = NULL;
    b.style = style;
    b.seed = in;
    svg = vc_svg_render(fuzz_pool, &b, &len);
    FUZZ_ASSERT(strlen(svg) == len);
    FUZZ_ASSERT(count(svg, "<") == count(svg, ">")
                && count(svg, "<text") == (style == VC_SVG_FLAT
                                           || style == VC_SVG_PLASTIC
                                           ? 3 : 1) * (n ? 2 : 1));
    apr_pool_clear(fuzz_pool);
    return 0;
}
