/* The public API, `SetHandler visitcount`: count and read visits. */
#ifndef VC_API_H
#define VC_API_H

#include "httpd.h"

/* The handler hook. */
int vc_api_handler(request_rec *r);

#endif
