/* Parsing VisitCountStore: "lmdb", or where a Redis server is, as a URL
 * (redis://, redis+unix://, redis-sentinel://).  Pure code over APR: the
 * configuration, the unit tests and a fuzzer call it alike, and it reads
 * any bytes safely.
 */
#include "vc_url.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <string.h>
#include <strings.h>

/* Percent-decodes s (userinfo may hold any byte that way); NULL when an
 * escape is broken or decodes to NUL. */
static char *url_decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        if (i + 2 >= n || !apr_isxdigit(s[i + 1])
            || !apr_isxdigit(s[i + 2])) {
            return NULL;
        }
        *o = (char)((apr_isdigit(s[i + 1]) ? s[i + 1] - '0'
                     : (apr_tolower(s[i + 1]) - 'a' + 10)) << 4
                    | (apr_isdigit(s[i + 2]) ? s[i + 2] - '0'
                       : (apr_tolower(s[i + 2]) - 'a' + 10)));
        if (*o++ == '\0') {
            return NULL;
        }
        i += 2;
    }
    *o = '\0';
    return out;
}

/* An unsigned decimal of at most max, taking all n bytes. */
static int decimal(const char *s, apr_size_t n, apr_uint64_t max,
                   apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    apr_size_t i;

    if (n == 0 || n > 10) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return -1;
        }
        v = v * 10 + (apr_uint64_t)(s[i] - '0');
    }
    if (v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* host[:port] of n bytes: a name, an IPv4 address or a bracketed IPv6
 * one, with an optional port (default_port when absent). */
static const char *host_port(apr_pool_t *p, const char *s, apr_size_t n,
                             apr_port_t default_port, vc_hostport_t *hp)
{
    const char *colon, *host_end;
    apr_uint64_t port = default_port;
    apr_size_t i;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1) {
            return "an IPv6 address must be written [address]";
        }
        for (i = 1; s + i < close; i++) {
            if (!apr_isxdigit(s[i]) && s[i] != ':' && s[i] != '.') {
                return "not an IPv6 address between [ and ]";
            }
        }
        hp->host = apr_pstrmemdup(p, s + 1, (apr_size_t)(close - s - 1));
        host_end = close + 1;
        colon = host_end < s + n ? host_end : NULL;
        if (colon && *colon != ':') {
            return "unexpected text after the IPv6 address";
        }
    }
    else {
        colon = memchr(s, ':', n);
        host_end = colon ? colon : s + n;
        if (host_end == s) {
            return "the host is missing";
        }
        for (i = 0; s + i < host_end; i++) {
            if (!apr_isalnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_') {
                return "the host may hold only letters, digits, '-', '_' and '.'";
            }
        }
        hp->host = apr_pstrmemdup(p, s, (apr_size_t)(host_end - s));
    }
    if (colon && decimal(colon + 1, (apr_size_t)(s + n - colon - 1), 65535,
                         &port) != 0) {
        return "the port must be a number from 1 to 65535";
    }
    if (port == 0) {
        return "the port must be a number from 1 to 65535";
    }
    hp->port = (apr_port_t)port;
    return NULL;
}

/* user@, :password@ or user:password@ in front of the host; *rest moves
 * past it. */
static const char *userinfo(apr_pool_t *p, const char **rest, const char *end,
                            vc_url_t *u)
{
    const char *at = memchr(*rest, '@', (apr_size_t)(end - *rest));
    const char *colon;

    if (!at) {
        return NULL;
    }
    colon = memchr(*rest, ':', (apr_size_t)(at - *rest));
    if (!colon) {
        if (at == *rest
            || !(u->user = url_decode(p, *rest, (apr_size_t)(at - *rest)))) {
            return "the user name is empty or has a broken %-escape";
        }
        *rest = at + 1;
        return NULL;
    }
    if (colon > *rest) {
        u->user = url_decode(p, *rest, (apr_size_t)(colon - *rest));
        if (!u->user) {
            return "broken %-escape in the user name";
        }
    }
    u->password = url_decode(p, colon + 1, (apr_size_t)(at - colon - 1));
    if (!u->password || !*u->password) {
        return "the password is empty or has a broken %-escape";
    }
    *rest = at + 1;
    return NULL;
}

static const char *db_number(const char *s, apr_size_t n, vc_url_t *u)
{
    apr_uint64_t db;

    if (decimal(s, n, VC_REDIS_MAX_DB, &db) != 0) {
        return "the database must be a number from 0 to 65535";
    }
    u->db = (unsigned int)db;
    return NULL;
}

static const char *parse_tcp(apr_pool_t *p, const char *s, vc_url_t *u)
{
    const char *end = s + strlen(s), *slash, *why;

    if ((why = userinfo(p, &s, end, u)) != NULL) {
        return why;
    }
    slash = memchr(s, '/', (apr_size_t)(end - s));
    if ((why = host_port(p, s, (apr_size_t)((slash ? slash : end) - s),
                         VC_REDIS_DEFAULT_PORT, &u->server)) != NULL) {
        return why;
    }
    if (slash && slash + 1 < end) {
        return db_number(slash + 1, (apr_size_t)(end - slash - 1), u);
    }
    return NULL;
}

static const char *parse_unix(apr_pool_t *p, const char *s, vc_url_t *u)
{
    const char *q = strchr(s, '?');
    apr_size_t n = q ? (apr_size_t)(q - s) : strlen(s);

    if (n < 2 || s[0] != '/') {
        return "the socket must be an absolute path, as "
               "redis+unix:///run/redis/redis.sock";
    }
    if (!(u->path = url_decode(p, s, n))) {
        return "broken %-escape in the socket path";
    }
    if (q) {
        if (strncmp(q + 1, "db=", 3) != 0) {
            return "the only query a socket takes is ?db=N";
        }
        return db_number(q + 4, strlen(q + 4), u);
    }
    return NULL;
}

static int master_char(char c)
{
    return apr_isalnum(c) || c == '-' || c == '_' || c == '.';
}

static const char *parse_sentinel(apr_pool_t *p, const char *s,
                                  vc_url_t *u)
{
    const char *end = s + strlen(s), *slash, *name, *name_end, *why;

    if ((why = userinfo(p, &s, end, u)) != NULL) {
        return why;
    }
    slash = memchr(s, '/', (apr_size_t)(end - s));
    if (!slash) {
        return "the master's name is missing, as "
               "redis-sentinel://127.0.0.1:26379/mymaster";
    }
    u->sentinels = apr_array_make(p, 3, sizeof(vc_hostport_t));
    while (s < slash) {
        const char *comma = memchr(s, ',', (apr_size_t)(slash - s));
        const char *item_end = comma ? comma : slash;
        vc_hostport_t *hp;

        if (u->sentinels->nelts == VC_REDIS_MAX_SENTINELS) {
            return "more than 16 Sentinels";
        }
        hp = apr_array_push(u->sentinels);
        if ((why = host_port(p, s, (apr_size_t)(item_end - s),
                             VC_SENTINEL_DEFAULT_PORT, hp)) != NULL) {
            return why;
        }
        s = comma ? comma + 1 : slash;
    }
    if (u->sentinels->nelts == 0) {
        return "no Sentinel is named";
    }
    /* The loop ends at the slash, so only here is a trailing comma seen,
     * an empty item as ",h" and "h,,h" are. */
    if (slash[-1] == ',') {
        return "an empty Sentinel after the last comma";
    }
    name = slash + 1;
    name_end = memchr(name, '/', (apr_size_t)(end - name));
    if (!name_end) {
        name_end = end;
    }
    if (name_end == name) {
        return "the master's name is missing";
    }
    for (s = name; s < name_end; s++) {
        if (!master_char(*s)) {
            return "the master's name may hold only letters, digits, '-', "
                   "'_' and '.'";
        }
    }
    u->master = apr_pstrmemdup(p, name, (apr_size_t)(name_end - name));
    if (name_end < end && name_end + 1 < end) {
        return db_number(name_end + 1, (apr_size_t)(end - name_end - 1), u);
    }
    return NULL;
}

const char *vc_url_parse(apr_pool_t *p, const char *s, vc_url_t *u)
{
    static const struct {
        const char *scheme;
        vc_redis_mode_e mode;
        const char *(*parse)(apr_pool_t *, const char *, vc_url_t *);
    } schemes[] = {
        { "redis://", VC_REDIS_TCP, parse_tcp },
        { "redis+unix://", VC_REDIS_UNIX, parse_unix },
        { "redis-sentinel://", VC_REDIS_SENTINEL, parse_sentinel },
    };
    apr_size_t i;

    memset(u, 0, sizeof(*u));
    if (!strcasecmp(s, "lmdb")) {
        u->kind = VC_STORE_LMDB;
        return NULL;
    }
    for (i = 0; s[i]; i++) {
        if (!apr_isgraph(s[i])) {
            return "a store URL holds no spaces or control characters";
        }
    }
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        apr_size_t n = strlen(schemes[i].scheme);
        if (!strncasecmp(s, schemes[i].scheme, n)) {
            u->kind = VC_STORE_REDIS;
            u->mode = schemes[i].mode;
            return schemes[i].parse(p, s + n, u);
        }
    }
    return "not lmdb, redis://, redis+unix:// or redis-sentinel://";
}

static const char *host_display(apr_pool_t *p, const vc_hostport_t *hp)
{
    return apr_psprintf(p, strchr(hp->host, ':') ? "[%s]:%u" : "%s:%u",
                        hp->host, (unsigned int)hp->port);
}

/* user:***@, :***@ or user@: the user is shown even when the password
 * comes from VisitCountRedisPasswordFile, as the one AUTH is sent for. */
static const char *who_display(apr_pool_t *p, const vc_url_t *u)
{
    if (u->password) {
        return apr_pstrcat(p, u->user ? u->user : "", ":***@", NULL);
    }
    return u->user ? apr_pstrcat(p, u->user, "@", NULL) : "";
}

const char *vc_url_display(apr_pool_t *p, const vc_url_t *u)
{
    const char *who = who_display(p, u);
    const char *where = "";
    int i;

    if (u->kind == VC_STORE_LMDB) {
        return "lmdb";
    }
    switch (u->mode) {
    case VC_REDIS_UNIX:
        return apr_psprintf(p, "redis+unix://%s?db=%u", u->path, u->db);
    case VC_REDIS_SENTINEL:
        for (i = 0; i < u->sentinels->nelts; i++) {
            where = apr_pstrcat(p, where, i ? "," : "",
                                host_display(p, &APR_ARRAY_IDX(u->sentinels, i,
                                                               vc_hostport_t)),
                                NULL);
        }
        return apr_psprintf(p, "redis-sentinel://%s%s/%s/%u", who, where,
                            u->master, u->db);
    default:
        return apr_psprintf(p, "redis://%s%s/%u", who,
                            host_display(p, &u->server), u->db);
    }
}
