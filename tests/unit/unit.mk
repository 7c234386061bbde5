# Root-free unit tests (TAP), included by the Makefile: one line each below,
# a test and the cmd/ sources it links (only the pure code it tests: no
# libbpf, no kernel).  Each is built twice: static with musl like slotnet
# ($(BUILD)/test_*), and with glibc's gcc under AddressSanitizer and
# UndefinedBehaviorSanitizer ($(BUILD)/asan/test_*), as musl has no ASan.
UNIT_NAMES := test_parse test_nl test_rt test_opts test_out test_fw test_config test_pool test_migrate
UNIT_TESTS := $(UNIT_NAMES:%=$(BUILD)/%)
UNIT_ASAN := $(UNIT_NAMES:%=$(BUILD)/asan/%)

$(BUILD)/test_parse $(BUILD)/asan/test_parse: cmd/parse.c
$(BUILD)/test_nl $(BUILD)/asan/test_nl: cmd/nl.c
$(BUILD)/test_rt $(BUILD)/asan/test_rt: cmd/rt.c cmd/nl.c
$(BUILD)/test_opts $(BUILD)/asan/test_opts: cmd/opts.c cmd/parse.c
$(BUILD)/test_out $(BUILD)/asan/test_out: cmd/out.c
$(BUILD)/test_fw $(BUILD)/asan/test_fw: cmd/fw.c
$(BUILD)/test_config $(BUILD)/asan/test_config: cmd/config.c cmd/parse.c
$(BUILD)/test_pool $(BUILD)/asan/test_pool: cmd/pool.c
$(BUILD)/test_migrate $(BUILD)/asan/test_migrate: cmd/migrate.c

UNIT_DEPS := tests/unit/tap.h tests/unit/capture.h $(wildcard cmd/*.h) $(BPF_HDRS)

$(UNIT_TESTS): $(BUILD)/%: tests/unit/%.c $(UNIT_DEPS) | $(VENDOR)/.stamp
	@mkdir -p $(BUILD)
	$(CC) $(SN_CFLAGS) -Icmd $(SN_LDFLAGS) $(filter %.c,$^) -o $@

# Dynamic, as the sanitizers' runtimes require; the same warnings as errors.
UNIT_ASAN_CC ?= gcc
UNIT_ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(UNIT_ASAN): $(BUILD)/asan/%: tests/unit/%.c $(UNIT_DEPS) | $(VENDOR)/.stamp
	@mkdir -p $(BUILD)/asan
	$(UNIT_ASAN_CC) $(SN_CFLAGS) $(UNIT_ASAN_FLAGS) -Icmd $(filter %.c,$^) -o $@

check: $(UNIT_ASAN)

.PHONY: clean-asan
clean: clean-asan
clean-asan:
	rm -rf $(BUILD)/asan

# The root-free unit tests alone, both builds; stops at the first that fails.
unit: $(UNIT_TESTS) $(UNIT_ASAN)
	@set -e; for t in $(UNIT_TESTS) $(UNIT_ASAN); do echo "# --- $$t"; $$t; done
