/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names people know, from a cgroup's path alone: the systemd unit, the
 * Docker or Podman container (rootless too), the Kubernetes pod and
 * container under either cgroup driver (systemd: kubepods.slice/...
 * pod<uid>.slice/cri-containerd-<id>.scope, crio-<id>.scope; cgroupfs:
 * /kubepods/<qos>/pod<uid>/<id>). Container and pod *names* need the
 * runtime's or the kubelet's API: the ids are what the path holds, and
 * what `docker ps`, `crictl ps` and `kubectl get pod -o
 * jsonpath='{.metadata.uid}'` print. Pure functions.
 */
#ifndef EACCT_LABELS_H
#define EACCT_LABELS_H

#include <stdbool.h>
#include <stddef.h>

struct eacct_labels {
	char kind[16];		/* "kubernetes", "docker", "podman", "systemd", "" */
	char unit[256];		/* the innermost systemd unit, if any */
	char runtime[16];	/* "containerd", "cri-o", "docker", "podman" */
	char container_id[65];
	char pod_uid[37];	/* with dashes, as the API shows it */
	char qos[12];		/* "guaranteed", "burstable", "besteffort" */
	bool conmon;		/* the runtime's monitor, not the container */
	bool rootless;		/* under a user's systemd (user@UID.service) */
	char user[16];		/* that UID, or a session's user-UID.slice */
};

void eacct_cgroup_labels(const char *path, struct eacct_labels *l);

/*
 * A short name for a table: "pod 1b2c3d4e/ctr 3f2a1b0c9d8e", "docker
 * 3f2a1b0c9d8e", "nginx.service", or the path's last part.
 */
void eacct_labels_short(const struct eacct_labels *l, const char *path, char *buf,
			size_t len);

#endif /* EACCT_LABELS_H */
