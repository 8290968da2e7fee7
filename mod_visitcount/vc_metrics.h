/* The metrics handler (`SetHandler visitcount-metrics`): the module's
 * figures in Prometheus's text format. */
#ifndef VC_METRICS_H
#define VC_METRICS_H

#include "httpd.h"

int vc_metrics_handler(request_rec *r);

#endif
