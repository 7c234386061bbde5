# Root-free unit tests (TAP), included by the Makefile: one line each below,
# a test and the cmd/ sources it links (only the pure code it tests: no
# libbpf, no kernel).
UNIT_TESTS := $(BUILD)/test_parse $(BUILD)/test_nl $(BUILD)/test_rt

$(BUILD)/test_parse: cmd/parse.c
$(BUILD)/test_nl: cmd/nl.c
$(BUILD)/test_rt: cmd/rt.c cmd/nl.c

$(UNIT_TESTS): $(BUILD)/%: tests/unit/%.c tests/unit/tap.h $(wildcard cmd/*.h) $(BPF_HDRS) | $(VENDOR)/.stamp
	@mkdir -p $(BUILD)
	$(CC) $(SN_CFLAGS) -Icmd $(SN_LDFLAGS) $(filter %.c,$^) -o $@

# The root-free unit tests alone; stops at the first that fails.
unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "# --- $$t"; $$t; done
