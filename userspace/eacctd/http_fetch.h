/* SPDX-License-Identifier: GPL-2.0 */
/* One HTTP(S) GET with libcurl, for the carbon-intensity APIs. */
#ifndef EACCT_HTTP_FETCH_H
#define EACCT_HTTP_FETCH_H

#include <stddef.h>

/*
 * GET @url with an optional extra request @header ("auth-token: ..."),
 * within @timeout_s. The body (NUL-terminated, malloc()ed, at most 1 MiB)
 * in *body on a 2xx answer; otherwise the reason in @err. 0 or -errno.
 * Redirects are followed (3 at most) only without @header: a secret in it
 * goes to @url's origin and nowhere else, and a 3xx answer is an error.
 */
int eacct_http_get(const char *url, const char *header, long timeout_s, char **body,
		   char *err, size_t len);
/* Once, before any thread starts. */
int eacct_http_init(void);

#endif /* EACCT_HTTP_FETCH_H */
