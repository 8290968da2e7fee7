/* The User-Agent rules that keep robots out of the visitor counts: the
 * table of robot tokens (crawlers, link-preview fetchers, HTTP libraries,
 * headless browsers, monitors, AI and SEO crawlers), the few browser words
 * that contain such a token, and vc_bot_check(), which applies them.  It is
 * plain C with no httpd or APR dependency and no allocation, its case
 * folding is ASCII-only so the locale cannot change a verdict, and it reads
 * any bytes safely, because the header is whatever a client sends.  The
 * corpora in t/unit/data measure it; when a real browser is caught or a
 * real robot missed, the fix belongs in these tables.
 */
#include "vc_bots.h"

#include <string.h>

/* Substrings that mark a robot, matched anywhere, ignoring ASCII case.
 * A token should be long or odd enough never to occur in a browser's
 * User-Agent; where one does (a phone named "CUBOT"), the word that
 * contains it goes in browser_words below rather than the token going. */
static const char *const robot_tokens[] = {
    /* A contact address: robots say where to complain, browsers never do.
     * (E-mail addresses are found by email_at(), not by a token.) */
    "http://", "https://", "+http", "www.",
    "(at)", "[at]",     /* spam-proofed e-mail: "crawler(at)example.org" */
    "abuse",            /* "abuse.example.fr", "abuse@" */

    /* Words robots name themselves with.  "bot" alone catches Googlebot,
     * bingbot, Applebot, Amazonbot, GPTBot, ClaudeBot, CCBot, PetalBot,
     * DuckDuckBot, SeznamBot, AhrefsBot, SemrushBot, MJ12bot, DotBot,
     * BLEXBot, Twitterbot, Discordbot, TelegramBot, LinkedInBot,
     * Pinterestbot, redditbot, Slackbot ... */
    "bot",
    "crawl",            /* crawler, Crawl, webcrawler */
    "spider",           /* Baiduspider, Sogou web spider, Bytespider */
    "slurp",            /* Yahoo! Slurp */
    "scrap",            /* Scrapy, scraper */
    "fetch",            /* Feedfetcher-Google, fetcher, node-fetch */
    "archiv",           /* ia_archiver, archive.org */
    "index",            /* indexers */
    "harvest",          /* harvesters */
    "checker",          /* link and feed checkers */
    "checklink",        /* W3C-checklink */
    "validator",        /* W3C_Validator, feed validators */
    "preview",          /* BingPreview, SkypeUriPreview, Google Web Preview */
    "monitor",          /* uptime and change monitors */
    "uptime",           /* Uptime-Kuma, uptime.com */
    "scan",             /* adscanner, ContentScan, "/scanning" */
    "research",         /* university and company research crawlers */
    "linkcheck",        /* brokenlinkcheck, LinkChecker */
    "imageproxy",       /* GoogleImageProxy (Gmail) */
    "thumbnail",        /* page-thumbnail services */
    "sitemap",          /* sitemap generators */
    "auditor",          /* site auditors */
    "inspector",        /* Ghost Inspector */
    "optimizer",        /* page optimizers fetching to rewrite */

    /* Search engines' robots without those words. */
    "-google",          /* AdsBot-Google, Mediapartners-Google,
                         * Storebot-Google, APIs-Google */
    "google-",          /* Google-InspectionTool, Google-Extended,
                         * Google-Read-Aloud, Google-Site-Verification */
    "googleother", "google favicon",
    "yandex",           /* YandexImages, YandexMetrika ...; the browser
                         * says "YaBrowser" and the app "YaSearchBrowser" */
    "yeti/",            /* Naver's crawler; "NAVER(inapp" is its app */
    "qwantify", "daumoa", "teoma", "ask jeeves", "nutch", "heritrix",

    /* AI crawlers and assistants fetching for a model. */
    "chatgpt", "claude", "anthropic", "perplexity", "cohere-ai",
    "googleagent",      /* GoogleAgent-Mariner */
    "manus-user",
    "meta-external", "mistralai", "img2dataset", "webzio",

    /* Link-preview fetchers.  The in-app browsers of the same companies
     * ("Twitter for iPhone", "[LinkedInApp]", "Snapchat/", "Slack/")
     * are people, so only the fetchers' own names are listed. */
    "facebookexternal", "facebookcatalog", "slack-", "whatsapp",
    "embedly", "skypeuri", "iframely", "vkshare", "flipboardproxy",
    "cardyb",           /* Bluesky */
    "outbrain",

    /* Headless and automated browsers. */
    "headless", "phantomjs", "puppeteer", "playwright", "selenium",
    "webdriver", "lighthouse", "google page speed", "pagespeed",
    "ptst/",            /* WebPageTest */
    "gtmetrix", "slimerjs", "htmlunit", "prerender", "rendertron",
    "wkhtmlto", "cypress/",

    /* HTTP libraries and command-line clients that borrow "Mozilla/". */
    "curl", "wget", "python", "okhttp", "go-http-client", "libwww",
    "lwp-", "httpclient", "httpx", "axios", "undici", "aiohttp",
    "guzzle", "winhttp", "urllib", "httrack", "webcopier",
    "offline explorer", "postman", "insomnia", "httpie", "powershell",
    "reqwest", "rest-client", "faraday", "restsharp", "apache-", "jakarta",
    "mechanize", "httpunit", "colly",
    "indy library",     /* Delphi */
    "splash",           /* Scrapinghub's rendering service */

    /* Scanners ("scan" above has masscan and wpscan). */
    "zgrab", "nmap", "nikto", "sqlmap", "nuclei", "dirbuster", "gobuster",
    "qualys", "nessus", "openvas", "acunetix", "netsparker", "burp",

    /* Uptime, speed and change monitors. */
    "pingdom", "statuscake", "site24x7", "newrelic", "datadog",
    "nagios", "zabbix", "check_http", "catchpoint", "gomez", "keynote",
    "ruxit", "dynatrace", "hetrix", "freshping", "checkly", "synthetic",
    "siteimprove", "sitebulb", "screaming frog", "changedetection",
    "thousandeyes", "appinsights", "hotjar", "silktide", "dareboost",
    "hardenize", "securityheaders", "cookiehub", "watchtowr", "foregenix",
    "criticalcss", "linktiger", "collapsify", "printfriendly", "webcapture",

    /* SEO, marketing and research crawlers. */
    "ahrefs", "semrush", "dataforseo", "serpstat", "seokicks",
    "linkdex", "barkrowler", "zoominfo", "netcraft", "censys", "majestic",
    "sistrix", "searchmetrics", "linkfluence", "brandwatch", "proximic",
    "integralads", "similarweb", "builtwith", "wappalyzer", "turnitin",
    "plagiarism", "copyscape", "datanyze", "adbeat", "scope3",
    "dataprovider", "attracta", "marketgoo", "twingly", "trendsmap",
    "ips-agent", "impact.com agent", "pwabuilder",
    "zyborg",           /* LookSmart */
    "scooter",          /* AltaVista */

    /* Feed readers and aggregators: they fetch for people, but are not
     * one visiting. */
    "feed", "rss", "inoreader", "newsblur", "bloglines", "netvibes",
    "theoldreader", "newsnow",
};

/* Browser words that contain a robot token: a match of the token inside
 * one of these does not count.  Each is real: a phone brand, a carrier
 * name in Facebook's in-app User-Agent. */
static const char *const browser_words[] = {
    "cubot",            /* CUBOT Android phones: "CUBOT ONE Build/JOP40D" */
    "botswana",         /* "FBCR/OrangeBotswana" in Facebook for iOS */
};

/* The longest User-Agent examined.  The longest browser string in the
 * corpora is about 330 bytes; anything past 1 KiB is a robot, and the
 * bound keeps the work per request small whatever a client sends. */
#define UA_MAX 1024

/* ASCII folding by hand: tolower() would follow the locale. */
static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Whether word is at s[at..], ignoring ASCII case; s has n bytes. */
static int word_at(const char *s, size_t n, size_t at, const char *word)
{
    size_t i;

    for (i = 0; word[i] != '\0'; i++) {
        if (at + i >= n || fold((unsigned char)s[at + i])
                           != fold((unsigned char)word[i])) {
            return 0;
        }
    }
    return 1;
}

/* Whether the match of token at s[at..] lies inside a browser word. */
static int excused(const char *s, size_t n, size_t at, const char *token)
{
    size_t w, k, wlen, tlen = strlen(token);

    for (w = 0; w < sizeof(browser_words) / sizeof(browser_words[0]); w++) {
        wlen = strlen(browser_words[w]);
        for (k = 0; k + tlen <= wlen && k <= at; k++) {
            if (word_at(browser_words[w], wlen, k, token)
                && word_at(s, n, at - k, browser_words[w])) {
                return 1;
            }
        }
    }
    return 0;
}

/* Whether token occurs in low (the folded User-Agent, n bytes) outside
 * every browser word.  strchr() jumps to each place the token could
 * start, which is what keeps a few hundred tokens cheap. */
static int has_token(const char *low, size_t n, const char *token)
{
    const char *p = low;

    while ((p = strchr(p, fold((unsigned char)token[0]))) != NULL
           && *p != '\0') {
        if (word_at(low, n, (size_t)(p - low), token)
            && !excused(low, n, (size_t)(p - low), token)) {
            return 1;
        }
        p++;
    }
    return 0;
}

static int is_alpha(unsigned char c)
{
    c = fold(c);
    return c >= 'a' && c <= 'z';
}

static int is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Whether the '@' at s[at] is inside an e-mail address: a name before it,
 * and after it dot-separated labels ending in a letters-only top-level
 * domain.  A bare '@' is no sign of a robot: Ecosia sends "android@150.0",
 * tablets are named "@TAB-SEVEN", locales read "th-TH@calendar=...". */
static int email_at(const char *s, size_t n, size_t at)
{
    size_t i, label = 0, dots = 0;
    int alpha = 1;
    unsigned char c;

    if (at == 0) {
        return 0;
    }
    c = (unsigned char)s[at - 1];
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '+') {
        return 0;
    }
    for (i = at + 1; i < n; i++) {
        c = (unsigned char)s[i];
        if (c == '.' && label > 0) {
            dots++;
            label = 0;
            alpha = 1;
        }
        else if (is_alnum(c) || c == '-') {
            label++;
            alpha = alpha && is_alpha(c);
        }
        else {
            break;
        }
    }
    return dots > 0 && label >= 2 && alpha;
}

int vc_bot_check(const char *user_agent)
{
    char low[UA_MAX + 1];
    size_t n, i;

    if (user_agent == NULL || user_agent[0] == '\0') {
        return 1;
    }
    for (n = 0; user_agent[n] != '\0'; n++) {
        char c = user_agent[n];

        if (n == UA_MAX) {
            return 1;
        }
        low[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    low[n] = '\0';

    /* Every browser sends the "Mozilla/" compatibility token, though some
     * phones and apps put their own name before it; Opera up to version 12
     * and some TVs send Opera's name instead.  curl, Wget, language
     * libraries and most robots send neither. */
    if (!has_token(low, n, "mozilla/") && !has_token(low, n, "opera")) {
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (low[i] == '@' && email_at(low, n, i)) {
            return 1;
        }
    }
    for (i = 0; i < sizeof(robot_tokens) / sizeof(robot_tokens[0]); i++) {
        if (has_token(low, n, robot_tokens[i])) {
            return 1;
        }
    }
    return 0;
}
