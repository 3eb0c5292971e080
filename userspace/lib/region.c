// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <string.h>

#include "region.h"

const struct eacct_region *eacct_region_find(const char *iso3)
{
	char code[4];
	size_t i;

	if (strlen(iso3) != 3)
		return NULL;
	for (i = 0; i < 3; i++)
		code[i] = (char)toupper((unsigned char)iso3[i]);
	code[3] = '\0';
	for (i = 0; i < eacct_nr_regions; i++)
		if (!strcmp(eacct_regions[i].iso3, code))
			return &eacct_regions[i];
	return NULL;
}
