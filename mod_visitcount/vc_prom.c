/* Escaping for Prometheus's text format: in a label value a backslash, a
 * double quote and a line feed must be written \\, \" and \n; every other
 * byte (UTF-8 included) stands for itself.
 */
#include "vc_prom.h"

#include "apr_strings.h"

#include <string.h>

const char *vc_prom_label(apr_pool_t *p, const char *s)
{
    apr_size_t n = strcspn(s, "\\\"\n"), extra = 0;
    const char *c;
    char *out, *o;

    if (s[n] == '\0') {
        return s;
    }
    for (c = s; *c; c++) {
        extra += (*c == '\\' || *c == '"' || *c == '\n');
    }
    o = out = apr_palloc(p, strlen(s) + extra + 1);
    for (c = s; *c; c++) {
        if (*c == '\\' || *c == '"' || *c == '\n') {
            *o++ = '\\';
            *o++ = *c == '\n' ? 'n' : *c;
        }
        else {
            *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}
