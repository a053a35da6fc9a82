# xdump - GNU make build.
#
#   make            the CLI (build/xdump), the library (build/libxdump.a, .so) and xensim
#   make demo       dump the bundled simulated guest and show what the core holds
#   make check      every test, on a build with AddressSanitizer + UBSan (build/san/)
#   make deps       install the Debian 12 packages the build and the tests need (as root)
#
# The sanitizer build is the same makefile run with O=build/san SAN=1.

O ?= build
SAN ?= 0
CC ?= cc

PKGS := libelf xencontrol xenforeignmemory xentoollog xenguest xenstore zlib

# Debian 12 packages: to build, to run the tests.
DEB_BUILD := gcc make pkg-config libc6-dev libelf-dev libxen-dev zlib1g-dev libcriterion-dev
DEB_TEST := binutils diffutils coreutils

# Evaluated when first used (after `make deps` has run in the parent make).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CRIT_LIBS = $(shell pkg-config --libs criterion)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fPIC -g $(WARN)
ifeq ($(SAN),1)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT := -O2
endif
STD = -std=c11
CFLAGS_ALL = $(STD) $(BASE_CFLAGS) $(OPT) -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

LIB_SRC := $(wildcard src/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(O)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/obj/%.o)

# xensim: the LD_PRELOAD library is never sanitized (it lives inside other programs).
SIM_WORLD := tests/xensim/world.c
SIM_PRELOAD_SRC := tests/xensim/preload.c tests/xensim/hypercall.c $(SIM_WORLD)
SIM_CLI_SRC := tests/xensim/xensim.c tests/xensim/build.c $(SIM_WORLD)
# Xen's headers need GNU C (anonymous unions); the preload defines open/open64 itself.
SIM_CFLAGS = $(filter-out -D_FILE_OFFSET_BITS=64,$(BASE_CFLAGS)) -std=gnu11 -O2 \
  -D__XEN_TOOLS__ -Itests/xensim $(PKG_CFLAGS)

TOOL_SRC := $(wildcard tests/tools/*.c)
TOOLS := $(TOOL_SRC:tests/tools/%.c=$(O)/tests/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)

.PHONY: all lib cli xensim tests deps demo check check-run unit e2e clean format format-check
.DEFAULT_GOAL := all

all: $(O)/xdump $(O)/libxdump.a $(O)/libxdump.so xensim

lib: $(O)/libxdump.a $(O)/libxdump.so
cli: $(O)/xdump
xensim: $(O)/xensim.so $(O)/xensim $(O)/xensim-xenstored
tests: all $(TOOLS) $(UNITS)

# Xen's headers need GNU C (anonymous unions): domain.c, which alone includes them, and the
# test tools get -std=gnu11; everything else is plain C11.
$(O)/obj/src/domain.o $(TOOLS) $(UNITS): STD = -std=gnu11

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(O)/libxdump.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/libxdump.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lpthread

$(O)/xdump: $(CLI_OBJ) $(O)/libxdump.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(O)/libxdump.a $(PKG_LIBS) -lpthread

$(O)/xensim.so: $(SIM_PRELOAD_SRC) tests/xensim/world.h tests/xensim/hypercall.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) -fvisibility=hidden -shared -o $@ $(SIM_PRELOAD_SRC) -ldl -lpthread

$(O)/xensim: $(SIM_CLI_SRC) tests/xensim/world.h tests/xensim/build.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(OPT) -o $@ $(SIM_CLI_SRC)

# A stand-in xenstored serving the world to libxenstore (tests/xensim/xenstored.c).
$(O)/xensim-xenstored: tests/xensim/xenstored.c $(SIM_WORLD) tests/xensim/world.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_CFLAGS) $(OPT) -o $@ tests/xensim/xenstored.c $(SIM_WORLD)

$(O)/tests/%: tests/tools/%.c $(SIM_WORLD) tests/xensim/world.h $(O)/libxdump.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -D__XEN_TOOLS__ -Itests/xensim -o $@ $< $(SIM_WORLD) $(O)/libxdump.a \
	  $(PKG_LIBS) -lpthread

$(O)/tests/test_%: tests/unit/test_%.c $(SIM_WORLD) $(O)/libxdump.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -D__XEN_TOOLS__ -Itests/xensim -o $@ $< $(SIM_WORLD) $(O)/libxdump.a \
	  $(PKG_LIBS) $(CRIT_LIBS) -lpthread

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

check-run: unit e2e

unit:
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t --jobs 2; done

e2e:
	@tests/e2e/run.sh $(O)

# ---- housekeeping -------------------------------------------------------------------------------

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
