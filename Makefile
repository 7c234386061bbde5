# slotnet: one static, musl-linked, multi-call binary with its BPF object
# embedded as a libbpf skeleton.  `make` builds build/slotnet; `make check`
# runs every test suite and ends with one "N passed, N failed" line.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/slotnet
DESTDIR ?=

BUILD := build
VENDOR := $(BUILD)/vendor
CC := musl-gcc
CLANG ?= clang
BPFTOOL ?= bpftool

# libbpf's newer uapi headers (include) must come before the system's (kinc).
INCLUDES := -isystem $(VENDOR)/include -isystem $(VENDOR)/kinc -Ibpf -I$(BUILD)
# CFLAGS and LDFLAGS are the user's (optimisation, debugging); what the build
# needs is always added after them, so `make CFLAGS=-O0` still builds.
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Werror
SN_CFLAGS = $(CFLAGS) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE $(INCLUDES)
SN_LDFLAGS = $(LDFLAGS) -static
LDLIBS := -L$(VENDOR)/lib -lbpf -lelf -lz

BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror $(INCLUDES)

SUBCOMMANDS := prewarm bind unbind dump check rules teardown
SRCS := $(wildcard cmd/*.c)
OBJS := $(SRCS:cmd/%.c=$(BUILD)/%.o)
BPF_HDRS := $(wildcard bpf/*.h)
MANPAGES := $(wildcard man/*.8)

.PHONY: all vendor check check-kernel unit bats lint install clean
all: $(BUILD)/slotnet

$(VENDOR)/.stamp: vendor/MANIFEST vendor/build.sh
	bash vendor/build.sh $(VENDOR)

vendor: $(VENDOR)/.stamp

$(BUILD)/slotnet.bpf.o: bpf/slotnet.bpf.c $(BPF_HDRS) $(VENDOR)/.stamp
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/slotnet.skel.h: $(BUILD)/slotnet.bpf.o
	$(BPFTOOL) gen skeleton $< name slotnet_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: cmd/%.c $(wildcard cmd/*.h) $(BPF_HDRS) $(BUILD)/slotnet.skel.h
	$(CC) $(SN_CFLAGS) -c $< -o $@

$(BUILD)/slotnet: $(OBJS)
	$(CC) $(SN_LDFLAGS) $^ $(LDLIBS) -o $@

# The root-free unit tests: UNIT_TESTS and their rules.
include tests/unit/unit.mk

# Data-path fixtures and the per-packet benchmark load the real BPF object
# through its skeleton and run it with BPF_PROG_TEST_RUN.
$(BUILD)/test_datapath: tests/unit/test_datapath.c cmd/config.c cmd/parse.c $(BPF_HDRS) $(BUILD)/slotnet.skel.h
	$(CC) $(SN_CFLAGS) -Icmd $(SN_LDFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

$(BUILD)/bench_datapath: scripts/bench-datapath.c $(BPF_HDRS) $(BUILD)/slotnet.skel.h
	$(CC) $(SN_CFLAGS) $(SN_LDFLAGS) $< $(LDLIBS) -o $@

check: $(BUILD)/slotnet $(UNIT_TESTS) $(BUILD)/test_datapath
	bash tests/run.sh

# The static checks alone (shellcheck, cppcheck, mandoc), as tests/run.sh runs
# them; cppcheck reads the skeleton header.
lint: $(BUILD)/slotnet.skel.h
	BUILD=$(BUILD) bash scripts/lint.sh

# The integration suites alone (root), as tests/run.sh runs them.
bats: $(BUILD)/slotnet
	BATS_TEST_TIMEOUT=$${BATS_TEST_TIMEOUT:-300} bats --tap --timing --print-output-on-failure tests/bats

# Every bats suite (but the real guests of guest.bats) on Linux 6.1 with
# Geneve, in the VM rig's worker guest; CI runs a part of them (tests/run.sh).
check-kernel: $(BUILD)/slotnet
	bash tests/vm/bats-in-guest.sh --all

# The systemd units name the binary where it is installed.
UNITS_IN := $(wildcard scripts/systemd/*.in)
UNITS := $(filter-out $(UNITS_IN) scripts/systemd/slotnet.default,$(wildcard scripts/systemd/*))

install: $(BUILD)/slotnet
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/slotnet $(DESTDIR)$(SBINDIR)/slotnet
	for c in $(SUBCOMMANDS); do ln -sf slotnet $(DESTDIR)$(SBINDIR)/slotnet-$$c; done
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS_IN); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) || exit 1; done
	install -m 0644 $(UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 scripts/slotnet-completion.bash $(DESTDIR)$(BASHCOMPDIR)/slotnet
	install -m 0644 scripts/systemd/slotnet.default $(DESTDIR)$(DOCDIR)/slotnet.default

clean:
	rm -rf $(BUILD)/*.o $(BUILD)/slotnet $(BUILD)/slotnet.skel.h $(BUILD)/slotnet.bpf.o $(UNIT_TESTS) \
		$(BUILD)/test_datapath $(BUILD)/bench_datapath
