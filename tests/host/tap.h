/* SPDX-License-Identifier: GPL-2.0 */
/* TAP lines for the host tests: "ok - PREFIX: what" and a closing count. */
#ifndef EACCT_TAP_H
#define EACCT_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static const char *tap_prefix;	/* set by the test, e.g. "host cpu" */
static int tap_passed, tap_failed;

static void __attribute__((format(printf, 2, 3))) tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s: ", ok ? "ok" : "not ok", tap_prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		tap_passed++;
	else
		tap_failed++;
}

/* "SUITE: N passed, N failed"; the exit status. */
static inline int tap_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif /* EACCT_TAP_H */
