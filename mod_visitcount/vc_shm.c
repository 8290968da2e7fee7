/* Shared memory for the life of httpd (vc_shm.h). */
#include "vc_shm.h"

#include "http_config.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include <string.h>

const char *vc_shm_attach(server_rec *s, const char *name, apr_size_t size,
                          const char *what, void **mem, int *created)
{
    apr_pool_t *pool = s->process->pool;
    void *found = NULL;
    apr_shm_t *shm;
    apr_status_t rv;
    char buf[120];

    *created = 0;
    apr_pool_userdata_get(&found, name, pool);
    if (found) {
        *mem = found;
        return NULL;
    }
    rv = apr_shm_create(&shm, size, NULL, pool);
    if (rv == APR_ENOTIMPL) {
        const char *file = ap_runtime_dir_relative(
            pool, apr_pstrcat(pool, name, ".shm", NULL));

        apr_shm_remove(file, pool);     /* left over by a crashed httpd */
        rv = apr_shm_create(&shm, size, file, pool);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pool, "cannot create the shared memory of %s: %s",
                            what, apr_strerror(rv, buf, sizeof(buf)));
    }
    *mem = apr_shm_baseaddr_get(shm);
    memset(*mem, 0, size);
    apr_pool_userdata_setn(*mem, name, apr_pool_cleanup_null, pool);
    *created = 1;
    return NULL;
}
