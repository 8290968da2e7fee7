/* The dashboard, `SetHandler visitcount-dashboard`: the counts as one
 * HTML page with inline SVG charts, behind whatever authorization guards
 * its <Location>. */
#ifndef VC_DASHBOARD_H
#define VC_DASHBOARD_H

#include "httpd.h"

/* The handler hook. */
int vc_dashboard_handler(request_rec *r);

#endif
