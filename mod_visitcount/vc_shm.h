/* Shared memory that lives as long as httpd: made in the first
 * post_config from the process pool and found there again on every
 * restart, so what it holds survives graceful restarts, and inherited by
 * every child through fork(). */
#ifndef VC_SHM_H
#define VC_SHM_H

#include "httpd.h"

/* The segment called name (a string constant; "NAME.shm" in the run-time
 * directory is its file where the platform has no anonymous shared
 * memory) of size bytes: the one made by an earlier call, or a new one,
 * zeroed, in which case *created is set.  NULL, or an error message
 * naming what, which the memory is for. */
const char *vc_shm_attach(server_rec *s, const char *name, apr_size_t size,
                          const char *what, void **mem, int *created);

#endif
