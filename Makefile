# dnnfuser - top-level Makefile (plain GNU make, no generated build system).
#
#   make deps       install the Debian packages that are missing (apt-get; root or sudo)
#   make            build the library, the CLI (build/dnnfuser) and, when present, the daemon
#   make test       build and run every test: Check unit suites and integration scripts, the same again
#                   built with AddressSanitizer + UBSan (build-asan/), and a short run
#                   of every libFuzzer target (build-fuzz/, 20 s each, two at a time); the short
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

# Debian 12 packages the build and the tests need. `make deps` installs the missing ones.
DEB_PKGS  := build-essential pkg-config libjansson-dev libmicrohttpd-dev libuv1-dev libopenblas-dev \
             check libsystemd-dev curl nginx-light chromium systemd wrk clang libclang-rt-14-dev valgrind
PKGS      := jansson openblas
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SERVER_PKGS := libmicrohttpd libuv
SERVER_CFLAGS := $(shell pkg-config --cflags $(SERVER_PKGS) 2>/dev/null)
SERVER_LIBS   := $(shell pkg-config --libs $(SERVER_PKGS) 2>/dev/null) -lpthread
# systemd notify support when libsystemd is there (USE_SYSTEMD=no to build without)
USE_SYSTEMD ?= $(shell pkg-config --exists libsystemd 2>/dev/null && echo yes || echo no)
ifeq ($(USE_SYSTEMD),yes)
SERVER_CFLAGS += -DHAVE_LIBSYSTEMD $(shell pkg-config --cflags libsystemd)
SERVER_LIBS   += $(shell pkg-config --libs libsystemd)
endif
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
LIBS      := $(PKG_LIBS) -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

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

.PHONY: all deps test unit unit-bins integration bench weights install uninstall clean \
        asan asan-build fuzz fuzz-build fuzz-bins fuzz-seeds \
        stress check-leaks
all: $(CLI) $(SERVER) $(TRAIN)

$(BUILD)/src/server/%.o: src/server/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The shipped weights are linked in (.incbin in src/model/embedded.c).
$(BUILD)/src/model/embedded.o: weights/dnnfuser.weights

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LIBS)

$(BUILD)/dnnfuserd: $(SERVER_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SERVER_OBJS) $(LIB) $(SERVER_LIBS) $(LIBS)

$(BUILD)/dnnfuser-train: $(TRAIN_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TRAIN_OBJS) $(LIB) $(LIBS)

# Unit tests: tests/unit/check_<module>.c, one Check suite per module. A suite for a server module
# (tests/unit/check_server_*.c) also links the server objects except main.
SERVER_LIB_OBJS := $(filter-out $(BUILD)/src/server/main.o,$(SERVER_OBJS))
$(BUILD)/tests/check_server_%: tests/unit/check_server_%.c $(SERVER_LIB_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(SERVER_LIB_OBJS) $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(SERVER_LIBS) $(LIBS)

$(BUILD)/tests/check_%: tests/unit/check_%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

$(BUILD)/bench/bench_%: tests/bench/bench_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LIBS)

unit: $(UNIT_BINS)
	@BUILD=$(BUILD) bash tests/run.sh $(UNIT_BINS)

integration: all
	@BUILD=$(BUILD) bash tests/run.sh $(INTEG)

unit-bins: $(UNIT_BINS)

# --- hardening (issue #6): sanitizer build, fuzz targets, hostile-input storm ---------------------
# The sanitizer pass rebuilds the whole tree in $(ASAN_BUILD)/ (a sub-make with its own BUILD, CC and
# flags) and runs every unit suite and integration script against it; tests/run.sh gives those items
# the sanitizer environment (items "asan:PATH") and fails an item on any report.
ASAN_BUILD := build-asan
STORM      := $(BUILD)/stress/storm
ASAN_CC    ?= gcc
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(ASAN_BUILD)/tests/%)
ASAN_ITEMS := $(addprefix asan:,$(ASAN_UNIT_BINS) $(INTEG))

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
FUZZ_SERVER_OBJS := $(BUILD)/src/server/request.o $(BUILD)/src/server/problem.o $(BUILD)/src/server/answer.o
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_SERVER_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ-CC $<")
	$(Q)$(CC) $(CFLAGS) $(SERVER_CFLAGS) -Isrc/server -fsanitize=fuzzer -o $@ $< $(FUZZ_SERVER_OBJS) $(LIB) \
	    $(LDFLAGS) $(LIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz-build:
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

stress: all $(STORM)
	@BUILD=$(BUILD) bash tests/run.sh $(sort $(wildcard tests/stress/stress_*.sh)) tests/integration/test_weights_start.sh

# The daemon's integration test with the daemon under valgrind (minutes; not part of make test).
check-leaks: all
	@command -v valgrind >/dev/null || { echo "check-leaks: valgrind not installed (make deps)"; exit 1; }
	@BUILD=$(BUILD) bash tests/run.sh tests/stress/check_leaks.sh

# The short load and fault tests that make test runs too (make stress adds the 3 x 40,000 storm):
# 1,000 open connections, queue-full flood, SIGHUP every 100 ms under load.
SHORT_STRESS := tests/stress/stress_conns.sh tests/stress/stress_queue.sh tests/stress/stress_sighup.sh

# Every test, one summary line at the end ("tests: N passed, M failed").
test: all $(UNIT_BINS) $(STORM) asan-build fuzz-build
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) bash tests/run.sh $(UNIT_BINS) $(INTEG) $(SHORT_STRESS) $(ASAN_ITEMS) \
	    tests/fuzz/run_fuzz.sh

BENCH_SCRIPTS := $(sort $(wildcard tests/bench/bench_*.sh))
bench: all $(BENCH_BINS)
	@set -e; for b in $(BENCH_BINS); do echo "== $$b"; OPENBLAS_NUM_THREADS=1 ./$$b; done; \
	for s in $(BENCH_SCRIPTS); do echo "== $$s"; BUILD=$(BUILD) bash $$s; done

# Retrains the shipped transformer from scratch (about 20 minutes on 2 cores; see weights/README.md).
weights: $(BUILD)/dnnfuser-train
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/dnnfuser-train --d 64 --layers 2 --heads 2 --steps 15000 --out weights/dnnfuser.weights

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing

install: all
	$(INSTALL) -d $(DESTDIR)$(bindir)
	$(INSTALL_PROGRAM) $(CLI) $(DESTDIR)$(bindir)/dnnfuser
	$(if $(SERVER),$(INSTALL_PROGRAM) $(SERVER) $(DESTDIR)$(bindir)/dnnfuserd)

uninstall:
	rm -f $(DESTDIR)$(bindir)/dnnfuser
	rm -f $(DESTDIR)$(bindir)/dnnfuserd

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(SERVER_OBJS:.o=.d) $(TRAIN_OBJS:.o=.d)
