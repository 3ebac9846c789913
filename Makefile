# oci-toolkit: one static library from common/, four tools linked against it.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
CC ?= cc
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0

PKGS := libarchive libcurl openssl jansson libseccomp libcap libzstd zlib
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# ISA-L's igzip speeds up gzip inflate; used when its header is present.
# ('\#' inside $(shell) reaches the shell as a backslash with make >= 4.3: use a variable.)
HASH := \#
HAVE_ISAL := $(shell printf '$(HASH)include <isa-l/igzip_lib.h>\nint main(void){return 0;}' | $(CC) -x c - -o /dev/null -lisal 2>/dev/null && echo 1)
ifeq ($(HAVE_ISAL),1)
ISAL_CFLAGS := -DHAVE_ISAL=1
ISAL_LIBS := -lisal
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DOCI_VERSION=\"$(VERSION)\" -I. $(WARN) $(PKG_CFLAGS) $(ISAL_CFLAGS) $(CFLAGS)
ALL_LIBS := -Wl,--as-needed $(PKG_LIBS) $(ISAL_LIBS) -lpthread

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:.c=.o)
LIB := libocitk.a

TOOLS := oci-fetch oci-unpack oci-bundle oci-run
FETCH_OBJ := $(patsubst %.c,%.o,$(sort $(wildcard fetch/*.c)))
UNPACK_OBJ := $(patsubst %.c,%.o,$(sort $(wildcard unpack/*.c)))
BUNDLE_OBJ := $(patsubst %.c,%.o,$(sort $(wildcard bundle/*.c)))
RUN_OBJ := $(patsubst %.c,%.o,$(sort $(wildcard run/*.c run/*/*.c)))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:.c=)

.PHONY: all clean check unit integration install deps demo format bench fuzz fuzz-build fuzz-smoke fuzz-crashes
all: $(TOOLS)

%.o: %.c $(wildcard common/*.h)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A tool's objects depend on that tool's own headers.
$(FETCH_OBJ): $(wildcard fetch/*.h)
$(UNPACK_OBJ): $(wildcard unpack/*.h)
$(BUNDLE_OBJ): $(wildcard bundle/*.h)
$(RUN_OBJ): $(wildcard run/*.h run/*/*.h)

$(LIB): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

oci-fetch: $(FETCH_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(FETCH_OBJ) $(LIB) $(ALL_LIBS)
oci-unpack: $(UNPACK_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(UNPACK_OBJ) $(LIB) $(ALL_LIBS)
oci-bundle: $(BUNDLE_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(BUNDLE_OBJ) $(LIB) $(ALL_LIBS)
oci-run: $(RUN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(RUN_OBJ) $(LIB) $(ALL_LIBS)

tests/unit/test_%: tests/unit/test_%.c $(LIB)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(CHECK_LIBS) $(ALL_LIBS)
# The run/cgroup tests link run/cgroup's objects (until the tools have their own archives).
CGROUP_OBJ := $(filter run/cgroup/%,$(RUN_OBJ))
tests/unit/test_run_cgroup_%: tests/unit/test_run_cgroup_%.c $(CGROUP_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ $< $(CGROUP_OBJ) $(LIB) $(CHECK_LIBS) $(ALL_LIBS)

unit: $(UNIT_BIN)

# Fuzzing: libFuzzer harnesses tests/fuzz/fuzz_*.c. The library and tool sources they use are
# compiled again with clang and the sanitizers into $(FUZZ_BUILD), so normal objects are
# untouched. A harness links the common library plus the objects listed in FUZZ_OBJ_<name>.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_BUILD := tests/fuzz/build
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DOCI_VERSION=\"$(VERSION)\" -I. -O1 -g $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link $(PKG_CFLAGS) $(ISAL_CFLAGS)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(sort $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB := $(FUZZ_BUILD)/libocitk.a
FUZZ_UNPACK := $(basename $(filter-out unpack/main.c,$(sort $(wildcard unpack/*.c))))
FUZZ_OBJ_auth := fetch/auth tests/fuzz/stub_http
FUZZ_OBJ_http := fetch/http fetch/tls
FUZZ_OBJ_layer := $(FUZZ_UNPACK)
FUZZ_OBJ_stream := $(FUZZ_UNPACK)
FUZZ_OBJ_docker_save := $(FUZZ_UNPACK)
FUZZ_OBJ_layout := $(FUZZ_UNPACK)
FUZZ_OBJ_state := run/state $(basename $(sort $(wildcard run/cgroup/*.c)))

$(FUZZ_BUILD)/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
# Header dependencies on explicit targets (a pattern rule without a recipe adds none).
$(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard fetch/*.c)): $(wildcard fetch/*.h)
$(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard unpack/*.c)): $(wildcard unpack/*.h)
$(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard run/*.c)): $(wildcard run/*.h)
$(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard tests/fuzz/*.c)): $(wildcard tests/fuzz/*.h fetch/*.h unpack/*.h run/*.h)

$(FUZZ_LIB): $(COMMON_SRC:%.c=$(FUZZ_BUILD)/%.o)
	rm -f $@
	ar rcs $@ $^

define fuzz_rule
$(FUZZ_BUILD)/fuzz_$(1): $(FUZZ_BUILD)/tests/fuzz/fuzz_$(1).o $(FUZZ_BUILD)/tests/fuzz/fuzz_util.o $(FUZZ_OBJ_$(1):%=$(FUZZ_BUILD)/%.o) $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $(ALL_LIBS)
endef
$(foreach f,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(f))))

fuzz-build: $(FUZZ_BIN)

# Each harness runs FUZZ_TIME seconds from its seed corpus (new inputs go to a scratch
# directory); non-zero with the crash files' paths when any harness fails. FUZZ=NAME... picks.
fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(FUZZ)

fuzz-smoke: fuzz-build
	@FUZZ_TIME=15 tests/fuzz/run.sh $(FUZZ)

# Replay the reproducers in tests/fuzz/crashes/ (found, not fixed yet): non-zero while any crashes.
fuzz-crashes: fuzz-build
	@tests/fuzz/run.sh --crashes

# One summary line for unit and integration tests together; non-zero on any failure.
# deps runs first and the build in a sub-make, so pkg-config sees freshly installed packages.
check:
	@tests/lib/deps.sh
	@$(MAKE) --no-print-directory all unit
	@tests/run.sh $(T)

bench: all
	@for b in tests/bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

deps:
	@tests/lib/deps.sh

demo:
	@tests/lib/deps.sh
	@$(MAKE) --no-print-directory all
	@examples/quickstart.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/

format:
	clang-format -i $(wildcard common/*.[ch] fetch/*.[ch] unpack/*.[ch] bundle/*.[ch] run/*.[ch] tests/unit/*.c)

clean:
	rm -f $(TOOLS) $(LIB) common/*.o fetch/*.o unpack/*.o bundle/*.o run/*.o $(UNIT_BIN)
	rm -rf $(FUZZ_BUILD)
