/* What every httpd-facing file of mod_visitcount needs to know about the
 * module itself: its module record, for configuration lookups, and the
 * per-module log level (LogLevel visitcount:debug).  Private to the .c
 * files above the store (never a header, nor mod_visitcount.c, whose
 * AP_DECLARE_MODULE says the same); the store and the leaves never see it.
 */
#ifndef VC_MODULE_H
#define VC_MODULE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

extern module AP_MODULE_DECLARE_DATA visitcount_module;

APLOG_USE_MODULE(visitcount);

#endif
