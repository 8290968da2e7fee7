/* Unit tests for vc_bots.c: named cases first, then the two real-world
 * corpora in t/unit/data (crawlers and browsers), with the rates the
 * classifier must reach and every User-Agent it gets wrong printed. */
#include <stdio.h>
#include <string.h>

#include "../../mod_visitcount/vc_bots.h"
#include "tap.h"

#ifndef VC_UA_DATA
#error "VC_UA_DATA must name the directory of the User-Agent corpora"
#endif

#define LINE_MAX_UA 16384

#define MIN_CRAWLERS 500
#define MIN_BROWSERS 2000

static void test_named(void)
{
    static const char *const robots[][2] = {
        { "", "empty User-Agent" },
        { "curl/8.1.2", "curl" },
        { "Wget/1.21.3 (linux-gnu)", "Wget" },
        { "python-requests/2.31.0", "python-requests" },
        { "Go-http-client/2.0", "Go-http-client" },
        { "Mozilla/5.0 (compatible; Googlebot/2.1; "
          "+http://www.google.com/bot.html)", "Googlebot" },
        { "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
          "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 "
          "Mobile Safari/537.36 (compatible; Googlebot/2.1; "
          "+http://www.google.com/bot.html)", "Googlebot smartphone" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) HeadlessChrome/120.0.6099.109 "
          "Safari/537.36", "HeadlessChrome" },
        { "facebookexternalhit/1.1 "
          "(+http://www.facebook.com/externalhit_uatext.php)",
          "facebookexternalhit" },
        { "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
          "Slackbot-LinkExpanding" },
        { "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
          "GPTBot/1.2; +https://openai.com/gptbot)", "GPTBot" },
        { "Mozilla/5.0 (compatible; YandexBot/3.0; "
          "+http://yandex.com/bots)", "YandexBot" },
        { "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
          "DuckDuckBot" },
        { "Mozilla/5.0 (compatible; SomeCrawler/1.0; "
          "crawler@example.org)", "e-mail address" },
    };
    static const char *const people[][2] = {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
          "desktop Chrome" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
          "Mobile/15E148 Safari/604.1", "iPhone Safari" },
        { "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 "
          "Firefox/125.0", "Firefox" },
        { "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) "
          "AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 "
          "Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
          "[FBAN/FBIOS;FBAV/452.0.0.39.110;FBBV/563154345;FBDV/iPhone15,2;"
          "FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBCR/;FBID/phone;"
          "FBLC/en_US;FBOP/80]", "Facebook in-app on iOS" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 "
          "Safari/537.36", "Yandex Browser" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile "
          "Safari/537.36 DuckDuckGo/5", "DuckDuckGo browser" },
        { "Mozilla/5.0 (Linux; Android 4.2.1; CUBOT ONE Build/JOP40D) "
          "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/27.0.1453.90 "
          "Mobile Safari/537.36", "CUBOT phone" },
        { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, "
          "like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 "
          "(Ecosia android@124.0.0.0)", "Ecosia's '@' is no e-mail" },
        { "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera "
          "Mobi/23.348; U; en) Presto/2.5.25 Version/10.54", "Opera Mini" },
    };
    char longest[1026];
    size_t i;

    ok(vc_bot_check(NULL) == 1, "NULL User-Agent is a robot");
    for (i = 0; i < sizeof(robots) / sizeof(robots[0]); i++) {
        ok(vc_bot_check(robots[i][0]) == 1, "robot: %s", robots[i][1]);
    }
    for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
        ok(vc_bot_check(people[i][0]) == 0, "person: %s", people[i][1]);
    }

    /* No browser sends more than a few hundred bytes; past 1 KiB the
     * classifier stops reading and calls it a robot. */
    memset(longest, 'a', sizeof(longest));
    memcpy(longest, "Mozilla/5.0 ", 12);
    longest[1024] = '\0';
    ok(vc_bot_check(longest) == 0, "1024-byte browser-like User-Agent read");
    longest[1024] = 'a';
    longest[1025] = '\0';
    ok(vc_bot_check(longest) == 1, "1025-byte User-Agent is a robot");
}

/* Classifies every User-Agent in one corpus file, printing those whose
 * verdict is not want_bot.  Sets *total and *right; 0 when the file was
 * read to its end, -1 when it could not be. */
static int run_corpus(const char *path, int want_bot,
                      unsigned long *total, unsigned long *right)
{
    static char line[LINE_MAX_UA];
    FILE *f = fopen(path, "rb");
    size_t len;
    int status = 0;

    *total = *right = 0;
    if (f == NULL) {
        printf("# cannot open %s\n", path);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
            printf("# line longer than %d bytes in %s\n", LINE_MAX_UA, path);
            status = -1;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0 || line[0] == '#') {
            continue;
        }
        (*total)++;
        if (vc_bot_check(line) == want_bot) {
            (*right)++;
        }
        else {
            printf("#   %s: %s\n", want_bot ? "missed robot" : "browser taken "
                   "for a robot", line);
        }
    }
    if (ferror(f)) {
        status = -1;
    }
    fclose(f);
    return status;
}

/* Runs one corpus and asserts its size and its rate, in parts per
 * thousand so the test needs no floating point for the verdict. */
static void test_corpus(const char *name, int want_bot,
                        unsigned long min_entries, unsigned long min_permille)
{
    char path[1024];
    unsigned long total, right;
    int status;

    snprintf(path, sizeof(path), "%s/%s", VC_UA_DATA, name);
    status = run_corpus(path, want_bot, &total, &right);
    ok(status == 0, "%s read to its end", name);
    ok(total >= min_entries, "%s has at least %lu entries (has %lu)", name,
       min_entries, total);
    printf("# %s: %lu of %lu classified as %s (%.2f%%)\n", name, right,
           total, want_bot ? "robots" : "people",
           total ? 100.0 * (double)right / (double)total : 0.0);
    ok(total > 0 && right * 1000 >= total * min_permille,
       "%s: at least %lu.%lu%% classified as %s", name, min_permille / 10,
       min_permille % 10, want_bot ? "robots" : "people");
}

int main(void)
{
    test_named();
    test_corpus("ua-crawlers.txt", 1, MIN_CRAWLERS, 980);
    test_corpus("ua-browsers.txt", 0, MIN_BROWSERS, 999);
    return done_testing();
}
