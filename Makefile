# dnnfuser - top-level Makefile (plain GNU make, no generated build system).
#
#   make deps GOALS install the Debian packages GOALS need that are missing (apt-get; root or sudo),
#                   then make GOALS with their flags: `make deps all`, `make deps test`
#   make            build the library, the CLI (build/dnnfuser) and, when present, the daemon
#   make check      the quick loop: unit suites and the CLI integration test (under a minute)
#   make check-fresh  the README's two commands in pristine Debian 12 roots (debootstrap; root; minutes)
#   make test       build and run every test: Check unit suites and integration scripts, the same again
#                   built with AddressSanitizer + UBSan (build-asan/), and a short run
#                   of every libFuzzer target (build-fuzz/, 12 s each, two at a time); the short
#                   hostile-input storm is tests/integration/test_storm.sh
#   make asan       only the sanitizer pass of make test
#   make stress     the long storm, 1,000 open connections, queue-full, SIGHUP under load, bad weights
#   make check-leaks  the daemon's integration test under valgrind --leak-check=full (slow; not in test)
#   make fuzz       run every fuzz target (tests/fuzz/) for FUZZ_SECONDS (default 60) each; new inputs
#                   kept in build-fuzz/corpus/, crashes in build-fuzz/crashes/
#   make bench      build and run the benchmarks in tests/bench/ (prints figures; not in CI)
#   make install    PREFIX (default /usr/local) and DESTDIR honoured, as in the GNU conventions
#   make uninstall  remove exactly what install put there
#   make clean
# V=1 shows the full compiler command lines.

# The included $(BUILD)/config.mk has a rule above `all`; without this a bare `make` would only write it.
.DEFAULT_GOAL := all

PREFIX    ?= /usr/local
prefix    ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir    ?= $(exec_prefix)/bin
datadir   ?= $(prefix)/share
DESTDIR   ?=
INSTALL   ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 755
INSTALL_DATA    ?= $(INSTALL) -m 644

CC        ?= cc
BUILD     ?= build
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
override CFLAGS += -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
                   -Iinclude $(PKG_CFLAGS) -MMD -MP
LDFLAGS   ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

# --- Debian 12 packages, by what needs them ---------------------------------------------------------
# `make deps GOALS` installs the missing packages the GOALS given with it need, and only those:
# building and running need RUN_PKGS (the README's run command, `make deps all`, installs nothing else);
# the tests add TEST_PKGS (Check; libyaml for tests/tools/jsontool, the contract's schema check; curl for the integration scripts; nginx for the scale-out test;
# chromium for the SVG rendering test; systemd for systemd-analyze; clang and its sanitizer runtime for
# the libFuzzer targets; help2man for the man pages test_install checks; clang-format for test_format.sh);
# make install adds help2man;
# make check-leaks adds valgrind, make bench adds wrk. `make deps` alone installs RUN_PKGS.
RUN_PKGS   := build-essential pkg-config libjansson-dev libmicrohttpd-dev libuv1-dev libopenblas-dev \
              libsystemd-dev
TEST_PKGS  := check libyaml-dev curl nginx-light chromium systemd clang libclang-rt-14-dev help2man clang-format
TEST_GOALS := test check unit unit-bins integration asan asan-build fuzz fuzz-build fuzz-bins stress \
              check-leaks bench
DEB_PKGS   := $(RUN_PKGS) $(if $(filter $(TEST_GOALS),$(MAKECMDGOALS)),$(TEST_PKGS)) \
              $(if $(filter install,$(MAKECMDGOALS)),help2man) \
              $(if $(filter check-leaks,$(MAKECMDGOALS)),valgrind) $(if $(filter bench,$(MAKECMDGOALS)),wrk curl)

# --- build configuration: compiler and linker flags from pkg-config ---------------------------------
# make reads the whole Makefile before it runs any recipe, so flags taken with $(shell pkg-config) at
# parse time would come out empty in `make deps all` on a machine that lacks the -dev packages (issue
# #10). Instead mk/config.sh writes them to $(CONFIG), which this Makefile includes; make remakes an
# included file that is missing or older than its prerequisites and then restarts, reading the new
# flags. With deps among the goals, $(CONFIG) depends on deps (first pass only: MAKE_RESTARTS is set
# after the restart), so the packages are installed before the flags are taken. A missing library
# stops the build with one line naming the package (mk/config.sh). The pkg-config directories are
# prerequisites too: installing a -dev package by hand refreshes the flags.
USE_SYSTEMD ?= yes
CONFIG     := $(BUILD)/config.mk
NOCONFIG_GOALS := deps clean uninstall check-fresh
PC_DIRS    := $(wildcard /usr/lib/pkgconfig /usr/share/pkgconfig /usr/lib/$(shell uname -m)-linux-gnu/pkgconfig)
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(CONFIG)
ifneq ($(CONFIG_USE_SYSTEMD),$(USE_SYSTEMD))
$(CONFIG): config-changed
endif
endif
.PHONY: config-changed
$(CONFIG): mk/config.sh $(PC_DIRS) $(if $(MAKE_RESTARTS),,$(filter deps,$(MAKECMDGOALS)))
	@mkdir -p $(dir $@)
	$(Q)USE_SYSTEMD=$(USE_SYSTEMD) sh mk/config.sh $@
$(CONFIG).flags: $(CONFIG)
# Unit-test targets need Check; others build without it. Expanded when such a recipe runs.
need_check = $(if $(CHECK_MISSING),$(error $(CHECK_MISSING)))
need_yaml = $(if $(YAML_MISSING),$(error $(YAML_MISSING)))
LIBS      := $(PKG_LIBS) -lm


# --- sources: one folder per module; data flows core <- solve, model <- server, cli, train -------
CORE_SRCS  := $(sort $(wildcard src/core/*.c))
SOLVE_SRCS := $(sort $(wildcard src/solve/*.c))
MODEL_SRCS := $(sort $(wildcard src/model/*.c))
REPORT_SRCS := $(sort $(wildcard src/report/*.c))
LIB_SRCS   := $(CORE_SRCS) $(SOLVE_SRCS) $(MODEL_SRCS) $(REPORT_SRCS)
CLI_SRCS   := $(sort $(wildcard src/cli/*.c))
SERVER_SRCS := $(sort $(wildcard src/server/*.c))
TRAIN_SRCS := $(sort $(wildcard src/train/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS   := $(CLI_SRCS:%.c=$(BUILD)/%.o)
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/%.o)
TRAIN_OBJS := $(TRAIN_SRCS:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libdnnfuser.a
CLI        := $(BUILD)/dnnfuser
SERVER     := $(if $(SERVER_SRCS),$(BUILD)/dnnfuserd)
TRAIN      := $(if $(TRAIN_SRCS),$(BUILD)/dnnfuser-train)

UNIT_SRCS  := $(sort $(wildcard tests/unit/check_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
INTEG      := $(sort $(wildcard tests/integration/test_*.sh))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps man check check-fresh test unit unit-bins integration bench weights weights-df install uninstall clean \
        asan asan-build fuzz fuzz-build fuzz-bins fuzz-seeds \
        stress check-leaks
all: $(CLI) $(SERVER) $(TRAIN) $(BUILD)/layers.ok

$(BUILD)/src/server/%.o: src/server/%.c $(CONFIG).flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(CONFIG).flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The shipped weights are linked in (.incbin in src/model/embedded.c).
$(BUILD)/src/model/embedded.o: weights/dnnfuser.weights

# One archive per layer, linked top-down (DESIGN §1: core <- solve, model <- report <- server, cli,
# train); mk/layers.sh fails the build on any upward or sideways call or include (issue #12). The
# union archive $(LIB) is for the tests, fuzz targets and benchmarks.
LAYER_LIBS := $(foreach l,report model solve core,$(if $(wildcard src/$(l)/*.c),$(BUILD)/libdf_$(l).a))
$(BUILD)/libdf_core.a: $(CORE_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libdf_solve.a: $(SOLVE_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libdf_model.a: $(MODEL_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libdf_report.a: $(REPORT_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libdf_%.a:
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/layers.ok: mk/layers.sh $(LIB_OBJS) $(CLI_OBJS) $(SERVER_OBJS) $(TRAIN_OBJS) $(wildcard include/dnnfuser/*.h)
	@$(if $(Q),echo "  LAYERS  $(BUILD)")
	$(Q)sh mk/layers.sh $(BUILD) . && touch $@

$(CLI): $(CLI_OBJS) $(LAYER_LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LAYER_LIBS) $(LIBS)

$(BUILD)/dnnfuserd: $(SERVER_OBJS) $(LAYER_LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SERVER_OBJS) $(LAYER_LIBS) $(SERVER_LIBS) $(LIBS)

$(BUILD)/dnnfuser-train: $(TRAIN_OBJS) $(LAYER_LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TRAIN_OBJS) $(LAYER_LIBS) $(LIBS)

# Unit tests: tests/unit/check_<module>.c, one Check suite per module. A suite for a server module
# (tests/unit/check_server_*.c) also links the server objects except main.
SERVER_LIB_OBJS := $(filter-out $(BUILD)/src/server/main.o,$(SERVER_OBJS))
$(BUILD)/tests/check_server_%: tests/unit/check_server_%.c $(SERVER_LIB_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(need_check)$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(SERVER_LIB_OBJS) $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(SERVER_LIBS) $(LIBS)

# The train suite (tests/unit/check_train.c) also links the train objects except main.
TRAIN_LIB_OBJS := $(filter-out $(BUILD)/src/train/main.o,$(TRAIN_OBJS))
$(BUILD)/tests/check_train: tests/unit/check_train.c $(TRAIN_LIB_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(need_check)$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(TRAIN_LIB_OBJS) $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

$(BUILD)/tests/check_%: tests/unit/check_%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(need_check)$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

$(BUILD)/bench/bench_%: tests/bench/bench_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LIBS)

unit: $(UNIT_BINS)
	@BUILD=$(BUILD) bash tests/run.sh $(UNIT_BINS)

integration: all $(TEST_TOOLS)
	@BUILD=$(BUILD) bash tests/run.sh $(INTEG)

# Test helpers in C (the tests need no Python): tests/tools/jsontool (schema check against
# api/openapi.yaml, JSON comparison). Built with the unit binaries, so the sanitizer build has them.
TEST_TOOLS := $(BUILD)/tools/jsontool
$(BUILD)/tools/jsontool: tests/tools/jsontool.c $(CONFIG).flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(need_yaml)$(Q)$(CC) $(CFLAGS) $(YAML_CFLAGS) -o $@ $< $(LDFLAGS) $(YAML_LIBS) $(LIBS)

unit-bins: $(UNIT_BINS) $(TEST_TOOLS)

# --- hardening (issue #6): sanitizer build, fuzz targets, hostile-input storm ---------------------
# The sanitizer pass rebuilds the whole tree in $(ASAN_BUILD)/ (a sub-make with its own BUILD, CC and
# flags) and runs every unit suite and integration script against it; tests/run.sh gives those items
# the sanitizer environment (items "asan:PATH") and fails an item on any report.
ASAN_BUILD := build-asan
STORM      := $(BUILD)/stress/storm
SLOWREAD   := $(BUILD)/stress/slowread
ASAN_CC    ?= gcc
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASAN_BUILD)/tests/%)
# the layer and format checks read sources and objects, run none of our code: not worth a sanitized pass
ASAN_INTEG := $(filter-out tests/integration/test_layers.sh tests/integration/test_format.sh,$(INTEG))
ASAN_ITEMS := $(addprefix asan:,$(ASAN_UNIT_BINS) $(ASAN_INTEG))

asan-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=$(ASAN_CC) CFLAGS="-O1 -g $(SAN_FLAGS)" \
	    LDFLAGS="$(SAN_FLAGS)" all unit-bins

asan: asan-build $(STORM)
	@bash tests/run.sh $(ASAN_ITEMS)

# libFuzzer targets tests/fuzz/fuzz_<name>.c, built with clang into $(FUZZ_BUILD)/fuzz/ against the
# library and the request parsers compiled with coverage + ASan + UBSan. fuzz_onnx.c builds only once
# the ONNX importer exists (include/dnnfuser/onnx.h).
FUZZ_BUILD := build-fuzz
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
ifeq ($(wildcard include/dnnfuser/onnx.h),)
FUZZ_SRCS  := $(filter-out tests/fuzz/fuzz_onnx.c,$(FUZZ_SRCS))
endif
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# The request parsers come from an archive of the server objects (all but main), so the link pulls in
# exactly the objects the targets reach (request, problem, answer and what they call), never a list
# kept by hand.
FUZZ_SERVER_LIB := $(BUILD)/libdf_server.a
$(FUZZ_SERVER_LIB): $(SERVER_LIB_OBJS)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_SERVER_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ-CC $<")
	$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) -Isrc/server -fsanitize=fuzzer -o $@ $< $(FUZZ_SERVER_LIB) $(LIB) \
	    $(LDFLAGS) $(LIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) not found: install the Debian packages clang libclang-rt-14-dev (make deps test)"; exit 1; }
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" LDFLAGS="$(FUZZ_SAN)" fuzz-bins

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP=1 bash tests/fuzz/run_fuzz.sh

# Regenerates the small weights files that seed the weights target (tests/fuzz/mkweights.c).
$(BUILD)/fuzz/mkweights: tests/fuzz/mkweights.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LIBS)

fuzz-seeds: $(BUILD)/fuzz/mkweights
	@mkdir -p tests/fuzz/corpus/fuzz_weights
	./$(BUILD)/fuzz/mkweights tests/fuzz/corpus/fuzz_weights

# The hostile-input load generator (plain C, no dependencies).
$(STORM): tests/stress/storm.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

# The slow-reader client (memory, deadlines and /healthz under large batches; plain C).
$(SLOWREAD): tests/stress/slowread.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

stress: all $(STORM) $(SLOWREAD)
	@BUILD=$(BUILD) SLOW_CLIENTS=300 bash tests/run.sh $(sort $(wildcard tests/stress/stress_*.sh)) tests/integration/test_weights_start.sh

# The daemon's integration test with the daemon under valgrind (minutes; not part of make test).
check-leaks: all
	@command -v valgrind >/dev/null || { echo "check-leaks: valgrind not installed (make deps)"; exit 1; }
	@BUILD=$(BUILD) bash tests/run.sh tests/stress/check_leaks.sh

# The short load and fault tests that make test runs too (make stress adds the 3 x 40,000 storm):
# 1,000 open connections, queue-full flood, SIGHUP every 100 ms under load, slow readers and large batches
# (40 clients; make stress: 300).
SHORT_STRESS := tests/stress/stress_conns.sh tests/stress/stress_queue.sh tests/stress/stress_sighup.sh \
                tests/stress/stress_memory.sh

# Every test, one summary line at the end ("tests: N passed, M failed").
test: all $(UNIT_BINS) $(TEST_TOOLS) $(STORM) $(SLOWREAD) asan-build fuzz-build
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) bash tests/run.sh $(UNIT_BINS) $(INTEG) $(SHORT_STRESS) $(ASAN_ITEMS) \
	    tests/fuzz/run_fuzz.sh

# The quick edit-compile-test loop (under a minute): every unit suite and the CLI integration script.
check: all $(UNIT_BINS) $(TEST_TOOLS)
	@BUILD=$(BUILD) bash tests/run.sh $(UNIT_BINS) tests/integration/test_cli.sh

# The pristine-root check (issue #10): the README's two commands, read from the README, each in a
# fresh debootstrapped Debian 12 root with only git, make, ca-certificates and sudo (tests/fresh/run.sh;
# root, minutes). FRESH=run or FRESH=test runs one of the two.
check-fresh:
	@bash tests/fresh/run.sh $(FRESH)

BENCH_SCRIPTS := $(sort $(wildcard tests/bench/bench_*.sh))
bench: all $(BENCH_BINS)
	@set -e; for b in $(BENCH_BINS); do echo "== $$b"; OPENBLAS_NUM_THREADS=1 ./$$b; done; \
	for s in $(BENCH_SCRIPTS); do echo "== $$s"; BUILD=$(BUILD) bash $$s; done

# Retrains the shipped transformer from scratch (about 20 minutes on 2 cores; see weights/README.md).
weights: $(BUILD)/dnnfuser-train
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/dnnfuser-train --d 64 --layers 2 --heads 2 --steps 15000 --round-f16 --out weights/dnnfuser.weights

# A depth-first weights file (issue 18; not shipped, never weights/dnnfuser.weights): the run measured in
# docs/depth_first_results.md "A larger depth-first run" (10,000 trajectories, 7,500 steps, seed 2026:
# about 55 min wall on one shared core; --threads only changes the wall time, every trajectory has its
# own seed). DF_WEIGHTS picks the output; measure it with build/bench/bench_dfheads DF_WEIGHTS 200 18.
DF_WEIGHTS ?= $(BUILD)/dnnfuser_df.weights
weights-df: $(BUILD)/dnnfuser-train
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/dnnfuser-train --space depth_first --samples 10000 --steps 7500 --val 200 \
	    --d 64 --layers 2 --heads 2 --eval 30 --threads 1 --seed 2026 --out $(DF_WEIGHTS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then \
	  command -v sudo >/dev/null || { echo "deps: not root and no sudo: run 'make deps' as root"; exit 1; }; \
	  SUDO=sudo; fi; \
	log=$$(mktemp); \
	if $$SUDO apt-get update -qq >$$log 2>&1 && \
	   $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >>$$log 2>&1; \
	then grep -E '^[0-9]+ upgraded|^Need to get|^After this operation' $$log | sed 's/^/deps: /'; rm -f $$log; \
	else cat $$log; rm -f $$log; echo "deps: apt-get failed"; exit 1; fi

# --- install: what a packager expects, under PREFIX and DESTDIR (GNU directory variables) -----------
# the two programs; their man pages, made from --help with help2man; the systemd units with ExecStart
# and --config pointing at the installed paths; the example config (as sysconfdir's dnnfuserd.conf
# when there is none yet, never over an existing one, and always under docdir); the REST contract
# and the weights card under datadir. uninstall removes exactly these (the config in sysconfdir only
# while it is still the example).
sysconfdir ?= $(if $(filter /usr /usr/local,$(prefix)),/etc,$(prefix)/etc)
mandir    ?= $(datadir)/man
docdir    ?= $(datadir)/doc/dnnfuser
systemdunitdir ?= $(prefix)/lib/systemd/system
PKGDATADIR := $(datadir)/dnnfuser
MANPAGES  := $(BUILD)/man/dnnfuser.1 $(if $(SERVER),$(BUILD)/man/dnnfuserd.8)
UNITS     := $(if $(SERVER),systemd/dnnfuserd.service systemd/dnnfuserd@.service)

$(BUILD)/man/dnnfuser.1: $(CLI)
$(BUILD)/man/dnnfuserd.8: $(BUILD)/dnnfuserd
$(BUILD)/man/%:
	@command -v help2man >/dev/null || { echo "man: help2man not found: install the Debian package help2man (make deps install)"; exit 1; }
	@mkdir -p $(dir $@)
	$(Q)help2man --no-info --section=$(subst .,,$(suffix $@)) --name="$(if $(filter %.8,$@),layer-fusion mapping daemon (HTTP/JSON),layer-fusion mappings for DNN accelerators)" --output=$@ ./$<

man: $(MANPAGES)

install: all $(MANPAGES)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(docdir)
	$(INSTALL_PROGRAM) $(CLI) $(DESTDIR)$(bindir)/dnnfuser
	$(INSTALL_DATA) $(BUILD)/man/dnnfuser.1 $(DESTDIR)$(mandir)/man1/dnnfuser.1
	$(INSTALL_DATA) api/openapi.yaml $(DESTDIR)$(PKGDATADIR)/openapi.yaml
	$(INSTALL_DATA) weights/README.md $(DESTDIR)$(PKGDATADIR)/weights-card.md
ifneq ($(SERVER),)
	$(INSTALL_PROGRAM) $(SERVER) $(DESTDIR)$(bindir)/dnnfuserd
	$(INSTALL) -d $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(systemdunitdir) $(DESTDIR)$(sysconfdir)/dnnfuser
	$(INSTALL_DATA) $(BUILD)/man/dnnfuserd.8 $(DESTDIR)$(mandir)/man8/dnnfuserd.8
	$(INSTALL_DATA) systemd/dnnfuserd.conf $(DESTDIR)$(docdir)/dnnfuserd.conf.example
	[ -e $(DESTDIR)$(sysconfdir)/dnnfuser/dnnfuserd.conf ] || \
	  $(INSTALL_DATA) systemd/dnnfuserd.conf $(DESTDIR)$(sysconfdir)/dnnfuser/dnnfuserd.conf
	for u in $(UNITS); do \
	  sed -e 's|/usr/local/bin/dnnfuserd|$(bindir)/dnnfuserd|g' -e 's|/etc/dnnfuser/|$(sysconfdir)/dnnfuser/|g' $$u \
	    > $(DESTDIR)$(systemdunitdir)/$$(basename $$u).tmp && \
	  chmod 644 $(DESTDIR)$(systemdunitdir)/$$(basename $$u).tmp && \
	  mv $(DESTDIR)$(systemdunitdir)/$$(basename $$u).tmp $(DESTDIR)$(systemdunitdir)/$$(basename $$u); \
	done
endif

uninstall:
	rm -f $(DESTDIR)$(bindir)/dnnfuser $(DESTDIR)$(bindir)/dnnfuserd
	rm -f $(DESTDIR)$(mandir)/man1/dnnfuser.1 $(DESTDIR)$(mandir)/man8/dnnfuserd.8
	rm -f $(DESTDIR)$(PKGDATADIR)/openapi.yaml $(DESTDIR)$(PKGDATADIR)/weights-card.md
	rm -f $(DESTDIR)$(docdir)/dnnfuserd.conf.example
	rm -f $(DESTDIR)$(systemdunitdir)/dnnfuserd.service $(DESTDIR)$(systemdunitdir)/dnnfuserd@.service
	if cmp -s systemd/dnnfuserd.conf $(DESTDIR)$(sysconfdir)/dnnfuser/dnnfuserd.conf; then \
	  rm -f $(DESTDIR)$(sysconfdir)/dnnfuser/dnnfuserd.conf; fi
	-rmdir $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(docdir) $(DESTDIR)$(sysconfdir)/dnnfuser 2>/dev/null

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(SERVER_OBJS:.o=.d) $(TRAIN_OBJS:.o=.d)
