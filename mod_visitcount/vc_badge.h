/* The badge handler, `SetHandler visitcount-badge`: a key's count as an
 * SVG badge in shields.io's styles, or as shields' endpoint JSON. */
#ifndef VC_BADGE_H
#define VC_BADGE_H

#include "httpd.h"

/* The handler hook. */
int vc_badge_handler(request_rec *r);

#endif
