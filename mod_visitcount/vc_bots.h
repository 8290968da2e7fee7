/* Telling robots from people by their User-Agent header.  The rules are
 * one table in vc_bots.c; this is pure code with no httpd dependency, so
 * the unit tests and fuzzers call it directly.
 */
#ifndef VC_BOTS_H
#define VC_BOTS_H

/* 1 when user_agent looks like a crawler, spider, link-preview fetcher,
 * HTTP client library, monitor or headless browser; 0 for a browser a
 * person uses.  A NULL or empty User-Agent is a robot, and so is one with
 * neither the "Mozilla/" token every browser sends nor Opera's name.
 * Reads the NUL-terminated string only, allocates nothing, and takes time
 * linear in its length. */
int vc_bot_check(const char *user_agent);

#endif
