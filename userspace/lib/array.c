// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "array.h"

void *eacct_array_push(void **arr, size_t *cap, size_t *nr, size_t size)
{
	char *p;

	if (*nr == *cap) {
		size_t new_cap = *cap ? *cap * 2 : 64;

		p = realloc(*arr, new_cap * size);
		if (!p)
			return NULL;
		*arr = p;
		*cap = new_cap;
	}
	p = (char *)*arr + (*nr)++ * size;
	memset(p, 0, size);
	return p;
}
