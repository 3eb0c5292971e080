# SPDX-License-Identifier: GPL-2.0
# eacct: per-cgroup energy and carbon accounting.
#
#   make            module, BPF objects and userspace
#   make check      every test; ends with "N passed, N failed"
#   make demo       boots a Debian kernel in QEMU with the module, shows it
#   make bench      benchmarks into bench-results.json
#   make install    module, tools and headers onto this host

KVER_RUNNING := $(shell uname -r)
# The running kernel's build dir if present, else the newest Debian headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER_RUNNING)/build) \
	$(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V)))
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

B := build
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
USER_CFLAGS := $(CFLAGS) $(WARN) -Iinclude/uapi -Iuserspace -Iuserspace/eacctd -Ibpf -I$(B)/bpf
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# The library of pure functions, one archive (and one under ASan): a
# program pulls in only what it uses, json-c with the JSON readers alone.
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_HDRS := $(wildcard userspace/lib/*.h) include/uapi/linux/eacct.h
LIB_OBJS := $(patsubst userspace/lib/%.c,$(B)/lib/%.o,$(LIB_SRCS)) $(B)/lib/regions.o
ASAN_LIB_OBJS := $(patsubst $(B)/lib/%,$(B)/asan/lib/%,$(LIB_OBJS))
LIB := $(B)/libeacct.a
ASAN_LIB := $(B)/asan/libeacct.a
LIB_LDLIBS := -ljson-c
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.skel.h,$(BPF_SRCS))
TOOLS := $(B)/bin/eacct-write $(B)/bin/eacctd $(B)/bin/eacct
UNIT_DEFS := -DTEST_DATA='"$(CURDIR)/tests/data"'
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

.PHONY: all module bpf userspace check demo bench install clean deps \
	unit unit-asan gates vm-test host-bpf-test vm-binaries

all: module bpf userspace

deps:
	@scripts/install-deps.sh

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: apt-get install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# --- BPF: CO-RE objects and libbpf skeletons --------------------------------
$(B)/bpf/vmlinux.h: | $(B)/bpf
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/bpf/vmlinux.h $(wildcard bpf/*.h)
	$(CLANG) -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -g -O2 -Wall -Werror \
		-I$(B)/bpf -Ibpf -c $< -o $@

$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

bpf: $(BPF_OBJS) $(BPF_SKELS)

# --- userspace ----------------------------------------------------------------
$(B)/gen/regions.c: data/grid-intensity-by-country.csv scripts/gen-regions.sh | $(B)/gen
	scripts/gen-regions.sh $< > $@.tmp && mv $@.tmp $@
$(B)/lib/%.o: userspace/lib/%.c $(LIB_HDRS) | $(B)/lib
	$(CC) $(USER_CFLAGS) -c -o $@ $<
$(B)/lib/regions.o: $(B)/gen/regions.c $(LIB_HDRS) | $(B)/lib
	$(CC) $(USER_CFLAGS) -c -o $@ $<
$(B)/asan/lib/%.o: userspace/lib/%.c $(LIB_HDRS) | $(B)/asan/lib
	$(CC) $(SAN_FLAGS) $(WARN) -Iinclude/uapi -Iuserspace -Ibpf -c -o $@ $<
$(B)/asan/lib/regions.o: $(B)/gen/regions.c $(LIB_HDRS) | $(B)/asan/lib
	$(CC) $(SAN_FLAGS) $(WARN) -Iinclude/uapi -Iuserspace -Ibpf -c -o $@ $<
$(LIB): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
$(ASAN_LIB): $(ASAN_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/eacct-write: userspace/eacct-write.c $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS)

$(B)/bin/cgroup-events-test: tests/host/cgroup_events_test.c $(B)/bpf/cgroup_events.skel.h \
		$(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz

$(B)/bin/cpu-account-test: tests/host/cpu_account_test.c userspace/eacctd/bpf_cpu.c userspace/eacctd/bpf_cpu.h userspace/eacctd/pins.c \
		$(B)/bpf/cpu_account.skel.h $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< userspace/eacctd/bpf_cpu.c userspace/eacctd/pins.c $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz

$(B)/bin/pins-test: tests/host/pins_test.c userspace/eacctd/bpf_cpu.c userspace/eacctd/bpf_cpu.h \
		userspace/eacctd/pins.c $(B)/bpf/cpu_account.skel.h $(B)/bpf/bench_empty.skel.h \
		$(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< userspace/eacctd/bpf_cpu.c userspace/eacctd/pins.c $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz

$(B)/bin/sched-bench: tests/host/sched_bench.c userspace/eacctd/bpf_cpu.c userspace/eacctd/bpf_cpu.h userspace/eacctd/pins.c \
		$(B)/bpf/cpu_account.skel.h $(B)/bpf/bench_empty.skel.h $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< userspace/eacctd/bpf_cpu.c userspace/eacctd/pins.c $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz

# eacctd: the files of userspace/eacctd/ beside the library's.
EACCTD_SRCS := $(wildcard userspace/eacctd/*.c)
EACCTD_DEPS := $(EACCTD_SRCS) $(wildcard userspace/eacctd/*.h) \
	$(B)/bpf/cpu_account.skel.h $(B)/bpf/gpu_account.skel.h \
	$(B)/bpf/gpu_sched.skel.h \
	$(LIB)
$(B)/bin/eacctd: $(EACCTD_DEPS) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $(EACCTD_SRCS) $(LIB) $(LIB_LDLIBS) -lcurl -lmicrohttpd -lpthread -lbpf -lelf -lz

EACCT_SRCS := $(wildcard userspace/eacct/*.c)
$(B)/bin/eacct: $(EACCT_SRCS) userspace/eacct/cli.h $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $(EACCT_SRCS) $(LIB) $(LIB_LDLIBS)

$(B)/bin/ioctl-bench: tests/host/ioctl_bench.c tests/host/bpf_stats.h \
		$(B)/bpf/gpu_account.skel.h $(B)/bpf/bench_empty.skel.h | $(B)/bin
	$(CC) $(USER_CFLAGS) -Itests/host -o $@ $< -lbpf -lelf -lz

$(B)/bin/gpu-reader-bench: tests/host/gpu_reader_bench.c $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS)

$(B)/bin/eacctd-bench: tests/host/eacctd_bench.c $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS)

userspace: $(TOOLS)

# Static binaries for the busybox initramfs of the VM tests.
VMBIN ?= $(B)/vm/bin
vm-binaries: $(VMBIN)/abitest $(VMBIN)/bench $(VMBIN)/eacct-write \
	$(VMBIN)/cgroup-events-test $(VMBIN)/cpu-account-test $(VMBIN)/eacctd \
	$(VMBIN)/vgem-client $(VMBIN)/mockgpu-client $(VMBIN)/eacct \
	$(VMBIN)/hostile $(VMBIN)/fuzz $(VMBIN)/nsrun
$(VMBIN)/eacct: $(EACCT_SRCS) userspace/eacct/cli.h $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $(EACCT_SRCS) $(LIB) $(LIB_LDLIBS)
$(VMBIN)/vgem-client: tests/vm/vgem_client.c
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $<
$(VMBIN)/mockgpu-client: tests/vm/mockgpu_client.c tests/vm/mockgpu/mockgpu_drm.h
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -Itests/vm -static -o $@ $<
VMTEST := tests/vm/vmtest.c tests/vm/vmtest.h
$(VMBIN)/abitest: tests/vm/abitest.c $(VMTEST) $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< tests/vm/vmtest.c $(LIB) $(LIB_LDLIBS)
$(VMBIN)/hostile: tests/vm/hostile.c $(VMTEST) $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< tests/vm/vmtest.c $(LIB) $(LIB_LDLIBS) -lpthread
$(VMBIN)/fuzz: tests/vm/fuzz.c $(VMTEST) $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< tests/vm/vmtest.c $(LIB) $(LIB_LDLIBS)
$(VMBIN)/nsrun: tests/vm/nsrun.c
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $<
$(VMBIN)/bench: tests/vm/bench.c $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< $(LIB) $(LIB_LDLIBS)
$(VMBIN)/eacct-write: userspace/eacct-write.c $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< $(LIB) $(LIB_LDLIBS)
$(VMBIN)/cpu-account-test: tests/host/cpu_account_test.c userspace/eacctd/bpf_cpu.c userspace/eacctd/bpf_cpu.h userspace/eacctd/pins.c \
		$(B)/bpf/cpu_account.skel.h $(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< userspace/eacctd/bpf_cpu.c userspace/eacctd/pins.c $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz
$(VMBIN)/eacctd: $(EACCTD_DEPS)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -DEACCT_NO_HTTP -static -o $@ $(EACCTD_SRCS) $(LIB) $(LIB_LDLIBS) -lpthread -lbpf -lelf -lz
$(VMBIN)/cgroup-events-test: tests/host/cgroup_events_test.c $(B)/bpf/cgroup_events.skel.h \
		$(LIB)
	@mkdir -p $(VMBIN)
	$(CC) $(USER_CFLAGS) -static -o $@ $< $(LIB) $(LIB_LDLIBS) -lbpf -lelf -lz

# --- tests ----------------------------------------------------------------------
# eacctd's pure parts, unit-tested beside the library.
EACCTD_PURE := userspace/eacctd/account.c
$(B)/tests/%: tests/unit/%.c $(LIB) $(EACCTD_PURE) userspace/eacctd/account.h | $(B)/tests
	$(CC) $(USER_CFLAGS) $(UNIT_DEFS) -o $@ $< $(EACCTD_PURE) $(LIB) $(LIB_LDLIBS) -lcmocka
$(B)/tests/asan/%: tests/unit/%.c $(ASAN_LIB) $(EACCTD_PURE) userspace/eacctd/account.h | $(B)/tests/asan
	$(CC) $(SAN_FLAGS) $(WARN) $(UNIT_DEFS) -Iinclude/uapi -Iuserspace -Iuserspace/eacctd -Ibpf -o $@ $< $(EACCTD_PURE) $(ASAN_LIB) $(LIB_LDLIBS) -lcmocka

# The NVML test library, loaded by test_nvml through the real dlopen path.
$(B)/tests/libnvidia-ml.so.1: tests/nvml/fake_nvml.c | $(B)/tests
	$(CC) $(CFLAGS) $(WARN) -shared -fPIC -Wl,-soname,libnvidia-ml.so.1 -o $@ $<
$(B)/tests/test_nvml $(B)/tests/asan/test_nvml: $(B)/tests/libnvidia-ml.so.1

unit: $(addprefix $(B)/tests/,$(UNIT_TESTS))
	@for t in $^; do $$t || exit 1; done
unit-asan: $(addprefix $(B)/tests/asan/,$(UNIT_TESTS))
	@for t in $^; do $$t || exit 1; done

$(B)/bin/eacctd-nvml-test: tests/host/eacctd_nvml_test.c $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS)

$(B)/bin/eacctd-intensity-test: tests/host/eacctd_intensity_test.c $(LIB) | $(B)/bin
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(LIB_LDLIBS) -lpthread

host-bpf-test: $(B)/bin/cgroup-events-test $(B)/bin/cpu-account-test $(B)/bin/eacct $(B)/bin/pins-test \
		$(B)/bin/eacctd $(B)/bin/eacctd-nvml-test $(B)/tests/libnvidia-ml.so.1 \
		$(B)/bin/eacctd-intensity-test
	tests/host/eacct_meters_test.sh $(B)/bin/eacct $(B)/tests/libnvidia-ml.so.1
	tests/host/eacct_cli_test.sh $(B)/bin/eacct
	$(B)/bin/eacctd-nvml-test $(B)/bin/eacctd $(CURDIR)/$(B)/tests/libnvidia-ml.so.1
	$(B)/bin/eacctd-intensity-test $(B)/bin/eacctd
	tests/host/eacctd_metrics_test.sh $(B)/bin/eacctd
	tests/host/eacctd_daemon_test.sh $(B)/bin/eacctd
	$(B)/bin/cgroup-events-test
	$(B)/bin/cpu-account-test
	$(B)/bin/cpu-account-test --two-packages
	$(B)/bin/pins-test

gates:
	tests/gates.sh "$(KDIR)"

vm-test: vm-binaries
	tests/vm/run.sh $(VM_KVERS)

check:
	@tests/run-all.sh

demo:
	@scripts/install-deps.sh
	@tests/vm/run.sh --mode demo $(DEMO_KVER)

bench:
	@scripts/install-deps.sh
	@tests/bench.sh

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	depmod -a -b "$(or $(DESTDIR),/)" "$$($(MAKE) -s -C $(KDIR) kernelrelease)"
	install -D -m 0755 $(B)/bin/eacct-write $(DESTDIR)/usr/local/sbin/eacct-write
	install -D -m 0755 $(B)/bin/eacctd $(DESTDIR)/usr/local/sbin/eacctd
	install -D -m 0755 $(B)/bin/eacct $(DESTDIR)/usr/local/sbin/eacct
	install -D -m 0644 packaging/eacctd.service $(DESTDIR)/etc/systemd/system/eacctd.service
	test -e $(DESTDIR)/etc/eacct/eacctd.conf || \
		install -D -m 0644 packaging/eacctd.conf $(DESTDIR)/etc/eacct/eacctd.conf
	install -D -m 0644 include/uapi/linux/eacct.h $(DESTDIR)/usr/local/include/linux/eacct.h
	install -D -m 0644 Documentation/man/eacct.8 $(DESTDIR)/usr/local/share/man/man8/eacct.8
	install -D -m 0644 Documentation/man/eacctd.8 $(DESTDIR)/usr/local/share/man/man8/eacctd.8
	install -D -m 0644 Documentation/man/eacctd.conf.5 $(DESTDIR)/usr/local/share/man/man5/eacctd.conf.5
	install -D -m 0644 packaging/bash-completion/eacct \
		$(DESTDIR)/usr/local/share/bash-completion/completions/eacct

$(B)/bpf $(B)/bin $(B)/tests $(B)/tests/asan $(B)/gen $(B)/lib $(B)/asan/lib:
	mkdir -p $@

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B) bench-results.json
