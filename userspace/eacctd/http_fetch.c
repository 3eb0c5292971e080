// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_fetch.h"

#ifdef EACCT_NO_HTTP
/* The static test builds of the VM suite have no libcurl. */
int eacct_http_init(void)
{
	return 0;
}

int eacct_http_get(const char *url, const char *header, long timeout_s, char **body,
		   char *err, size_t len)
{
	(void)url;
	(void)header;
	(void)timeout_s;
	*body = NULL;
	snprintf(err, len, "this eacctd was built without HTTP support");
	return -EOPNOTSUPP;
}
#else
#include <curl/curl.h>

#define MAX_BODY (1 << 20)

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > MAX_BODY)
		return 0;	/* too large: curl reports a write error */
	p = realloc(b->data, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	p[b->len] = '\0';
	return n;
}

int eacct_http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) ? -EIO : 0;
}

int eacct_http_get(const char *url, const char *header, long timeout_s, char **body,
		   char *err, size_t len)
{
	struct curl_slist *headers = NULL;
	struct buf b = { 0 };
	CURLcode rc;
	long status = 0;
	CURL *curl;
	int ret = 0;

	*body = NULL;
	curl = curl_easy_init();
	if (!curl) {
		snprintf(err, len, "curl_easy_init failed");
		return -ENOMEM;
	}
	if (header)
		headers = curl_slist_append(headers, header);
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);	/* from a thread */
	/*
	 * @header carries a secret (Electricity Maps' auth-token) meant for
	 * the configured origin alone. libcurl drops Authorization and
	 * cookies when a redirect leaves the host, but re-sends a custom
	 * header anywhere, plain http included; CURLOPT_UNRESTRICTED_AUTH
	 * does not apply to it. So with one, no redirect is followed: the
	 * 3xx comes back as an error naming where it led.
	 */
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, header ? 0L : 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "eacctd");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(err, len, "%s", curl_easy_strerror(rc));
		ret = -EIO;
	} else if (header && status >= 300 && status <= 399) {
		/* Stable text: the status line logs it once, not each fetch. */
		char *to = NULL;

		curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &to);
		snprintf(err, len, "HTTP %ld: redirect to %.200s refused: the token is sent "
			 "to the configured URL's host alone (set the URL it leads to)", status,
			 to ? to : "(none)");
		ret = -EIO;
	} else if (status < 200 || status > 299) {
		snprintf(err, len, "HTTP %ld%s%.120s", status, b.data ? ": " : "",
			 b.data ? b.data : "");
		ret = -EIO;
	} else if (!b.data) {
		snprintf(err, len, "empty answer");
		ret = -EIO;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (ret)
		free(b.data);
	else
		*body = b.data;
	return ret;
}
#endif
