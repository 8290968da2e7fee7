/* The store's effective settings: the server-wide directives with their
 * defaults applied and fitted to the MPM (reader slots, threads,
 * connections), checked against each other at start-up, and handed to
 * the store as one vc_store_options_t.  The Redis password is read here,
 * once, by the parent while it is still root, so its file can be
 * readable by root alone.
 */
#include "vc_config.h"
#include "vc_module.h"

#include "ap_mpm.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include <string.h>

static vc_server_conf *main_conf(server_rec *main_server)
{
    return ap_get_module_config(main_server->module_config,
                                &visitcount_module);
}

/* Read transactions all processes may hold at once: one per worker
 * thread, twice over because the children of an old generation finish
 * their requests beside the new ones after a graceful restart. */
static unsigned int max_readers(void)
{
    int daemons = 0, threads = 0;
    unsigned int n;

    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
    n = 2u * (unsigned int)(daemons > 0 ? daemons : 1)
           * (unsigned int)(threads > 0 ? threads : 1) + 16u;
    return n < 126u ? 126u : n;
}

static unsigned int either(int value, unsigned int dflt)
{
    return value != VC_UNSET ? (unsigned int)value : dflt;
}

void vc_config_store_options(server_rec *main_server, vc_store_options_t *o,
                             vc_store_log_fn *log, void *baton)
{
    const vc_server_conf *sc = main_conf(main_server);
    int threaded = AP_MPMQ_NOT_SUPPORTED, threads = 1;
    unsigned int per_child;

    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    memset(o, 0, sizeof(*o));
    if (sc->store) {
        o->url = *sc->store;
    }
    o->history_days = vc_conf_history(sc);
    o->max_keys = sc->max_keys ? sc->max_keys : VC_DEFAULT_MAX_KEYS;
    o->longest_dedupe = vc_conf_longest_dedupe(main_server);
    o->threaded = threaded != AP_MPMQ_NOT_SUPPORTED;
    per_child = o->threaded && threads > 0 ? (unsigned int)threads : 1;
    o->log = log;
    o->log_baton = baton;

    o->dir = sc->db_dir ? sc->db_dir : VC_DEFAULT_DBDIR;
    o->map_size = sc->map_size ? sc->map_size : VC_DEFAULT_MAP_SIZE;
    o->durability = sc->durability != VC_UNSET
                    ? (vc_durability_e)sc->durability : VC_DEFAULT_DURABILITY;
    o->max_readers = max_readers();

    o->prefix = sc->redis_prefix ? sc->redis_prefix : VC_DEFAULT_REDIS_PREFIX;
    o->password = sc->redis_password ? sc->redis_password : o->url.password;
    o->connect_timeout_ms = either(sc->redis_connect_ms, VC_DEFAULT_CONNECT_MS);
    o->command_timeout_ms = either(sc->redis_command_ms, VC_DEFAULT_COMMAND_MS);
    o->pool_size = either(sc->redis_pool, per_child);
    o->fail_fast = either(sc->redis_fail_fast, VC_DEFAULT_FAIL_FAST);
    o->wait_replicas = either(sc->redis_wait, 0);
    o->wait_timeout_ms = either(sc->redis_wait_ms, VC_DEFAULT_WAIT_MS);
}

/* The first line of the password file, without its line end. */
static const char *read_password(vc_server_conf *sc, apr_pool_t *p)
{
    const char *name = "VisitCountRedisPasswordFile";
    apr_file_t *f;
    char line[1024];
    apr_status_t rv;
    apr_size_t n;

    rv = apr_file_open(&f, sc->redis_password_file, APR_FOPEN_READ,
                       APR_FPROT_OS_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_gets(line, sizeof(line), f);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        char buf[120];
        return apr_psprintf(p, "%s %s: cannot read it: %s", name,
                            sc->redis_password_file,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    n = rv == APR_SUCCESS ? strcspn(line, "\r\n") : 0;
    if (n == 0) {
        return apr_psprintf(p, "%s %s: its first line is empty", name,
                            sc->redis_password_file);
    }
    sc->redis_password = apr_pstrmemdup(p, line, n);
    memset(line, 0, sizeof(line));
    return NULL;
}

/* The names of the directives that are set but mean nothing to the store
 * chosen, or NULL. */
static const char *ignored(const vc_server_conf *sc, apr_pool_t *p)
{
    const char *names = "";

    if (sc->store && sc->store->kind == VC_STORE_REDIS) {
        if (sc->db_dir) names = apr_pstrcat(p, names, " VisitCountDB", NULL);
        if (sc->map_size) names = apr_pstrcat(p, names, " VisitCountMapSize", NULL);
        if (sc->durability != VC_UNSET) {
            names = apr_pstrcat(p, names, " VisitCountDurability", NULL);
        }
        return *names ? names : NULL;
    }
    if (sc->redis_prefix || sc->redis_password_file
        || sc->redis_connect_ms != VC_UNSET || sc->redis_command_ms != VC_UNSET
        || sc->redis_pool != VC_UNSET || sc->redis_fail_fast != VC_UNSET
        || sc->redis_wait != VC_UNSET) {
        return " VisitCountRedis*";
    }
    return NULL;
}

const char *vc_config_store_check(server_rec *main_server, apr_pool_t *p)
{
    vc_server_conf *sc = main_conf(main_server);
    const char *err, *names;
    vc_store_options_t o;

    if (sc->redis_password_file) {
        if (sc->store && sc->store->password) {
            return "VisitCountStore names a password and "
                   "VisitCountRedisPasswordFile gives one too: use one";
        }
        if ((err = read_password(sc, p)) != NULL) {
            return err;
        }
    }
    vc_config_store_options(main_server, &o, NULL, NULL);
    if (o.url.user && !o.password) {
        return "VisitCountStore names a Redis user but no password: add "
               "one, or VisitCountRedisPasswordFile";
    }
    if (o.wait_replicas && o.wait_timeout_ms >= o.command_timeout_ms) {
        return apr_psprintf(p, "VisitCountRedisWait waits %u ms, not less "
                            "than VisitCountRedisCommandTimeout (%u ms): a "
                            "hit would time out before its replicas answer",
                            (unsigned int)o.wait_timeout_ms,
                            (unsigned int)o.command_timeout_ms);
    }
    if ((names = ignored(sc, p)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, main_server,
                     "VC0008: the store is %s: ignoring%s, which only the "
                     "%s store uses", o.url.kind == VC_STORE_REDIS
                     ? "Redis" : "LMDB", names,
                     o.url.kind == VC_STORE_REDIS ? "LMDB" : "Redis");
    }
    return NULL;
}
