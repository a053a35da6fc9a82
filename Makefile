# xdump - GNU make build.
#
#   make            the CLI (build/xdump), the library (build/libxdump.a, .so) and xensim
#   make demo       dump the bundled simulated guest and show what the core holds
#   make check      every test, on a build with AddressSanitizer + UBSan (build/san/)
#   make deps       install the Debian 12 packages the build and the tests need (as root)
#   make install    bin/xdump, lib/libxdump.{a,so}, include/xdump.h, the pkg-config file and
#                   the man page under DESTDIR/PREFIX (default /usr/local)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (60) from its seeds (tests/fuzz/)
#   make bench      the benchmark (minutes; not part of check): bench/results.md
#   make tsan-check the unit and end-to-end tests with ThreadSanitizer (build/tsan/; about 2
#                   minutes on two cores, not part of check)
#
# The sanitizer builds are the same makefile run with O=build/san SAN=1 (ASan + UBSan) or
# O=build/tsan TSAN=1 (ThreadSanitizer).

O ?= build
SAN ?= 0
TSAN ?= 0
CC ?= cc

# What the library links (and xdump.pc requires; lzo2, snappy and libzstd for the kdump format's
# pages); the command also writes JSON (jansson), the
# tests drive Xen's own dumper (libxenguest) and foreign mappings (libxenforeignmemory).
LIB_PKGS := libelf xencontrol xentoollog xenstore zlib lzo2 snappy libzstd
PKGS := $(LIB_PKGS) xenforeignmemory xenguest jansson

# Debian 12 packages: to build, to run the tests.
DEB_BUILD := gcc make pkg-config libc6-dev libelf-dev libxen-dev zlib1g-dev libcriterion-dev libjansson-dev \
  liblzo2-dev libsnappy-dev libzstd-dev
DEB_TEST := binutils diffutils coreutils clang libclang-rt-14-dev man-db groff-base qemu-system-x86 gdb crash python3-drgn \
  makedumpfile python3-libkdumpfile elfutils clang-format mmdebstrap debian-archive-keyring xz-utils zstd

# Evaluated when first used (after `make deps` has run in the parent make).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
LIB_LIBS = $(shell pkg-config --libs $(LIB_PKGS))
CRIT_LIBS = $(shell pkg-config --libs criterion)
CRIT = $(CRIT_LIBS)
CRIT_DEP :=

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fPIC -g $(WARN)
ifeq ($(SAN),1)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(TSAN),1)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=thread
# Criterion cannot start under ThreadSanitizer: the unit tests get its API from a stand-in.
CRIT := -isystem tests/unit/minicrit
CRIT_DEP := tests/unit/minicrit/criterion/criterion.h
else
OPT := -O2
endif
STD = -std=c11
VERSION := $(shell sed -n 's/^\#define XDUMP_VERSION "\(.*\)"/\1/p' include/xdump.h)
# The soname's number is the ABI's (include/xdump.h), not the release's.
SOMAJOR := $(shell sed -n 's/^\#define XDUMP_ABI \([0-9]*\).*/\1/p' include/xdump.h)
CFLAGS_ALL = $(STD) $(BASE_CFLAGS) $(OPT) -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

LIB_SRC := $(wildcard src/*.c src/xen/*.c src/watch/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(O)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/obj/%.o)

# xensim: the LD_PRELOAD library is never sanitized (it lives inside other programs).
SIM_WORLD := tests/xensim/world.c
SIM_PRELOAD_SRC := tests/xensim/preload.c tests/xensim/hypercall.c $(SIM_WORLD)
SIM_CLI_SRC := tests/xensim/xensim.c tests/xensim/build.c tests/xensim/qemu.c $(SIM_WORLD)
# Xen's headers need GNU C (anonymous unions); the preload defines open/open64 itself.
SIM_CFLAGS = $(filter-out -D_FILE_OFFSET_BITS=64,$(BASE_CFLAGS)) -std=gnu11 -O2 \
  -D__XEN_TOOLS__ -Itests/xensim $(PKG_CFLAGS)

TOOL_SRC := $(wildcard tests/tools/*.c)
TOOLS := $(TOOL_SRC:tests/tools/%.c=$(O)/tests/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

.PHONY: all lib cli xensim tests deps demo check check-run unit e2e realxen realxen13 realxen-all bench install fuzz \
  fuzz-smoke tsan-check clean format format-check include-check
.DEFAULT_GOAL := all

all: $(O)/xdump $(O)/libxdump.a $(O)/libxdump.so $(O)/libxdump.so.$(SOMAJOR) xensim

lib: $(O)/libxdump.a $(O)/libxdump.so $(O)/libxdump.so.$(SOMAJOR)
cli: $(O)/xdump
xensim: $(O)/xensim.so $(O)/xensim $(O)/xensim-xenstored
tests: all $(TOOLS) $(UNITS) $(O)/tests/iofault.so

# Xen's headers need GNU C (anonymous unions): the Xen door (src/xen/), which alone includes
# them (make include-check), and the test tools get -std=gnu11; everything else is plain C11.
$(filter $(O)/obj/src/xen/%,$(LIB_OBJ)) $(TOOLS) $(UNITS): STD = -std=gnu11

# The library exports only what include/xdump.h marks XDUMP_API (and src/libxdump.map lists).
$(LIB_OBJ): VIS := -fvisibility=hidden

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(VIS) -MMD -MP -c $< -o $@

$(O)/libxdump.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The shared library carries its soname (libxdump.so.ABI); that and libxdump.so are links to it.
$(O)/libxdump.so.$(VERSION): $(LIB_OBJ) src/libxdump.map
	rm -f $(filter-out $@ $(O)/libxdump.so.$(SOMAJOR),$(wildcard $(O)/libxdump.so.*)) # older sonames go
	$(CC) -shared -Wl,-soname,libxdump.so.$(SOMAJOR) -Wl,--version-script=src/libxdump.map \
	  -Wl,--as-needed -Wl,--no-undefined $(LDFLAGS_ALL) -o $@ $(LIB_OBJ) $(LIB_LIBS) -lpthread

$(O)/libxdump.so.$(SOMAJOR) $(O)/libxdump.so: $(O)/libxdump.so.$(VERSION)
	ln -sf $(notdir $<) $@

$(O)/xdump: $(CLI_OBJ) $(O)/libxdump.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(O)/libxdump.a $(PKG_LIBS) -lpthread

$(O)/xensim.so: $(SIM_PRELOAD_SRC) tests/xensim/world.h tests/xensim/hypercall.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) -fvisibility=hidden -shared -o $@ $(SIM_PRELOAD_SRC) -ldl -lpthread

$(O)/xensim: $(SIM_CLI_SRC) tests/xensim/world.h tests/xensim/build.h tests/xensim/qemu.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(OPT) -o $@ $(SIM_CLI_SRC)

# A stand-in xenstored serving the world to libxenstore (tests/xensim/xenstored.c).
$(O)/xensim-xenstored: tests/xensim/xenstored.c $(SIM_WORLD) tests/xensim/world.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(OPT) -o $@ tests/xensim/xenstored.c $(SIM_WORLD)

# The oracles (corecheck, corecmp, qemu2world) share nothing with xdump: not linking libxdump
# makes that a link error, not a promise.
$(O)/tests/%: tests/tools/%.c $(SIM_WORLD) tests/xensim/world.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -D__XEN_TOOLS__ -Itests/xensim -o $@ $< $(SIM_WORLD) $(PKG_LIBS) -lpthread

# A write-fault injector for the I/O-error tests (LD_PRELOAD; never sanitized).
$(O)/tests/iofault.so: tests/preload/iofault.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -D_FILE_OFFSET_BITS=64,$(BASE_CFLAGS)) -std=gnu11 -O2 -shared -o $@ $< -ldl

# test_info also tests the command's presenters of a core (src/cli/info_print.c) and its parser.
$(O)/tests/test_info: $(O)/obj/src/cli/info_print.o $(O)/obj/src/cli/options.o

$(O)/tests/test_%: tests/unit/test_%.c $(SIM_WORLD) $(O)/libxdump.a $(CRIT_DEP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -D__XEN_TOOLS__ -Itests/xensim -Isrc/cli -o $@ $< $(filter %.o,$^) \
	  $(SIM_WORLD) $(O)/libxdump.a \
	  $(PKG_LIBS) $(CRIT) -lpthread

# The benchmark's helpers: a stopwatch with peak RSS, the sink alone, the VMCOREINFO scan alone,
# Xen's gfn queries alone.
$(O)/bench/runstat: bench/runstat.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -lpthread

$(O)/bench/sinkbench: bench/sinkbench.c $(O)/libxdump.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(O)/libxdump.a $(PKG_LIBS) -lpthread

$(O)/bench/scanbench: bench/scanbench.c $(O)/libxdump.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(O)/libxdump.a $(PKG_LIBS) -lpthread

$(O)/bench/gfnscan: bench/gfnscan.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -std=gnu11 -D__XEN_TOOLS__ -o $@ $< $(PKG_LIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---- set-up -------------------------------------------------------------------------------------

deps:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

# ---- the README's two commands ------------------------------------------------------------------

demo: deps
	$(MAKE) --no-print-directory all
	@tests/demo.sh $(O)

check: deps
	$(MAKE) --no-print-directory O=build/san SAN=1 tests
	$(MAKE) --no-print-directory check-run O=build/san
	$(MAKE) --no-print-directory realxen
	$(MAKE) --no-print-directory realxen13
	@echo "==== make check: real Xen"; cat build/realxen/summary.txt build/realxen13/summary.txt

# Real Xen 4.17 (Debian 12) booted by QEMU, real PV and PVH guests, xdump beside `xl dump-core`
# (tests/realxen/README.md). The xdump copied into dom0 is the plain build.
# In make check neither release's PVH guest is dumped by `xl dump-core` (pvh-noxl: 4-7 minutes
# each on TCG); `make realxen-all` runs every scenario on both. precopy: issue 20's pre-copy
# dump of a writing PVH guest (~1 minute a release, 2-3 on a loaded host): in make check on
# Debian 12 only, to keep make check under its 20 minutes; realxen-all runs it on both.
# kdump: issue 19's kdump files of the crashed pv/pvh guests, read by crash and drgn (~45 s a
# release, mostly the host's crash sessions): realxen-all only.
REALXEN_SCENARIOS ?= pvguest+watch+pv+pvh-noxl+precopy
realxen:
	$(MAKE) --no-print-directory O=build all
	XDUMP_REALXEN_SCENARIOS=$(REALXEN_SCENARIOS) tests/realxen/check.sh build/xdump

# Real Xen 4.20 (Debian 13): xdump built in a Debian 13 root made from Debian's packages
# (tests/realxen/buildroot.sh, cached in /var/cache/xdump-realxen), Debian 13's Xen and Linux
# booted; crash and drgn from that root. First the end-to-end tests that meet Xen's libraries
# run in that root, on xensim imitating 4.20 (sim13.sh).
REALXEN13_SCENARIOS ?= pvguest+watch+pv+pvh-noxl
realxen13:
	tests/realxen/build13.sh build/debian13
	tests/realxen/sim13.sh
	XDUMP_REALXEN_RELEASE=13 XDUMP_REALXEN_SCENARIOS=$(REALXEN13_SCENARIOS) \
	  tests/realxen/check.sh build/debian13/xdump

realxen-all:
	$(MAKE) --no-print-directory realxen REALXEN_SCENARIOS=pvguest+watch+pv+pvh+precopy+kdump
	$(MAKE) --no-print-directory realxen13 REALXEN13_SCENARIOS=pvguest+watch+pv+pvh+precopy+kdump
	@cat build/realxen/summary.txt build/realxen13/summary.txt

check-run: format-check include-check unit e2e fuzz-smoke

# ThreadSanitizer: the asynchronous writer, the compressor's threads, the watch daemon; fails on
# any report (tests/tsan-check.sh). Minutes on two cores: not part of check.
tsan-check: deps
	$(MAKE) --no-print-directory O=build/tsan TSAN=1 tests
	@tests/tsan-check.sh build/tsan

unit:
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t --jobs 2; done

e2e:
	@tests/e2e/run.sh $(O)

# ---- the benchmark (not part of check): minutes; writes bench/results.md ------------------------

bench:
	@tests/deps.sh $(DEB_BUILD) gzip util-linux
	$(MAKE) --no-print-directory all $(O)/tests/xc-dumpcore $(O)/tests/corecheck \
	  $(O)/bench/runstat $(O)/bench/sinkbench $(O)/bench/scanbench $(O)/bench/gfnscan
	@bench/run.sh $(O)

# ---- fuzzing: libFuzzer targets of what reads untrusted input (tests/fuzz/README.md) -----------

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 7
FUZZ_TARGETS ?= p2m pagewalk info memmap
FUZZERS := $(FUZZ_TARGETS:%=$(O)/fuzz/fuzz_%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(WARN) -Iinclude -Isrc \
  -Itests/fuzz -Itests/unit

$(O)/fuzz/fuzz_p2m: src/p2m.c src/err.c
$(O)/fuzz/fuzz_pagewalk: src/pagewalk.c
$(O)/fuzz/fuzz_memmap: src/memmap.c src/pagewalk.c src/vmci.c tests/unit/mmguest.h
$(O)/fuzz/fuzz_info: src/info.c src/utf8.c src/cli/info_print.c src/uuid.c
$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzin.h $(wildcard src/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/cli -o $@ $(filter %.c,$^) -lelf -ljansson

# Each target for FUZZ_SECONDS, one process at a time; fails on a crash, hang or blow-up.
fuzz: $(FUZZERS)
	@tests/fuzz/run.sh $(O)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make check's short run: FUZZ_SMOKE_SECONDS each.
fuzz-smoke: $(FUZZERS)
	@tests/fuzz/run.sh $(O)/fuzz $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# ---- installing ---------------------------------------------------------------------------------

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# In xdump.pc, directories under PREFIX are written ${prefix}/...: the file can be moved with
# its tree (pkg-config --define-variable=prefix=...).
under_prefix = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install: $(O)/xdump $(O)/libxdump.a $(O)/libxdump.so.$(VERSION) man/xdump.1 xdump.pc.in
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(O)/xdump $(DESTDIR)$(BINDIR)/xdump
	install -m 644 $(O)/libxdump.a $(DESTDIR)$(LIBDIR)/libxdump.a
	install -m 755 $(O)/libxdump.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libxdump.so.$(VERSION)
	ln -sf libxdump.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libxdump.so.$(SOMAJOR)
	ln -sf libxdump.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libxdump.so
	install -m 644 include/xdump.h $(DESTDIR)$(INCLUDEDIR)/xdump.h
	install -m 644 man/xdump.1 $(DESTDIR)$(MANDIR)/man1/xdump.1
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call under_prefix,$(LIBDIR))|g' \
	  -e 's|@INCLUDEDIR@|$(call under_prefix,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' \
	  -e 's|@REQUIRES@|$(LIB_PKGS)|g' xdump.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/xdump.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/xdump.pc

# ---- housekeeping -------------------------------------------------------------------------------

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Only the Xen door includes Xen's headers: src/xen/*.c and src/xen/private.h, and nothing else
# of src/ or include/ (not domain.h, not through xen/private.h). One line per file that breaks
# the rule, and make fails.
XEN_INCLUDE := ^[[:space:]]*\#[[:space:]]*include[[:space:]]*(<(xen|xs\.h|xs_|libxl)[^>]*>|"([^"]*/)?xen/private\.h")
include-check:
	@find src include -name '*.[ch]' ! -path 'src/xen/*.c' ! -path src/xen/private.h | sort | \
	  xargs grep -HE '$(XEN_INCLUDE)' | awk -F: '{ sub(/^[ \t]*#[ \t]*include[ \t]*/, "", $$2); \
	    print "include-check: " $$1 " includes " $$2 ": only src/xen/*.c and src/xen/private.h" \
	      " may include Xen headers (docs/ARCHITECTURE.md)" } END { exit NR > 0 }' >&2

clean:
	rm -rf build
