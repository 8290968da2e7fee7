/* The HTTP face of mod_visitcount: the `visitcount` (public) and
 * `visitcount-admin` handlers, and the per-process store they use.
 */
#ifndef VC_API_H
#define VC_API_H

#include "httpd.h"

#include "vc_store.h"

/* This process's store, opened in child_init.  When the open failed,
 * store is NULL and status says why: every request then answers 503. */
typedef struct {
    vc_store_t *store;
    apr_status_t status;
} vc_child_t;

extern vc_child_t vc_child;

int vc_api_handler(request_rec *r);

#endif
