/* Fuzzes VisitCountStore's parser, vc_url.c.  An accepted value must make
 * sense: lmdb only for "lmdb", a Redis URL only under its own scheme and
 * of printable bytes; a TCP server with a host and a port of 1 to 65535; a
 * socket path that starts with '/'; 1 to 16 Sentinels, each with a host and
 * port; a master name of the allowed characters; a db of at most 65535.
 * The display must not depend on the password (so never show it), must
 * show the rest, and parse back to the same URL when nothing in it needs
 * an escape.  Parsing the same bytes twice gives the same answer.
 */
#include "fuzz_common.h"
#include "vc_url.h"

#include "apr_lib.h"

#include <strings.h>

static int name_char(char c)
{
    return apr_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* A name, an IPv4 address, or an IPv6 one (hex digits, ':' and '.'). */
static void check_hostport(const vc_hostport_t *hp)
{
    int v6 = strchr(hp->host, ':') != NULL;
    const char *c;

    FUZZ_ASSERT(hp->host[0] != '\0' && hp->port >= 1);
    for (c = hp->host; *c; c++) {
        FUZZ_ASSERT(v6 ? apr_isxdigit(*c) || *c == ':' || *c == '.'
                       : name_char(*c));
    }
}

static void check_sentinels(const vc_url_t *u)
{
    const char *c;
    int i;

    FUZZ_ASSERT(u->sentinels && u->sentinels->nelts >= 1
                && u->sentinels->nelts <= VC_REDIS_MAX_SENTINELS);
    for (i = 0; i < u->sentinels->nelts; i++) {
        check_hostport(&APR_ARRAY_IDX(u->sentinels, i, vc_hostport_t));
    }
    FUZZ_ASSERT(u->master && u->master[0] != '\0');
    for (c = u->master; *c; c++) {
        FUZZ_ASSERT(name_char(*c));
    }
}

/* The scheme s starts with, in any case, as the mode it gives. */
static int scheme_mode(const char *s)
{
    return !strncasecmp(s, "redis://", 8) ? VC_REDIS_TCP
           : !strncasecmp(s, "redis+unix://", 13) ? VC_REDIS_UNIX
           : !strncasecmp(s, "redis-sentinel://", 17) ? VC_REDIS_SENTINEL
           : -1;
}

static void check_redis(const char *s, const vc_url_t *u)
{
    const char *c;

    FUZZ_ASSERT(u->kind == VC_STORE_REDIS && (int)u->mode == scheme_mode(s));
    for (c = s; *c; c++) {
        FUZZ_ASSERT(apr_isgraph(*c));
    }
    FUZZ_ASSERT(u->db <= VC_REDIS_MAX_DB);
    FUZZ_ASSERT(!u->user || u->user[0] != '\0');
    FUZZ_ASSERT(!u->password || u->password[0] != '\0');
    switch (u->mode) {
    case VC_REDIS_TCP:
        check_hostport(&u->server);
        FUZZ_ASSERT(!u->path && !u->sentinels && !u->master);
        break;
    case VC_REDIS_UNIX:
        FUZZ_ASSERT(u->path && u->path[0] == '/' && u->path[1] != '\0');
        FUZZ_ASSERT(!u->user && !u->password && !u->server.host);
        break;
    case VC_REDIS_SENTINEL:
        check_sentinels(u);
        FUZZ_ASSERT(!u->path && !u->server.host);
        break;
    default:
        FUZZ_ASSERT(0);
    }
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_hostport(const vc_hostport_t *a, const vc_hostport_t *b)
{
    return same_str(a->host, b->host) && a->port == b->port;
}

/* a and b name the same store, b's password being password. */
static int same_url(const vc_url_t *a, const vc_url_t *b,
                    const char *password)
{
    int i;

    if (a->kind != b->kind || a->mode != b->mode || a->db != b->db
        || !same_str(a->user, b->user) || !same_str(b->password, password)
        || !same_str(a->path, b->path) || !same_str(a->master, b->master)
        || !same_hostport(&a->server, &b->server)
        || !a->sentinels != !b->sentinels) {
        return 0;
    }
    if (a->sentinels && a->sentinels->nelts != b->sentinels->nelts) {
        return 0;
    }
    for (i = 0; a->sentinels && i < a->sentinels->nelts; i++) {
        if (!same_hostport(&APR_ARRAY_IDX(a->sentinels, i, vc_hostport_t),
                           &APR_ARRAY_IDX(b->sentinels, i, vc_hostport_t))) {
            return 0;
        }
    }
    return 1;
}

/* host:port as a URL writes it, IPv6 in brackets. */
static const char *hostport_text(const vc_hostport_t *hp)
{
    return apr_psprintf(fuzz_pool, strchr(hp->host, ':') ? "[%s]:%u"
                        : "%s:%u", hp->host, (unsigned int)hp->port);
}

/* Every part but the password is in shown, the db at its end. */
static void check_display_parts(const vc_url_t *u, const char *shown)
{
    const char *tail = apr_psprintf(fuzz_pool, u->mode == VC_REDIS_UNIX
                                    ? "?db=%u" : "/%u", u->db);
    size_t n = strlen(shown), t = strlen(tail);
    int i;

    FUZZ_ASSERT(n >= t && strcmp(shown + n - t, tail) == 0);
    FUZZ_ASSERT(!u->user || strstr(shown, u->user));
    FUZZ_ASSERT(!u->path || strstr(shown, u->path));
    FUZZ_ASSERT(!u->master || strstr(shown, apr_pstrcat(fuzz_pool, "/",
                                                        u->master, tail,
                                                        NULL)));
    FUZZ_ASSERT(!u->server.host || strstr(shown, hostport_text(&u->server)));
    for (i = 0; u->sentinels && i < u->sentinels->nelts; i++) {
        FUZZ_ASSERT(strstr(shown, hostport_text(&APR_ARRAY_IDX(
                    u->sentinels, i, vc_hostport_t))));
    }
}

/* The display does not change with the password, so cannot show it; a
 * password of 4 bytes or more that the rest does not hold by chance is
 * checked for by name too. */
static void check_display_hides(const vc_url_t *u, const char *shown)
{
    vc_url_t other = *u;
    const char *without;

    if (!u->password) {
        return;
    }
    other.password = "x";
    without = vc_url_display(fuzz_pool, &other);
    FUZZ_ASSERT(strcmp(shown, without) == 0);
    FUZZ_ASSERT(strstr(shown, ":***@"));
    if (strlen(u->password) >= 4 && !strstr(without, u->password)) {
        FUZZ_ASSERT(!strstr(shown, u->password));
    }
}

/* s holds only printable bytes, none of them in special: nothing the
 * display would have to escape for the parser to read it back. */
static int plain(const char *s, const char *special)
{
    for (; s && *s; s++) {
        if (!apr_isgraph(*s) || strchr(special, *s)) {
            return 0;
        }
    }
    return 1;
}

static void check_round_trip(const vc_url_t *u, const char *shown)
{
    vc_url_t back;

    if (plain(u->user, "%@:") && plain(u->path, "%?")) {
        FUZZ_ASSERT(vc_url_parse(fuzz_pool, shown, &back) == NULL);
        FUZZ_ASSERT(same_url(u, &back, u->password ? "***" : NULL));
    }
}

static void check_accepted(const char *s, const vc_url_t *u)
{
    const char *shown = vc_url_display(fuzz_pool, u);

    if (u->kind == VC_STORE_LMDB) {
        FUZZ_ASSERT(strcasecmp(s, "lmdb") == 0 && strcmp(shown, "lmdb") == 0);
        return;
    }
    check_redis(s, u);
    check_display_parts(u, shown);
    check_display_hides(u, shown);
    check_round_trip(u, shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = fuzz_cstring(data, size), *why, *again;
    vc_url_t u, u2;

    why = vc_url_parse(fuzz_pool, s, &u);
    again = vc_url_parse(fuzz_pool, s, &u2);
    FUZZ_ASSERT(same_str(why, again));
    if (why) {
        FUZZ_ASSERT(why[0] != '\0');
    }
    else {
        FUZZ_ASSERT(same_url(&u, &u2, u.password));
        check_accepted(s, &u);
    }
    apr_pool_clear(fuzz_pool);
    return 0;
}
