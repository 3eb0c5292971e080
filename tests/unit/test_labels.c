// SPDX-License-Identifier: GPL-2.0
/* Labels from real cgroup path shapes: systemd, Docker, Podman, Kubernetes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/labels.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"	/* flags default to false */

#define ID "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
#define UID "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516"
#define UID_ "1b2c3d4e_5f60_4718_9a0b_c1d2e3f40516"

struct shape {
	const char *path, *kind, *unit, *runtime, *id, *pod, *qos, *user, *name;
	bool conmon, rootless;
};

static const struct shape shapes[] = {
	{ "/system.slice/nginx.service", "systemd", "nginx.service", "", "", "", "", "", "nginx.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", "systemd", "session-3.scope", "", "", "", "",
	  "1000", "session-3.scope" },
	{ "/system.slice/docker-" ID ".scope", "docker", "docker-" ID ".scope", "docker", ID, "", "", "",
	  "docker 3f2a1b0c9d8e" },
	{ "/docker/" ID, "docker", "", "docker", ID, "", "", "", "docker 3f2a1b0c9d8e" },
	{ "/machine.slice/libpod-" ID ".scope", "podman", "libpod-" ID ".scope", "podman", ID, "", "",
	  "", "podman 3f2a1b0c9d8e" },
	{ "/machine.slice/libpod-" ID ".scope/container", "podman", "libpod-" ID ".scope", "podman", ID,
	  "", "", "", "podman 3f2a1b0c9d8e" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", "podman", "libpod-conmon-" ID ".scope", "podman",
	  ID, "", "", "", "podman-conmon 3f2a1b0c9d8e", true },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", "podman",
	  "libpod-" ID ".scope", "podman", ID, "", "", "1000", "podman 3f2a1b0c9d8e", false, true },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-"
	  ID ".scope", "kubernetes", "cri-containerd-" ID ".scope", "containerd", ID, UID, "burstable", "",
	  "pod 1b2c3d4e/ctr 3f2a1b0c9d8e" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope", "kubernetes", "crio-" ID ".scope",
	  "cri-o", ID, UID, "guaranteed", "", "pod 1b2c3d4e/ctr 3f2a1b0c9d8e" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-conmon-"
	  ID ".scope", "kubernetes", "crio-conmon-" ID ".scope", "cri-o", ID, UID, "besteffort", "",
	  "pod 1b2c3d4e/conmon 3f2a1b0c9d8e", true },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", "kubernetes",
	  "kubepods-burstable-pod" UID_ ".slice", "", "", UID, "burstable", "", "pod 1b2c3d4e (burstable)" },
	{ "/kubepods/burstable/pod" UID "/" ID, "kubernetes", "", "", ID, UID, "burstable", "",
	  "pod 1b2c3d4e/ctr 3f2a1b0c9d8e" },
	{ "/kubepods/pod" UID "/" ID, "kubernetes", "", "", ID, UID, "guaranteed", "",
	  "pod 1b2c3d4e/ctr 3f2a1b0c9d8e" },
	{ "/kubepods.slice", "systemd", "kubepods.slice", "", "", "", "", "", "kubepods.slice" },
	{ "/", "", "", "", "", "", "", "", "/" },
	{ "/batch/job-17", "", "", "", "", "", "", "", "job-17" },
	/* Not ids: too short, not hex, a slice named like a scope. */
	{ "/system.slice/docker-xyz.scope", "systemd", "docker-xyz.scope", "", "", "", "", "",
	  "docker-xyz.scope" },
	{ "/docker/notanid", "", "", "", "", "", "", "", "notanid" },
};

static void test_shapes(void **state)
{
	struct eacct_labels l;
	char name[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		eacct_cgroup_labels(s->path, &l);
		eacct_labels_short(&l, s->path, name, sizeof(name));
		if (strcmp(l.kind, s->kind) || strcmp(l.unit, s->unit) ||
		    strcmp(l.runtime, s->runtime) || strcmp(l.container_id, s->id) ||
		    strcmp(l.pod_uid, s->pod) || strcmp(l.qos, s->qos) ||
		    strcmp(l.user, s->user) || strcmp(name, s->name) ||
		    l.conmon != s->conmon || l.rootless != s->rootless)
			fail_msg("%s: kind '%s' unit '%s' runtime '%s' id '%s' pod '%s' qos '%s' user '%s' name '%s' conmon %d rootless %d",
				 s->path, l.kind, l.unit, l.runtime, l.container_id, l.pod_uid,
				 l.qos, l.user, name, l.conmon, l.rootless);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests_name("labels", tests, NULL, NULL);
}
