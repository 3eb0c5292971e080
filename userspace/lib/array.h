/* SPDX-License-Identifier: GPL-2.0 */
/* Growable arrays: the one way eacct appends to a malloc()ed array. */
#ifndef EACCT_ARRAY_H
#define EACCT_ARRAY_H

#include <stddef.h>

/*
 * Append one element of @size bytes to *@arr, which holds *@nr of a
 * capacity of *@cap (doubled when full, from 64): the new element,
 * zeroed, or NULL when out of memory (the array unchanged).
 */
void *eacct_array_push(void **arr, size_t *cap, size_t *nr, size_t size);

#endif /* EACCT_ARRAY_H */
