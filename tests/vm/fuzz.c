// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: batches for /dev/eacct, random and mutated, while a tenant
 * churns cgroups beside it (guest-hostile.sh runs one as uid 65534 in
 * /sys/fs/cgroup/tenant).
 *
 *   fuzz [CASES [SEED]]
 *
 * Each case is random bytes, or a valid batch over a pool of cgroup ids
 * (stable ones, the tenant's live and removed ones, the root, ids that
 * name files or nothing, idle records) with zero to three mutations
 * (bytes, counts, sizes, sequence, flags, length, sums that wrap).
 * After each write:
 *  - the errno is one the ABI documents;
 *  - refused: the sequence, batches_applied and the root's counters are
 *    as they were;
 *  - accepted: the root's counters moved by exactly the batch's sums, as
 *    this program parses the bytes it wrote, and stats/records_unresolved
 *    by at least the records whose ids name no cgroup and at most those
 *    plus the tenant's (a tenant cgroup may be gone before the batch);
 * and every 256 cases and at the end, the domains' and the stable
 * cgroups' counters equal the model's (the tenant's: within what its
 * churned cgroups may have sent to the root instead), budget_exceeded
 * agrees with carbon_ug and the budget. Prints TAP and the number of
 * cases run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"

#define FZ CG_ROOT "/fz"
#define TENANT CG_ROOT "/tenant"
#define NR_STABLE 5		/* fz, fz/a, fz/a/b, fz/c, tenant */
#define POOL 256
#define BUF_MAX (1 << 20)

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static const char *const stable_path[NR_STABLE] = {
	FZ, FZ "/a", FZ "/a/b", FZ "/c", TENANT,
};
static const char *const stable_mirror[NR_STABLE] = {
	SYS "/cgroups/fz", SYS "/cgroups/fz/a", SYS "/cgroups/fz/a/b",
	SYS "/cgroups/fz/c", SYS "/cgroups/tenant",
};
/* Each stable cgroup's parent among them, -1 for a child of the root. */
static const int stable_parent[NR_STABLE] = { -1, 0, 1, 0, -1 };

struct counters {
	uint64_t energy[EACCT_NR_CLASSES];
	uint64_t carbon;
};

static uint64_t stable_id[NR_STABLE];
static struct counters stable[NR_STABLE], root;
/* Charged to a churned tenant cgroup: in the tenant, or the root if it was gone. */
static struct counters tenant_maybe;
/* This batch's records: naming no cgroup at all, and naming a churned one. */
static uint64_t batch_unknown, batch_churned;

#define NR_DOMAINS 7
static const uint32_t domains[NR_DOMAINS] = {
	EACCT_DOMAIN(EACCT_CLASS_CPU, 0), EACCT_DOMAIN(EACCT_CLASS_CPU, 1),
	EACCT_DOMAIN(EACCT_CLASS_DRAM, 0), EACCT_DOMAIN(EACCT_CLASS_DRAM, 1),
	EACCT_DOMAIN(EACCT_CLASS_GPU, 0), EACCT_DOMAIN(EACCT_CLASS_GPU, 1),
	EACCT_DOMAIN(EACCT_CLASS_GPU, 255),
};
static uint64_t dom_energy[NR_DOMAINS], dom_idle[NR_DOMAINS], dom_carbon[NR_DOMAINS];

/* The tenant's cgroup ids seen so far, live or gone: all under TENANT. */
static uint64_t tenant_ids[POOL];
static int nr_tenant;
static uint64_t file_id;	/* an inode of cgroupfs that is a file */

static const int documented[] = {
	EINVAL, EBADMSG, EPROTONOSUPPORT, EMSGSIZE, EDOM, ERANGE, EALREADY,
	ENOMEM, EOVERFLOW, E2BIG,
};

static int dom_index(uint32_t domain)
{
	int i;

	for (i = 0; i < NR_DOMAINS; i++)
		if (domains[i] == domain)
			return i;
	return -1;
}

static void scan_tenant(const char *dir)
{
	char sub[1024];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (stat(sub, &st))
			continue;
		tenant_ids[nr_tenant++ % POOL] = st.st_ino;
		if (nr_tenant > 4 * POOL)
			nr_tenant = POOL;
		scan_tenant(sub);
	}
	closedir(d);
}

#define CHURNED (-2)

/*
 * Where a record for @id lands among the stable cgroups: its index, -1
 * none (the root), CHURNED for a cgroup the tenant makes and removes.
 */
static int stable_of(uint64_t id)
{
	int i;

	for (i = 0; i < NR_STABLE; i++)
		if (stable_id[i] == id)
			return i;
	for (i = 0; i < POOL && i < nr_tenant; i++)
		if (tenant_ids[i] == id)
			return CHURNED;
	return -1;
}

/* An id no cgroup can have: a file's, or one far past any inode number. */
static bool names_nothing(uint64_t id)
{
	return id == file_id || id >= (1ULL << 48);
}

static uint64_t pick_id(void)
{
	switch (below(40)) {
	case 0:
		return file_id;
	case 1:
		return (1ULL << 50) + below(1000);	/* no such cgroup */
	case 2:
		return rnd();
	case 3: case 4:
		return cg_id(CG_ROOT);
	case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12:
		return nr_tenant ? tenant_ids[below(nr_tenant < POOL ? nr_tenant : POOL)] :
				   stable_id[4];
	default:
		return stable_id[below(NR_STABLE)];
	}
}

static uint64_t pick_delta(void)
{
	/* Rarely the largest: 100,000 cases of them would wrap the root. */
	switch (below(256)) {
	case 0: return EACCT_MAX_DELTA;
	case 1: case 2: return EACCT_MAX_DELTA + 1;
	case 3: case 4: return rnd();
	case 5: case 6: case 7: case 8: return 0;
	default: return below(1000000);
	}
}

static uint32_t pick_domain(void)
{
	if (!below(100))
		return (uint32_t)rnd();
	return domains[below(NR_DOMAINS)];
}

/* A batch over the pool, encoded, in @buf; its length. */
static size_t make_batch(char *buf, uint64_t seq)
{
	struct eacct_batch b;
	int i, n = below(9), p = below(4);
	size_t len;
	void *enc;

	eacct_batch_init(&b, seq);
	if (!below(200)) {
		/* Many records at the largest delta: their sum wraps. */
		uint64_t id = stable_id[below(NR_STABLE)];

		for (i = 0; i < 18500; i++)
			eacct_batch_add_cgroup(&b, id, domains[0], 0, EACCT_MAX_DELTA);
	}
	for (i = 0; i < n; i++) {
		if (!below(6))
			eacct_batch_add_idle(&b, pick_domain(), pick_delta(), pick_delta());
		else
			eacct_batch_add_cgroup(&b, pick_id(), pick_domain(), pick_delta(),
					       pick_delta());
	}
	for (i = 0; i < p; i++)
		eacct_batch_add_process(&b, below(3) ? (uint32_t)getpid() : (uint32_t)below(70000),
					pick_id(), pick_domain(), pick_delta(), pick_delta(),
					below(2) ? "fuzz" : "");
	enc = eacct_batch_encode(&b, &len);
	eacct_batch_free(&b);
	if (!enc || len > BUF_MAX) {
		free(enc);
		return 0;
	}
	memcpy(buf, enc, len);
	free(enc);
	return len;
}

static void mutate(char *buf, size_t *len, uint64_t last)
{
	struct eacct_batch_header *h = (void *)buf;
	size_t k;

	if (*len < sizeof(*h))
		return;
	switch (below(14)) {
	case 0: case 1: case 2:
		k = below(*len);
		/*
		 * A flip in a cgroup record's id could name a cgroup the
		 * model cannot place (one the tenant made and removed between
		 * two scans): flip the top byte there, an id no cgroup has.
		 */
		if (k >= sizeof(*h) && k < sizeof(*h) + 32ULL * h->nr_cgroup_records &&
		    (k - sizeof(*h)) % 32 < 8)
			k = k - (k - sizeof(*h)) % 32 + 7;
		buf[k] ^= (char)(1 << below(8));
		break;
	case 3:
		h->nr_cgroup_records = below(3) ? h->nr_cgroup_records + below(3) - 1 : (uint32_t)rnd();
		break;
	case 4:
		h->nr_process_records = below(3) ? h->nr_process_records + 1 : (uint32_t)rnd();
		break;
	case 5: {
		static const uint16_t sizes[] = { 0, 8, 24, 32, 36, 40, 64, 512, 520, 65535 };

		h->header_size = sizes[below(10)];
		break;
	}
	case 6: {
		static const uint16_t sizes[] = { 0, 16, 24, 32, 40, 48, 52, 56, 520 };

		if (below(2))
			h->cgroup_record_size = sizes[below(9)];
		else
			h->process_record_size = sizes[below(9)];
		break;
	}
	case 7: {
		const uint64_t seqs[] = { 0, last, last + 1, last + EACCT_MAX_SEQ_STEP,
					  last + EACCT_MAX_SEQ_STEP + 1, UINT64_MAX, rnd() };

		h->seq = seqs[below(7)];
		break;
	}
	case 8:
		h->flags = (uint32_t)rnd();
		break;
	case 9:
		*len = below(*len + 1);
		break;
	case 10:
		k = below(64) + 1;
		if (*len + k <= BUF_MAX) {
			memset(buf + *len, below(2) ? 0 : (int)rnd(), k);
			*len += k;
		}
		break;
	case 11:
		h->magic ^= 1U << below(32);
		break;
	case 12:
		h->version = (uint16_t)below(4);
		break;
	default:
		/* A record's flags, or an idle record's id. */
		if (*len >= sizeof(*h) + 32)
			buf[sizeof(*h) + 12 + 32 * below((*len - sizeof(*h)) / 32)] = (char)below(4);
		break;
	}
}

/*
 * The records of an accepted batch, as written: added to the model.
 * Layout per the ABI: header_size, record sizes (0: the first).
 */
static void model_apply(const char *buf)
{
	const struct eacct_batch_header *h = (const void *)buf;
	size_t cs = h->cgroup_record_size ? h->cgroup_record_size : EACCT_CGROUP_RECORD_SIZE_VER0;
	const char *p = buf + h->header_size;
	struct eacct_cgroup_record r;
	uint32_t i, class;
	int s, d;

	for (i = 0; i < h->nr_cgroup_records; i++, p += cs) {
		memcpy(&r, p, sizeof(r));
		class = EACCT_DOMAIN_CLASS(r.domain);
		d = dom_index(r.domain);
		if (d >= 0) {
			dom_energy[d] += r.energy_uj;
			dom_carbon[d] += r.carbon_ug;
			if (r.flags & EACCT_RECORD_IDLE)
				dom_idle[d] += r.energy_uj;
		}
		if (r.flags & EACCT_RECORD_IDLE)
			continue;
		root.energy[class] += r.energy_uj;
		root.carbon += r.carbon_ug;
		s = stable_of(r.cgroup_id);
		if (s == CHURNED) {
			tenant_maybe.energy[class] += r.energy_uj;
			tenant_maybe.carbon += r.carbon_ug;
			batch_churned++;
			continue;
		}
		batch_unknown += names_nothing(r.cgroup_id);
		for (; s >= 0; s = stable_parent[s]) {
			stable[s].energy[class] += r.energy_uj;
			stable[s].carbon += r.carbon_ug;
		}
	}
}

static void read_counters(const char *mirror, struct counters *c)
{
	c->energy[EACCT_CLASS_CPU] = rd("%s/cpu_energy_uj", mirror);
	c->energy[EACCT_CLASS_DRAM] = rd("%s/dram_energy_uj", mirror);
	c->energy[EACCT_CLASS_GPU] = rd("%s/gpu_energy_uj", mirror);
	c->carbon = rd("%s/carbon_ug", mirror);
}

static bool counters_eq(const struct counters *a, const struct counters *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* @got between @want and @want + @maybe, each counter. */
static bool within(const struct counters *got, const struct counters *want,
		   const struct counters *maybe)
{
	int k;

	for (k = 0; k < EACCT_NR_CLASSES; k++)
		if (got->energy[k] < want->energy[k] ||
		    got->energy[k] - want->energy[k] > maybe->energy[k])
			return false;
	return got->carbon >= want->carbon && got->carbon - want->carbon <= maybe->carbon;
}

static char domain_dir[NR_DOMAINS][64];

/* Domains and stable cgroups against the model; false on a mismatch. */
static bool full_check(uint64_t budget, long *budget_bad)
{
	struct counters c;
	bool ok = true;
	int i;

	for (i = 0; i < NR_DOMAINS; i++) {
		uint64_t e = rd("%s/energy_uj", domain_dir[i]);

		if (e == UINT64_MAX && !dom_energy[i] && !dom_carbon[i])
			continue;	/* never charged: no directory */
		if (e != dom_energy[i] || rd("%s/idle_uj", domain_dir[i]) != dom_idle[i] ||
		    rd("%s/carbon_ug", domain_dir[i]) != dom_carbon[i]) {
			diag("fuzz: %s differs from the model", domain_dir[i]);
			ok = false;
		}
	}
	for (i = 0; i < NR_STABLE; i++) {
		read_counters(stable_mirror[i], &c);
		if (i == NR_STABLE - 1 && within(&c, &stable[i], &tenant_maybe)) {
			stable[i] = c;	/* what of the maybe landed here */
			memset(&tenant_maybe, 0, sizeof(tenant_maybe));
			continue;
		}
		if (!counters_eq(&c, &stable[i])) {
			diag("fuzz: %s differs from the model: cpu %" PRIu64 "/%" PRIu64
			     " dram %" PRIu64 "/%" PRIu64 " gpu %" PRIu64 "/%" PRIu64
			     " carbon %" PRIu64 "/%" PRIu64, stable_mirror[i],
			     c.energy[0], stable[i].energy[0], c.energy[1], stable[i].energy[1],
			     c.energy[2], stable[i].energy[2], c.carbon, stable[i].carbon);
			stable[i] = c;	/* one mistake is reported once */
			ok = false;
		}
	}
	if (rd(SYS "/cgroups/fz/a/budget_exceeded") != (stable[1].carbon > budget))
		(*budget_bad)++;
	return ok;
}

int main(int argc, char **argv)
{
	long cases = argc > 1 ? atol(argv[1]) : 100000, n, accepted = 0, refused = 0;
	long bad_errno = 0, changed = 0, wrong_sum = 0, model_bad = 0, budget_bad = 0;
	long unres_bad = 0;
	uint64_t unresolved, unres;
	long by_errno[256] = { 0 };
	uint64_t seq, applied, budget;
	struct counters before, after;
	char *buf = malloc(BUF_MAX + 64);
	size_t len;
	struct stat st;
	int i, err, known, fd;
	time_t t0 = time(NULL);

	rng = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)t0 * 2654435761ULL + getpid();
	if (!rng)
		rng = 1;
	diag("fuzz: seed %" PRIu64 ", %ld cases", rng, cases);
	for (i = 0; i < NR_STABLE; i++) {
		mkcg(stable_path[i]);
		stable_id[i] = cg_id(stable_path[i]);
		charge(stable_id[i], domains[0], 0, 0);
		read_counters(stable_mirror[i], &stable[i]);
	}
	read_counters(SYS "/cgroups", &root);
	for (i = 0; i < NR_DOMAINS; i++) {
		char name[32];

		eacct_domain_format(domains[i], name, sizeof(name));
		snprintf(domain_dir[i], sizeof(domain_dir[i]), SYS "/domains/%s", name);
		dom_energy[i] = rd("%s/energy_uj", domain_dir[i]);
		dom_idle[i] = rd("%s/idle_uj", domain_dir[i]);
		dom_carbon[i] = rd("%s/carbon_ug", domain_dir[i]);
		if (dom_energy[i] == UINT64_MAX)
			dom_energy[i] = dom_idle[i] = dom_carbon[i] = 0;
	}
	budget = stable[1].carbon + 50000000;
	{
		char v[32];

		snprintf(v, sizeof(v), "%" PRIu64, budget);
		write_str(SYS "/cgroups/fz/a/budget_ug", v);
	}
	if (!stat(FZ "/cgroup.procs", &st))
		file_id = st.st_ino;
	fd = open(DEV, O_WRONLY);
	unresolved = rd(SYS "/stats/records_unresolved");

	for (n = 0; n < cases; n++) {
		if (!(n % 64))
			scan_tenant(TENANT);
		seq = rd(SYS "/seq");
		applied = rd(SYS "/stats/batches_applied");
		read_counters(SYS "/cgroups", &before);
		if (!below(10)) {
			len = below(512);
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rnd();
			if (len >= 4 && below(2))
				memcpy(buf, "EACT", 4);
		} else {
			len = make_batch(buf, seq + 1);
			/* Half of them as made, the others with up to three mutations. */
			for (i = below(2) ? 0 : 1 + below(3); i > 0; i--)
				mutate(buf, &len, seq);
		}
		err = write(fd, buf, len) == (ssize_t)len ? 0 : errno;
		read_counters(SYS "/cgroups", &after);
		if (err) {
			refused++;
			by_errno[err & 255]++;
			known = 0;
			for (i = 0; i < (int)(sizeof(documented) / sizeof(documented[0])); i++)
				known |= documented[i] == err;
			if (!known && bad_errno++ < 5)
				diag("fuzz: case %ld: undocumented errno %d (%s)", n, err, strerror(err));
			if ((rd(SYS "/seq") != seq || rd(SYS "/stats/batches_applied") != applied ||
			     !counters_eq(&before, &after)) && changed++ < 5)
				diag("fuzz: case %ld: refused (%s) but something changed", n, strerror(err));
		} else {
			accepted++;
			batch_unknown = batch_churned = 0;
			model_apply(buf);
			if (!counters_eq(&after, &root) && wrong_sum++ < 5)
				diag("fuzz: case %ld: the root's counters are not the model's", n);
			root = after;	/* one mistake is reported once */
			unres = rd(SYS "/stats/records_unresolved");
			if ((unres - unresolved < batch_unknown ||
			     unres - unresolved > batch_unknown + batch_churned) && unres_bad++ < 5)
				diag("fuzz: case %ld: records_unresolved moved by %" PRIu64
				     ", expected %" PRIu64 " to %" PRIu64, n, unres - unresolved,
				     batch_unknown, batch_unknown + batch_churned);
			unresolved = unres;
		}
		if (!(n % 256) && !full_check(budget, &budget_bad))
			model_bad++;
	}
	close(fd);
	if (!full_check(budget, &budget_bad))
		model_bad++;
	write_str(SYS "/cgroups/fz/a/budget_ug", "0");
	for (i = NR_STABLE - 2; i >= 0; i--)
		rmdir(stable_path[i]);

	printf("# fuzz: cases %ld run in %lds: %ld accepted, %ld refused (", n,
	       (long)(time(NULL) - t0), accepted, refused);
	for (i = 1; i < 256; i++)
		if (by_errno[i])
			printf(" %s %ld", strerrorname_np(i) ? strerrorname_np(i) : "?", by_errno[i]);
	printf(" )\n");
	tap(n == cases && accepted > cases / 20 && refused > cases / 4,
	    "fuzz: %ld cases, both accepted (%ld) and refused (%ld) ones", n, accepted, refused);
	tap(!bad_errno, "fuzz: every refusal has an errno the ABI documents (%ld others)", bad_errno);
	tap(!changed, "fuzz: after every refused batch nothing changed (%ld did)", changed);
	tap(!wrong_sum, "fuzz: after every accepted batch the root's counters moved by its sums exactly (%ld did not)",
	    wrong_sum);
	tap(!model_bad, "fuzz: domains and stable cgroups equal the model at every check (%ld did not)",
	    model_bad);
	tap(!budget_bad, "fuzz: budget_exceeded agreed with carbon_ug and the budget (%ld did not)",
	    budget_bad);
	tap(!unres_bad, "fuzz: records_unresolved counted every record naming no cgroup, and no other (%ld cases did not)",
	    unres_bad);
	return failures ? 1 : 0;
}
