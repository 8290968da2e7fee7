/* The CountAPI-compatible routes (`SetHandler visitcount-countapi`):
 * GET /hit/NAMESPACE/KEY and GET /get/NAMESPACE/KEY answering
 * {"value":N}, so snippets written for countapi.xyz count here. */
#ifndef VC_COUNTAPI_H
#define VC_COUNTAPI_H

#include "httpd.h"

int vc_countapi_handler(request_rec *r);

#endif
