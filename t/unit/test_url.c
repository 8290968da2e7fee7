/* Unit tests for vc_url.c: VisitCountStore's value.  "lmdb", then each
 * Redis scheme with and without its optional parts, the defaults, user and
 * password with their %-escapes, IPv6, the bounds on ports, databases and
 * Sentinels, what is refused, and a display that names everything but the
 * password. */
#include "apr_general.h"
#include "apr_strings.h"

#include "../../mod_visitcount/vc_url.h"
#include "tap.h"

static apr_pool_t *pool;

/* Parses s into *u; 1 when accepted. */
static int accepts(const char *s, vc_url_t *u)
{
    return vc_url_parse(pool, s, u) == NULL;
}

static void refused(const char *s, const char *why)
{
    vc_url_t u;

    ok(vc_url_parse(pool, s, &u) != NULL, "refused: %s", why);
}

/* Sentinel i of u, as "host:port", or "" when there is no such one. */
static const char *sentinel_at(const vc_url_t *u, int i)
{
    const vc_hostport_t *hp;

    if (!u->sentinels || i >= u->sentinels->nelts) {
        return "";
    }
    hp = &APR_ARRAY_IDX(u->sentinels, i, vc_hostport_t);
    return apr_psprintf(pool, "%s:%u", hp->host, (unsigned int)hp->port);
}

static void test_lmdb(void)
{
    vc_url_t u;

    ok(accepts("lmdb", &u) && u.kind == VC_STORE_LMDB, "lmdb");
    ok(accepts("LMDB", &u) && u.kind == VC_STORE_LMDB, "LMDB");
    ok(accepts("LmDb", &u) && u.kind == VC_STORE_LMDB, "lmdb in any case");
    is_str(vc_url_display(pool, &u), "lmdb", "lmdb displays as lmdb");
    ok(accepts("redis://h", &u) && accepts("lmdb", &u)
       && !u.server.host && !u.user && u.db == 0,
       "a parse starts from a cleared url");
    refused("", "empty value");
    refused("lmdbx", "lmdb with a tail");
    refused("lmd", "part of lmdb");
    refused(" lmdb", "lmdb after a space");
    refused("lmdb\n", "lmdb before a line end");
}

static void test_tcp_plain(void)
{
    vc_url_t u;

    ok(accepts("redis://localhost", &u), "redis://host");
    ok(u.kind == VC_STORE_REDIS && u.mode == VC_REDIS_TCP, "kind and mode");
    is_str(u.server.host, "localhost", "host");
    is_u64(u.server.port, VC_REDIS_DEFAULT_PORT, "default port 6379");
    is_u64(u.db, 0, "default db 0");
    ok(!u.user && !u.password, "no user, no password");
    is_str(vc_url_display(pool, &u), "redis://localhost:6379/0",
           "display fills in the defaults");
    ok(accepts("redis://127.0.0.1:6380/5", &u)
       && u.server.port == 6380 && u.db == 5, "IPv4 address, port and db");
    is_str(u.server.host, "127.0.0.1", "IPv4 host");
    ok(accepts("redis://h/", &u) && u.db == 0, "lone slash is db 0");
    ok(accepts("redis://h:1/65535", &u) && u.server.port == 1
       && u.db == VC_REDIS_MAX_DB, "port 1 and db 65535");
    ok(accepts("redis://h:65535", &u) && u.server.port == 65535,
       "port 65535");
    ok(accepts("REDIS://my-host_1.example", &u)
       && u.mode == VC_REDIS_TCP, "scheme in any case, name characters");
    ok(accepts("redis://h:0080/007", &u) && u.server.port == 80 && u.db == 7,
       "leading zeros");
}

static void test_tcp_refused(void)
{
    refused("redis://", "no host");
    refused("redis://:6379", "port without host");
    refused("redis:///0", "db without host");
    refused("redis://ho$t", "'$' in the host");
    refused("redis://h:0", "port 0");
    refused("redis://h:65536", "port 65536");
    refused("redis://h:99999999999", "port of 11 digits");
    refused("redis://h:abc", "port in letters");
    refused("redis://h:63a9", "port with a letter");
    refused("redis://h:", "empty port after ':'");
    refused("redis://h:-1", "negative port");
    refused("redis://h:+1", "signed port");
    refused("redis://h:1:2", "two ports");
    refused("redis://h/65536", "db 65536");
    refused("redis://h/x", "db in letters");
    refused("redis://h/-1", "negative db");
    refused("redis://h/1/2", "two dbs");
    refused("redis://h/1?x=2", "query after the db");
    refused("redis://h/00000000001", "db of 11 digits");
}

static void test_ipv6(void)
{
    vc_url_t u;

    ok(accepts("redis://[::1]", &u) && u.server.port == 6379,
       "[IPv6] with the default port");
    is_str(u.server.host, "::1", "brackets are not part of the host");
    ok(accepts("redis://[2001:db8::1]:6380/2", &u), "[IPv6]:port/db");
    is_str(vc_url_display(pool, &u), "redis://[2001:db8::1]:6380/2",
           "display brackets an IPv6 host");
    ok(accepts("redis://[::ffff:10.0.0.1]", &u), "IPv4-mapped IPv6");
    refused("redis://[]", "empty brackets");
    refused("redis://[::1", "unclosed bracket");
    refused("redis://[::1]x", "text after the bracket");
    refused("redis://[::1]:", "empty port after [IPv6]:");
    refused("redis://[::1]:0", "port 0 after [IPv6]");
    refused("redis://[::g]", "non-hex digit in IPv6");
    refused("redis://[fe80::1%eth0]", "zone in IPv6");
    refused("redis://::1", "IPv6 without brackets");
    refused("redis://fe80::1", "IPv6 without brackets, with a prefix");
}

static void test_userinfo(void)
{
    vc_url_t u;

    ok(accepts("redis://alice@h", &u) && u.password == NULL, "user only");
    is_str(u.user, "alice", "user");
    ok(accepts("redis://:secret@h", &u) && u.user == NULL,
       "password only");
    is_str(u.password, "secret", "password");
    ok(accepts("redis://alice:secret@h:7000/3", &u), "user and password");
    is_str(u.user, "alice", "user before the colon");
    is_str(u.password, "secret", "password after the colon");
    ok(u.server.port == 7000 && u.db == 3, "port and db after userinfo");
    ok(accepts("redis://al%69ce:s%40cr%3At%2f%25@h", &u),
       "escapes in user and password");
    is_str(u.user, "alice", "user decoded");
    is_str(u.password, "s@cr:t/%", "password decoded, both cases of hex");
    ok(accepts("redis://:a%20b@h", &u), "escaped space in a password");
    is_str(u.password, "a b", "escaped space decoded");
    ok(accepts("redis://:p:q@h", &u), "second colon is in the password");
    is_str(u.password, "p:q", "password holds the colon");
}

static void test_userinfo_refused(void)
{
    refused("redis://@h", "empty user");
    refused("redis://alice:@h", "empty password");
    refused("redis://:@h", "empty user and password");
    refused("redis://al%6@h", "broken escape in the user");
    refused("redis://al%zzce@h", "non-hex escape in the user");
    refused("redis://al%00ce:pw@h", "escape to NUL in the user");
    refused("redis://alice:se%zzcret@h", "non-hex escape in the password");
    refused("redis://alice:secret%@h", "lone % ending the password");
    refused("redis://alice:%4@h", "short escape in the password");
    refused("redis://:pw%00@h", "escape to NUL in the password");
    refused("redis://alice@", "user without a host");
    refused("redis://:p@ss@h", "unescaped @ in the password");
}

static void test_unix(void)
{
    vc_url_t u;

    ok(accepts("redis+unix:///run/redis/redis.sock", &u)
       && u.kind == VC_STORE_REDIS && u.mode == VC_REDIS_UNIX,
       "redis+unix:///path");
    is_str(u.path, "/run/redis/redis.sock", "socket path");
    is_u64(u.db, 0, "default db 0");
    is_str(vc_url_display(pool, &u),
           "redis+unix:///run/redis/redis.sock?db=0", "unix display");
    ok(accepts("redis+unix:///tmp/r.sock?db=3", &u) && u.db == 3, "?db=3");
    ok(accepts("REDIS+UNIX:///s?db=65535", &u) && u.db == 65535,
       "scheme in any case, db 65535");
    ok(accepts("redis+unix:///run/my%20redis.sock", &u), "escaped path");
    is_str(u.path, "/run/my redis.sock", "path decoded");
    refused("redis+unix://run/redis.sock", "relative path");
    refused("redis+unix://", "no path");
    refused("redis+unix:///", "root alone");
    refused("redis+unix://:pw@/run/r.sock", "userinfo before the path");
    refused("redis+unix:///s?", "empty query");
    refused("redis+unix:///s?db=", "empty db");
    refused("redis+unix:///s?db=65536", "db 65536");
    refused("redis+unix:///s?db=x", "db in letters");
    refused("redis+unix:///s?foo=1", "unknown query");
    refused("redis+unix:///s?DB=1", "db in capitals");
    refused("redis+unix:///s?db=1&x=2", "second query parameter");
    refused("redis+unix:///r%zz.sock", "broken escape in the path");
    refused("redis+unix:///r%00.sock", "escape to NUL in the path");
}

static void test_sentinel(void)
{
    vc_url_t u;

    ok(accepts("redis-sentinel://10.0.0.1:26380/mymaster", &u)
       && u.kind == VC_STORE_REDIS && u.mode == VC_REDIS_SENTINEL,
       "one Sentinel");
    ok(u.sentinels && u.sentinels->nelts == 1, "one entry");
    is_str(sentinel_at(&u, 0), "10.0.0.1:26380", "its host and port");
    is_str(u.master, "mymaster", "master name");
    is_u64(u.db, 0, "default db 0");
    ok(accepts("redis-sentinel://a,b:26400,[::1]/my-master_1.x/3", &u)
       && u.sentinels->nelts == 3, "three Sentinels");
    is_str(sentinel_at(&u, 0), "a:26379", "default Sentinel port");
    is_str(sentinel_at(&u, 1), "b:26400", "second Sentinel");
    is_str(sentinel_at(&u, 2), "::1:26379", "IPv6 Sentinel");
    is_str(u.master, "my-master_1.x", "every master character");
    is_u64(u.db, 3, "db after the master");
    is_str(vc_url_display(pool, &u),
           "redis-sentinel://a:26379,b:26400,[::1]:26379/my-master_1.x/3",
           "Sentinel display");
    ok(accepts("redis-sentinel://h/m/", &u) && u.db == 0,
       "slash after the master is db 0");
    ok(accepts("Redis-Sentinel://u:pw@h/m", &u), "userinfo, any case");
    is_str(u.user, "u", "Sentinel user");
    is_str(u.password, "pw", "Sentinel password");
}

/* n Sentinels "h1,h2,...,hn" followed by /m. */
static const char *sentinel_list(int n)
{
    const char *s = "redis-sentinel://";
    int i;

    for (i = 1; i <= n; i++) {
        s = apr_psprintf(pool, "%s%sh%d", s, i > 1 ? "," : "", i);
    }
    return apr_pstrcat(pool, s, "/m", NULL);
}

static void test_sentinel_bounds(void)
{
    vc_url_t u;

    ok(accepts(sentinel_list(VC_REDIS_MAX_SENTINELS), &u)
       && u.sentinels->nelts == VC_REDIS_MAX_SENTINELS, "16 Sentinels");
    is_str(sentinel_at(&u, 15), "h16:26379", "the 16th");
    refused(sentinel_list(VC_REDIS_MAX_SENTINELS + 1), "17 Sentinels");
    refused("redis-sentinel://h", "no master name");
    refused("redis-sentinel://h/", "empty master name");
    refused("redis-sentinel://h//0", "empty master name before a db");
    refused("redis-sentinel:///m", "no Sentinel");
    refused("redis-sentinel://,h/m", "empty first Sentinel");
    refused("redis-sentinel://h,,h2/m", "empty middle Sentinel");
    refused("redis-sentinel://h,/m", "empty last Sentinel");
    refused("redis-sentinel://h:0,h2/m", "port 0 in the list");
    refused("redis-sentinel://h,h2:70000/m", "port 70000 in the list");
    refused("redis-sentinel://h,h$2/m", "bad host in the list");
    refused("redis-sentinel://h/my$master", "'$' in the master name");
    refused("redis-sentinel://h/my:master", "':' in the master name");
    refused("redis-sentinel://h/my%41", "'%' in the master name");
    refused("redis-sentinel://h/m/65536", "db 65536");
    refused("redis-sentinel://h/m/x", "db in letters");
    refused("redis-sentinel://h/m/1/2", "two dbs");
}

static void test_schemes(void)
{
    refused("redis", "scheme name alone");
    refused("redis:", "no slashes");
    refused("redis:/h", "one slash");
    refused("redis:h", "opaque form");
    refused("rediss://h", "TLS scheme");
    refused("redis+tcp://h", "unknown redis+ scheme");
    refused("http://h", "http");
    refused("unix:///run/redis.sock", "unix without redis+");
    refused("sentinel://h/m", "sentinel without redis-");
    refused("//h", "no scheme");
}

/* Each of base with c inserted at every position is refused. */
static void refused_anywhere(const char *base, char c)
{
    apr_size_t n = strlen(base), i;
    int bad = 0;
    vc_url_t u;

    for (i = 0; i <= n; i++) {
        char *s = apr_pstrcat(pool, apr_pstrmemdup(pool, base, i), "x",
                              base + i, NULL);
        s[i] = c;
        if (vc_url_parse(pool, s, &u) == NULL) {
            bad++;
        }
    }
    ok(bad == 0, "byte 0x%02x refused anywhere in %s", (unsigned char)c,
       base);
}

static void test_bytes(void)
{
    static const char *bases[] = {
        "lmdb", "redis://u:pw@h:1/2", "redis://[::1]:6380/1",
        "redis+unix:///run/r.sock?db=1", "redis-sentinel://:pw@a:1,b/m/2"
    };
    static const char bytes[] = { ' ', '\t', '\r', '\n', '\x01', '\x7f',
                                  '\x80', '\xff' };
    apr_size_t i, j;

    for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        for (j = 0; j < sizeof(bytes); j++) {
            refused_anywhere(bases[i], bytes[j]);
        }
    }
}

/* The display of s: holds each of parts, and not the password. */
static void display_hides(const char *s, const char *const *parts)
{
    vc_url_t u;
    const char *shown;
    int missing = 0;

    if (!ok(accepts(s, &u) && u.password, "%s parses with a password", s)) {
        return;
    }
    shown = vc_url_display(pool, &u);
    ok(strstr(shown, u.password) == NULL && strstr(shown, ":***@"),
       "%s hides its password", shown);
    for (; *parts; parts++) {
        missing += strstr(shown, *parts) == NULL;
    }
    ok(missing == 0, "%s shows user, host, port and db", shown);
}

static void test_display(void)
{
    static const char *const tcp[] = { "alice:", "redis.example:6380", "/9",
                                       NULL };
    static const char *const v6[] = { "[::1]:6379", "/0", NULL };
    static const char *const sent[] = { "bob:", "a:26379", "b:1", "/mm/4",
                                        NULL };
    vc_url_t u;

    display_hides("redis://alice:Pa55word@redis.example:6380/9", tcp);
    display_hides("redis://:hunter22@[::1]", v6);
    display_hides("redis-sentinel://bob:s3cr%3At@a,b:1/mm/4", sent);
    ok(accepts("redis://alice:pw@h", &u), "user and password");
    is_str(vc_url_display(pool, &u), "redis://alice:***@h:6379/0",
           "user shown, password starred");
    ok(accepts("redis://:pw@h", &u), "password alone");
    is_str(vc_url_display(pool, &u), "redis://:***@h:6379/0",
           "password alone starred");
    ok(accepts("redis://alice@h", &u), "user alone");
    is_str(vc_url_display(pool, &u), "redis://alice@h:6379/0",
           "user alone still shown (the password may come from a file)");
    ok(accepts("redis-sentinel://carol@h/m", &u), "Sentinel user alone");
    is_str(vc_url_display(pool, &u), "redis-sentinel://carol@h:26379/m/0",
           "Sentinel user alone shown");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_lmdb();
    test_tcp_plain();
    test_tcp_refused();
    test_ipv6();
    test_userinfo();
    test_userinfo_refused();
    test_unix();
    test_sentinel();
    test_sentinel_bounds();
    test_schemes();
    test_bytes();
    test_display();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
