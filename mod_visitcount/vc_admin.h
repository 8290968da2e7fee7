/* The admin API, `SetHandler visitcount-admin`: list, read, set and
 * delete counts, behind whatever authorization guards its <Location>. */
#ifndef VC_ADMIN_H
#define VC_ADMIN_H

#include "httpd.h"

/* The handler hook. */
int vc_admin_handler(request_rec *r);

#endif
