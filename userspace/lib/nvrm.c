// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#include "attrib.h"
#include "nvrm.h"

/* Little-endian fields of the captured argument. */
static uint32_t u32_at(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

enum eacct_nvrm_kind eacct_nvrm_class_kind(uint32_t c)
{
	if (c == KEPLER_CHANNEL_GROUP_A)
		return EACCT_NVRM_CHANNEL_GROUP;
	if ((c & 0xff) == 0x6f && c >= 0xc36f && c <= 0xca6f)
		return EACCT_NVRM_CHANNEL;
	if ((c & 0xff) == 0xc0 && c >= 0xc5c0 && c <= 0xcec0)
		return EACCT_NVRM_COMPUTE;
	return EACCT_NVRM_OTHER;
}

/*
 * NVOS21 (32 bytes) and NVOS64 (48): hRoot, hObjectParent, hObjectNew,
 * hClass, pAllocParms (8), then NVOS21: paramsSize, status at 28;
 * NVOS64: pRightsRequested (8), paramsSize, flags, status at 40.
 */
static int decode_alloc(const struct eacct_nv_ioctl *rec, uint32_t size,
			struct eacct_nvrm_event *ev)
{
	if (size != 32 && size != 48)
		return -EINVAL;
	ev->op = NVRM_ALLOC;
	ev->h_root = u32_at(rec->args, 0);
	ev->h_parent = u32_at(rec->args, 4);
	ev->h_object = u32_at(rec->args, 8);
	ev->h_class = u32_at(rec->args, 12);
	ev->status = u32_at(rec->args, size == 32 ? 28 : 40);
	/* NV0080_ALLOC_PARAMETERS starts with deviceId. */
	if (ev->h_class == NV01_DEVICE_0)
		ev->device = u32_at(rec->params, 0);
	return 0;
}

int eacct_nvrm_decode(const struct eacct_nv_ioctl *rec, struct eacct_nvrm_event *ev)
{
	uint32_t nr = _IOC_NR(rec->cmd), size = _IOC_SIZE(rec->cmd);

	memset(ev, 0, sizeof(*ev));
	if (_IOC_TYPE(rec->cmd) != NV_IOCTL_MAGIC)
		return -EINVAL;
	if (nr == NV_ESC_IOCTL_XFER_CMD) {
		/* nv_ioctl_xfer_t: cmd, size, ptr; BPF captured *ptr. */
		nr = rec->xfer_cmd;
		size = rec->size;
	}
	switch (nr) {
	case NV_ESC_RM_ALLOC:
		return decode_alloc(rec, size, ev);
	case NV_ESC_RM_FREE:	/* NVOS00: hRoot, hObjectParent, hObjectOld, status */
		if (size != 16)
			return -EINVAL;
		ev->op = NVRM_FREE;
		ev->h_root = u32_at(rec->args, 0);
		ev->h_parent = u32_at(rec->args, 4);
		ev->h_object = u32_at(rec->args, 8);
		ev->status = u32_at(rec->args, 12);
		return 0;
	case NV_ESC_RM_CONTROL:	/* NVOS54: hClient, hObject, cmd, flags, params (8), size, status */
		if (size != 32)
			return -EINVAL;
		ev->op = NVRM_CONTROL;
		ev->h_root = u32_at(rec->args, 0);
		ev->h_object = u32_at(rec->args, 4);
		ev->control_cmd = u32_at(rec->args, 8);
		ev->status = u32_at(rec->args, 28);
		return 0;
	default:
		return -ENOTSUP;
	}
}

void eacct_nvrm_init(struct eacct_nvrm *t)
{
	memset(t, 0, sizeof(*t));
}

void eacct_nvrm_free(struct eacct_nvrm *t)
{
	free(t->objs);
	memset(t, 0, sizeof(*t));
}

static struct eacct_nvrm_object *find(struct eacct_nvrm *t, uint32_t h_root,
				      uint32_t handle)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (t->objs[i].h_root == h_root && t->objs[i].handle == handle)
			return &t->objs[i];
	return NULL;
}

/* Is @o @ancestor or below it? Parent chains are short (client, device, ...). */
static bool under(struct eacct_nvrm *t, const struct eacct_nvrm_object *o,
		  uint32_t ancestor)
{
	int depth;

	for (depth = 0; o && depth < 16; depth++) {
		if (o->handle == ancestor)
			return true;
		if (o->parent == o->handle)
			return false;
		o = find(t, o->h_root, o->parent);
	}
	return false;
}

static void free_subtree(struct eacct_nvrm *t, uint32_t h_root, uint32_t handle)
{
	size_t i, kept = 0;
	bool *gone;

	if (!t->nr)
		return;
	gone = calloc(t->nr, sizeof(*gone));
	if (!gone) {
		t->dropped++;
		return;
	}
	/* Decide on the intact table, then compact: parents may move. */
	for (i = 0; i < t->nr; i++)
		gone[i] = t->objs[i].h_root == h_root &&
			  (handle == h_root || under(t, &t->objs[i], handle));
	for (i = 0; i < t->nr; i++)
		if (!gone[i])
			t->objs[kept++] = t->objs[i];
	t->nr = kept;
	free(gone);
}

static int add_object(struct eacct_nvrm *t, const struct eacct_nv_ioctl *rec,
		      const struct eacct_nvrm_event *ev)
{
	struct eacct_nvrm_object *o, *parent;

	if (t->nr == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;

		o = realloc(t->objs, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		t->objs = o;
		t->cap = cap;
	}
	parent = find(t, ev->h_root, ev->h_parent);
	o = &t->objs[t->nr++];
	o->h_root = ev->h_root;
	o->handle = ev->h_object;
	o->parent = ev->h_parent;
	o->h_class = ev->h_class;
	o->tgid = rec->tgid;
	o->cgroup_id = rec->cgroup_id;
	o->device = ev->h_class == NV01_DEVICE_0 ? (int32_t)ev->device :
		    parent ? parent->device : -1;
	return 0;
}

int eacct_nvrm_apply(struct eacct_nvrm *t, const struct eacct_nv_ioctl *rec)
{
	struct eacct_nvrm_event ev;
	int err = eacct_nvrm_decode(rec, &ev);

	if (err == -ENOTSUP)
		return 0;
	if (err) {
		t->failed++;
		return err;
	}
	t->decoded++;
	if (rec->ret || ev.status)
		return 0;	/* refused by the driver: nothing changed */
	switch (ev.op) {
	case NVRM_ALLOC:
		/* The client itself: hRoot is the new handle (RM may pick it). */
		if (ev.h_class == NV01_ROOT || ev.h_class == NV01_ROOT_CLIENT)
			ev.h_root = ev.h_parent = ev.h_object;
		return add_object(t, rec, &ev);
	case NVRM_FREE:
		free_subtree(t, ev.h_root, ev.h_object);
		return 0;
	default:
		return 0;
	}
}

void eacct_nvrm_forget_process(struct eacct_nvrm *t, uint32_t tgid)
{
	size_t i, kept = 0;

	for (i = 0; i < t->nr; i++)
		if (t->objs[i].tgid != tgid)
			t->objs[kept++] = t->objs[i];
	t->nr = kept;
}

unsigned int eacct_nvrm_contexts(const struct eacct_nvrm *t, uint64_t cgroup_id,
				 int device)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < t->nr; i++)
		n += t->objs[i].cgroup_id == cgroup_id && t->objs[i].device == device &&
		     eacct_nvrm_class_kind(t->objs[i].h_class) != EACCT_NVRM_OTHER;
	return n;
}

size_t eacct_nvrm_split(const struct eacct_nvrm *t, int device, uint64_t *ids,
			uint64_t *act, size_t max)
{
	const struct eacct_nvrm_object *o;
	size_t i, n = 0;

	for (i = 0; i < t->nr; i++) {
		o = &t->objs[i];
		if (o->device == device &&
		    eacct_nvrm_class_kind(o->h_class) != EACCT_NVRM_OTHER)
			n = eacct_tally(ids, act, n, max, o->cgroup_id, 1);
	}
	return n;
}
