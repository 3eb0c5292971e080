// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "enforce.h"
#include "lib/sysfile.h"
#include "lib/tree.h"

/*
 * The cgroup @path, opened if it is still cgroup @id. A cgroup removed and
 * made again at its path (a service restarted) is another cgroup: a new
 * id, the inode number of its directory, never reused. What was done to
 * the old one must be neither applied to nor undone onto it. The files
 * are then opened under this directory, not by path again: a cgroup
 * replaced between the check and a write leaves us the old, dead
 * directory, whose files are gone (-ENOENT), never the new one's.
 * A directory fd, or -ENOENT (no cgroup there), -ESTALE (another cgroup
 * there: *now is its id) or -errno.
 */
static int open_cg(const struct enforcer *f, const char *path, uint64_t id, uint64_t *now)
{
	char p[PATH_MAX + 64];
	struct stat st;
	int fd, err;

	snprintf(p, sizeof(p), "%s%s", f->cgroup_root, strcmp(path, "/") ? path : "");
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((uint64_t)st.st_ino != id) {
		*now = st.st_ino;
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static const char *action_name(const struct enforced *e, char *buf, size_t len)
{
	if (e->action == EACCT_DO_THROTTLE)
		snprintf(buf, len, "throttle=%u", e->pct);
	else
		snprintf(buf, len, "%s", e->action == EACCT_DO_FREEZE ? "freeze" : "notify");
	return buf;
}

/* Written only when an action changes: durable, it costs nothing each interval. */
static void save(const struct enforcer *f)
{
	struct json_object *arr = enforcer_json(f);
	const char *text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	int err = eacct_file_replace(f->file, text, strlen(text), true);

	if (err)
		f->log("enforcement: cannot write %s: %s", f->file, strerror(-err));
	json_object_put(arr);
}

struct json_object *enforcer_json(const struct enforcer *f)
{
	struct json_object *arr = json_object_new_array(), *o;
	char action[32];
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct enforced *e = &f->e[i];

		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_uint64(e->id));
		json_object_object_add(o, "cgroup", json_object_new_string(e->path));
		json_object_object_add(o, "action",
				       json_object_new_string(action_name(e, action, sizeof(action))));
		json_object_object_add(o, "state", json_object_new_string(e->state));
		if (e->saved_cpu_max[0])
			json_object_object_add(o, "saved_cpu_max",
					       json_object_new_string(e->saved_cpu_max));
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

static struct enforced *add(struct enforcer *f)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct enforced *e = realloc(f->e, cap * sizeof(*e));

		if (!e)
			return NULL;
		f->e = e;
		f->cap = cap;
	}
	memset(&f->e[f->n], 0, sizeof(f->e[0]));
	return &f->e[f->n++];
}

int enforcer_init(struct enforcer *f)
{
	struct json_object *arr, *o, *v;
	struct enforced *e;
	size_t i;

	f->e = NULL;
	f->n = f->cap = 0;
	if (access(f->file, F_OK))
		return 0;
	arr = json_object_from_file(f->file);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		f->log("enforcement: %s unreadable (%s): what a previous eacctd did cannot be undone",
		       f->file, json_util_get_last_err());
		json_object_put(arr);
		return -EINVAL;
	}
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "id", &v) || !(e = add(f)))
			continue;
		e->id = json_object_get_uint64(v);
		snprintf(e->path, sizeof(e->path), "%s", str_of(o, "cgroup"));
		if (!eacct_action_parse(str_of(o, "action"), &e->action, &e->pct) ||
		    e->path[0] != '/') {
			f->n--;
			continue;
		}
		snprintf(e->saved_cpu_max, sizeof(e->saved_cpu_max), "%s", str_of(o, "saved_cpu_max"));
		snprintf(e->state, sizeof(e->state), "%s", str_of(o, "state"));
	}
	json_object_put(arr);
	if (f->n)
		f->log("enforcement: %zu budget action(s) of a previous eacctd taken over", f->n);
	return 0;
}

static unsigned int cgroup_cpus(int cgfd)
{
	char list[4096];
	unsigned int n = 0;
	long online;

	if (!eacct_file_read_line(cgfd, "cpuset.cpus.effective", list, sizeof(list)))
		n = eacct_cpulist_count(list);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return n ? n : online > 0 ? (unsigned int)online : 1;
}

/* "carbon 1024 of 1000 ug", the budgets that are set, for the log. */
static const char *used(const struct eacct_cg_stat *c, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (c->budget_ug)
		n = snprintf(buf, len, "carbon %" PRIu64 " of %" PRIu64 " ug", c->carbon_ug,
			     c->budget_ug);
	if (c->energy_budget_uj && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "%senergy %" PRIu64 " of %" PRIu64 " uJ", n ? ", " : "",
			 c->energy_uj, c->energy_budget_uj);
	return buf;
}

/* Apply @e's action; its state says how it went. */
static void apply(struct enforcer *f, struct enforced *e, const struct eacct_cg_stat *c)
{
	char cur[64], want[64], action[32], what[128];
	uint64_t now = 0;
	int fd, err = 0;

	action_name(e, action, sizeof(action));
	if (!f->apply || e->action == EACCT_DO_NOTIFY) {
		snprintf(e->state, sizeof(e->state), "%s", f->apply ? "notified" :
			 "notified (enforce = no: not applied)");
		f->log("budget exceeded: %s (%s): %s", e->path, used(c, what, sizeof(what)),
		       f->apply ? "notify" : action);
		return;
	}
	fd = open_cg(f, e->path, e->id, &now);
	if (fd == -ESTALE) {
		/*
		 * The module's entry outlived its cgroup: the cgroup there now
		 * has no budget of its own. Kept, not applied, so that it is
		 * neither tried again nor undone.
		 */
		snprintf(e->state, sizeof(e->state), "not applied: cgroup %" PRIu64
			 " replaced by %" PRIu64, e->id, now);
		f->log("budget exceeded: %s: %s", e->path, e->state);
		return;
	}
	if (fd < 0) {
		err = fd;
	} else if (e->action == EACCT_DO_THROTTLE) {
		err = eacct_file_read_line(fd, "cpu.max", cur, sizeof(cur));
		if (!err && !e->saved_cpu_max[0])
			snprintf(e->saved_cpu_max, sizeof(e->saved_cpu_max), "%s", cur);
		if (!err)
			err = eacct_throttled_cpu_max(cur, e->pct, cgroup_cpus(fd), want,
						      sizeof(want));
		if (!err)
			err = eacct_file_write(fd, "cpu.max", want);
		if (!err)
			snprintf(e->state, sizeof(e->state), "throttled: cpu.max %s (was %s)", want,
				 e->saved_cpu_max);
	} else {
		err = eacct_file_write(fd, "cgroup.freeze", "1");
		if (!err)
			snprintf(e->state, sizeof(e->state), "frozen");
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		snprintf(e->state, sizeof(e->state), "FAILED: %s%s", strerror(-err),
			 e->action == EACCT_DO_THROTTLE && err == -ENOENT && fd >= 0 ?
			 " (no cpu.max: enable the cpu controller in the parent's cgroup.subtree_control)" : "");
		f->log("budget exceeded: %s: %s failed: %s", e->path, action, e->state);
		return;
	}
	f->log("budget exceeded: %s (%s): %s", e->path, used(c, what, sizeof(what)), e->state);
}

/* Take @e's action back; false if it could not be (kept, tried again). */
static bool undo(struct enforcer *f, struct enforced *e, const char *why)
{
	const char *file = NULL, *val = NULL;
	char action[32];
	uint64_t now = 0;
	int fd, err = 0;

	action_name(e, action, sizeof(action));
	if (f->apply && e->action == EACCT_DO_THROTTLE && e->saved_cpu_max[0] &&
	    !strncmp(e->state, "throttled", 9)) {
		file = "cpu.max";
		val = e->saved_cpu_max;
	} else if (f->apply && e->action == EACCT_DO_FREEZE && !strcmp(e->state, "frozen")) {
		file = "cgroup.freeze";
		val = "0";
	}
	if (file) {
		fd = open_cg(f, e->path, e->id, &now);
		if (fd == -ESTALE) {
			/* Dropped: the old cgroup took its limit or its freeze with it. */
			f->log("budget %s: %s: cgroup %" PRIu64 " replaced by %" PRIu64 ": %s",
			       why, e->path, e->id, now, e->action == EACCT_DO_THROTTLE ?
			       "cpu.max not restored" : "not thawed");
			return true;
		}
		err = fd < 0 ? fd : eacct_file_write(fd, file, val);
		if (fd >= 0)
			close(fd);
	}
	if (err == -ENOENT || err == -ENODEV)
		err = 0;	/* the cgroup is gone: nothing to undo */
	if (err) {
		f->log("budget %s: %s: undoing %s failed: %s", why, e->path, action, strerror(-err));
		return false;
	}
	f->log("budget %s: %s: %s", why, e->path,
	       e->action == EACCT_DO_THROTTLE ? "cpu.max restored" :
	       e->action == EACCT_DO_FREEZE ? "thawed" : "notified");
	return true;
}

static const struct eacct_cg_stat *over(const struct eacct_tree *t, uint64_t id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->cgs[i].id == id)
			return &t->cgs[i];
	return NULL;
}

void enforcer_run(struct enforcer *f)
{
	const struct eacct_cg_stat *c;
	struct eacct_tree t;
	struct enforced *e;
	enum eacct_action a;
	unsigned int pct;
	bool changed = false;
	size_t i, k;

	if (eacct_tree_read_budgets(f->sysfs, &t))
		return;		/* no module, or none with budgets/ yet */
	/* Done with or changed: undo first. */
	for (k = 0; k < f->n;) {
		e = &f->e[k];
		c = over(&t, e->id);
		if (c && c->exceeded && !c->removed && eacct_action_parse(c->action, &a, &pct) &&
		    a == e->action && pct == e->pct) {
			k++;
			continue;
		}
		if (!undo(f, e, !c || c->removed ? "gone or cleared" :
			  !c->exceeded ? "no longer exceeded" : "action changed")) {
			k++;
			continue;
		}
		f->e[k] = f->e[--f->n];
		changed = true;
	}
	/* Newly over budget (also while eacctd was down). */
	for (i = 0; i < t.n; i++) {
		c = &t.cgs[i];
		if (!c->exceeded || c->removed || !eacct_action_parse(c->action, &a, &pct))
			continue;
		for (k = 0; k < f->n && f->e[k].id != c->id; k++)
			;
		if (k < f->n)
			continue;
		e = add(f);
		if (!e)
			break;
		e->id = c->id;
		snprintf(e->path, sizeof(e->path), "%s", c->path);
		e->action = a;
		e->pct = pct;
		apply(f, e, c);
		changed = true;
	}
	eacct_tree_free(&t);
	if (changed)
		save(f);
}

void enforcer_free(struct enforcer *f)
{
	free(f->e);
	f->e = NULL;
	f->n = f->cap = 0;
}
