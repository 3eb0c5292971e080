// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding NVIDIA RM ioctls from buffers of the captured shape (what the
 * BPF hook sends after the call): every escape and class eacct follows,
 * NVOS21 and NVOS64 allocations, the xfer wrapper, frees of a subtree
 * and of a whole client, refused calls, malformed records, process exit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/ioctl.h>

#include "lib/nvrm.h"

#define CG 4242

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

static struct eacct_nv_ioctl rec_of(uint32_t nr, uint32_t size)
{
	struct eacct_nv_ioctl r;

	memset(&r, 0, sizeof(r));
	r.cgroup_id = CG;
	r.tgid = 100;
	r.rdev = (195u << 20) | 255;	/* /dev/nvidiactl */
	r.cmd = _IOWR(NV_IOCTL_MAGIC, nr, char[size]);
	return r;
}

/* RM_ALLOC as NVOS64 (48 bytes) or NVOS21 (32), after the call. */
static struct eacct_nv_ioctl alloc(uint32_t size, uint32_t root, uint32_t parent,
				   uint32_t obj, uint32_t cls, uint32_t status)
{
	struct eacct_nv_ioctl r = rec_of(NV_ESC_RM_ALLOC, size);

	put32(r.args, 0, root);
	put32(r.args, 4, parent);
	put32(r.args, 8, obj);
	put32(r.args, 12, cls);
	put64(r.args, 16, 0x7fff0000ULL);	/* pAllocParms */
	put32(r.args, size == 32 ? 28 : 40, status);
	return r;
}

static struct eacct_nv_ioctl rm_free(uint32_t root, uint32_t parent, uint32_t obj)
{
	struct eacct_nv_ioctl r = rec_of(NV_ESC_RM_FREE, 16);

	put32(r.args, 0, root);
	put32(r.args, 4, parent);
	put32(r.args, 8, obj);
	return r;
}

static void test_class_kinds(void **state)
{
	static const uint32_t channels[] = { 0xC36F, 0xC46F, 0xC56F, 0xC86F, 0xC96F, 0xCA6F };
	static const uint32_t computes[] = { 0xC5C0, 0xC6C0, 0xC7C0, 0xC9C0, 0xCBC0,
					     0xCDC0, 0xCEC0 };
	static const uint32_t others[] = { 0x0041, 0x0080, 0x2080, 0xC36E, 0xCB6F, 0xC3C0, 0xCFC0 };
	size_t i;

	(void)state;
	assert_int_equal(eacct_nvrm_class_kind(0xA06C), EACCT_NVRM_CHANNEL_GROUP);
	for (i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
		assert_int_equal(eacct_nvrm_class_kind(channels[i]), EACCT_NVRM_CHANNEL);
	for (i = 0; i < sizeof(computes) / sizeof(computes[0]); i++)
		assert_int_equal(eacct_nvrm_class_kind(computes[i]), EACCT_NVRM_COMPUTE);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(eacct_nvrm_class_kind(others[i]), EACCT_NVRM_OTHER);
}

/* A CUDA-like start: client, device 1, subdevice, group, channel, compute. */
static void build_contexts(struct eacct_nvrm *t, uint32_t size)
{
	const uint32_t c = 0xc1d00001;
	struct eacct_nv_ioctl r;

	r = alloc(size, 0, 0, c, NV01_ROOT_CLIENT, 0);	/* RM picks hRoot */
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
	r = alloc(size, c, c, 0xcaf00001, NV01_DEVICE_0, 0);
	put32(r.params, 0, 1);				/* deviceId */
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
	r = alloc(size, c, 0xcaf00001, 0xcaf00002, NV20_SUBDEVICE_0, 0);
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
	r = alloc(size, c, 0xcaf00001, 0xcaf00010, KEPLER_CHANNEL_GROUP_A, 0);
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
	r = alloc(size, c, 0xcaf00010, 0xcaf00011, 0xC86F, 0);	/* Hopper GPFIFO */
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
	r = alloc(size, c, 0xcaf00011, 0xcaf00012, 0xCBC0, 0);	/* Hopper compute */
	assert_int_equal(eacct_nvrm_apply(t, &r), 0);
}

static void test_allocations_nvos64(void **state)
{
	struct eacct_nvrm t;

	(void)state;
	eacct_nvrm_init(&t);
	build_contexts(&t, 48);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 3);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 0), 0);
	assert_int_equal(eacct_nvrm_contexts(&t, CG + 1, 1), 0);
	assert_int_equal(t.decoded, 6);
	eacct_nvrm_free(&t);
}

static void test_allocations_nvos21(void **state)
{
	struct eacct_nvrm t;

	(void)state;
	eacct_nvrm_init(&t);
	build_contexts(&t, 32);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 3);
	eacct_nvrm_free(&t);
}

static void test_xfer_wrapper(void **state)
{
	struct eacct_nv_ioctl r = alloc(48, 0xc1, 0xc1, 0xc1, NV01_ROOT_CLIENT, 0);
	struct eacct_nvrm_event ev;

	(void)state;
	/* The same arguments, carried by NV_ESC_IOCTL_XFER_CMD. */
	r.cmd = _IOWR(NV_IOCTL_MAGIC, NV_ESC_IOCTL_XFER_CMD, char[16]);
	r.xfer_cmd = NV_ESC_RM_ALLOC;
	r.size = 48;
	assert_int_equal(eacct_nvrm_decode(&r, &ev), 0);
	assert_int_equal(ev.op, NVRM_ALLOC);
	assert_int_equal(ev.h_class, NV01_ROOT_CLIENT);
	r.size = 40;	/* no such layout */
	assert_int_equal(eacct_nvrm_decode(&r, &ev), -EINVAL);
}

static void test_free_subtree_and_client(void **state)
{
	struct eacct_nv_ioctl r;
	struct eacct_nvrm t;

	(void)state;
	eacct_nvrm_init(&t);
	build_contexts(&t, 48);
	r = rm_free(0xc1d00001, 0xcaf00010, 0xcaf00011);	/* the channel, and its compute */
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 1);
	/* A second group after it; freeing the first must not move its children. */
	r = alloc(48, 0xc1d00001, 0xcaf00001, 0xcaf00030, KEPLER_CHANNEL_GROUP_A, 0);
	eacct_nvrm_apply(&t, &r);
	r = alloc(48, 0xc1d00001, 0xcaf00010, 0xcaf00031, 0xCA6F, 0);	/* in the first */
	eacct_nvrm_apply(&t, &r);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 3);
	r = rm_free(0xc1d00001, 0xcaf00001, 0xcaf00010);
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 1);	/* the second group */
	r = rm_free(0xc1d00001, 0xc1d00001, 0xc1d00001);	/* the client */
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	assert_int_equal(t.nr, 0);
	eacct_nvrm_free(&t);
}

static void test_refused_and_malformed(void **state)
{
	struct eacct_nv_ioctl r;
	struct eacct_nvrm_event ev;
	struct eacct_nvrm t;

	(void)state;
	eacct_nvrm_init(&t);
	build_contexts(&t, 48);
	r = alloc(48, 0xc1d00001, 0xcaf00010, 0xcaf00020, 0xC86F, 0x1a);	/* RM said no */
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	r = alloc(48, 0xc1d00001, 0xcaf00010, 0xcaf00021, 0xC86F, 0);
	r.ret = -22;	/* the ioctl itself failed */
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 3);

	r = alloc(48, 1, 1, 1, NV01_ROOT_CLIENT, 0);
	r.cmd = _IOWR('d', NV_ESC_RM_ALLOC, char[48]);	/* not NVIDIA's magic */
	assert_int_equal(eacct_nvrm_apply(&t, &r), -EINVAL);
	r = rec_of(NV_ESC_RM_FREE, 24);			/* NVOS00 is 16 bytes */
	assert_int_equal(eacct_nvrm_apply(&t, &r), -EINVAL);
	assert_int_equal(t.failed, 2);
	r = rec_of(200 + 0, 8);				/* NV_ESC_CARD_INFO: nothing */
	assert_int_equal(eacct_nvrm_decode(&r, &ev), -ENOTSUP);
	assert_int_equal(eacct_nvrm_apply(&t, &r), 0);
	eacct_nvrm_free(&t);
}

static void test_control(void **state)
{
	struct eacct_nv_ioctl r = rec_of(NV_ESC_RM_CONTROL, 32);
	struct eacct_nvrm_event ev;

	(void)state;
	put32(r.args, 0, 0xc1d00001);
	put32(r.args, 4, 0xcaf00002);
	put32(r.args, 8, 0x20800110);
	assert_int_equal(eacct_nvrm_decode(&r, &ev), 0);
	assert_int_equal(ev.op, NVRM_CONTROL);
	assert_int_equal(ev.control_cmd, 0x20800110);
	assert_int_equal(ev.h_object, 0xcaf00002);
}

static void test_process_exit(void **state)
{
	struct eacct_nv_ioctl r;
	struct eacct_nvrm t;

	(void)state;
	eacct_nvrm_init(&t);
	build_contexts(&t, 48);
	r = alloc(48, 0xc1d00009, 0, 0xc1d00009, NV01_ROOT_CLIENT, 0);
	r.tgid = 200;
	eacct_nvrm_apply(&t, &r);
	/* A second cgroup with one channel group on the same device. */
	r = alloc(48, 0xc1d00009, 0xc1d00009, 0xd0000001, NV01_DEVICE_0, 0);
	r.tgid = 200;
	r.cgroup_id = CG + 1;
	put32(r.params, 0, 1);
	eacct_nvrm_apply(&t, &r);
	r = alloc(48, 0xc1d00009, 0xd0000001, 0xd0000002, KEPLER_CHANNEL_GROUP_A, 0);
	r.tgid = 200;
	r.cgroup_id = CG + 1;
	eacct_nvrm_apply(&t, &r);
	{
		uint64_t ids[4], act[4];

		assert_int_equal(eacct_nvrm_split(&t, 1, ids, act, 4), 2);
		assert_int_equal(ids[0], CG);
		assert_int_equal(act[0], 3);
		assert_int_equal(ids[1], CG + 1);
		assert_int_equal(act[1], 1);
		assert_int_equal(eacct_nvrm_split(&t, 0, ids, act, 4), 0);
	}
	eacct_nvrm_forget_process(&t, 100);
	assert_int_equal(eacct_nvrm_contexts(&t, CG, 1), 0);
	assert_int_equal(t.nr, 3);	/* the other process's objects stay */
	eacct_nvrm_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_kinds),
		cmocka_unit_test(test_allocations_nvos64),
		cmocka_unit_test(test_allocations_nvos21),
		cmocka_unit_test(test_xfer_wrapper),
		cmocka_unit_test(test_free_subtree_and_client),
		cmocka_unit_test(test_refused_and_malformed),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_process_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
