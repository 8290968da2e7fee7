/* Prometheus's text exposition format (version 0.0.4), the parts the
 * metrics handler needs that are worth testing alone: a label value
 * escaped as the format requires.  APR only.
 */
#ifndef VC_PROM_H
#define VC_PROM_H

#include "apr_pools.h"

/* s as a label value, without the quotes: backslash, double quote and
 * line feed escaped as \\, \" and \n; everything else as is.  Returns s
 * itself when nothing needs escaping. */
const char *vc_prom_label(apr_pool_t *p, const char *s);

#endif
