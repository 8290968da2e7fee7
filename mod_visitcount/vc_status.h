/* mod_visitcount's section of mod_status's /server-status page. */
#ifndef VC_STATUS_H
#define VC_STATUS_H

#include "httpd.h"

/* mod_status's status_hook: the shared figures and the store's size, as
 * a table or, for ?auto (AP_STATUS_SHORT), as "VisitCount...: N" lines. */
int vc_status_hook(request_rec *r, int flags);

#endif
