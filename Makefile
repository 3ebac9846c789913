# oci-toolkit: one static library from common/, one archive per tool, four tools linked against
# them. Everything is built under $(O) (default build/), nothing in the source tree:
#   $(O)/libocitk.a            common/
#   $(O)/libocitk-TOOL.a       TOOL/ (subfolders included) without main.o; TOOL = fetch unpack bundle run
#   $(O)/oci-TOOL              TOOL's main.o + libocitk-TOOL.a + libocitk.a
#   $(O)/tests/unit/test_*     a unit test links libocitk-TOOL.a when named test_TOOL_*, and libocitk.a
#   $(O)/fuzz/                 the libFuzzer harnesses (clang, sanitizers)
#   $(O)/doc/                  man pages and bash/zsh completion, generated from the tools' own
#                              option and command tables by gen/docs.sh (`make doc`, `make install`)
# Header dependencies come from the compiler (-MMD -MP); a change of the compiler, the flags or
# the libraries (CC, CFLAGS, LDFLAGS, DEVELOPER, SANITIZE, ...) rebuilds everything.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/oci-toolkit
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0
O ?= build
override O := $(patsubst %/,%,$(O))
# `make` with no goal builds the tools (the flags stamp rule below would otherwise be first).
.DEFAULT_GOAL := all

PKGS := libarchive libcurl openssl jansson libseccomp libcap libzstd zlib libsystemd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libsystemd only for its headers: run/cgroup/systemd_dbus.c opens it when --systemd-cgroup
# needs the bus, so that no other start loads it.
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(filter-out libsystemd,$(PKGS)) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# ISA-L's igzip speeds up gzip inflate; used when its header is present.
# ('\#' inside $(shell) reaches the shell as a backslash with make >= 4.3: use a variable.)
HASH := \#
COMMA := ,
HAVE_ISAL := $(shell printf '$(HASH)include <isa-l/igzip_lib.h>\nint main(void){return 0;}' | $(CC) -x c - -o /dev/null -lisal 2>/dev/null && echo 1)
ifeq ($(HAVE_ISAL),1)
ISAL_CFLAGS := -DHAVE_ISAL=1
ISAL_LIBS := -lisal
endif

# CRIU's C library (Debian's criu package; its header needs libprotobuf-c-dev) for oci-run
# checkpoint/restore; without it those commands say so.
HAVE_CRIU := $(shell printf '$(HASH)include <criu/criu.h>\nint main(void){return criu_init_opts();}' | $(CC) -x c - -o /dev/null -lcriu 2>/dev/null && echo 1)
ifeq ($(HAVE_CRIU),1)
CRIU_CFLAGS := -DHAVE_CRIU=1
CRIU_LIBS := -lcriu
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
# CPPFLAGS (e.g. Debian's -D_FORTIFY_SOURCE=2 from dpkg-buildflags) comes before CFLAGS, as in
# make's built-in rules.
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DOCI_VERSION=\"$(VERSION)\" -I. $(WARN) $(PKG_CFLAGS) $(ISAL_CFLAGS) \
	$(CRIU_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LIBS := -Wl,--as-needed $(PKG_LIBS) $(ISAL_LIBS) $(CRIU_LIBS) -lpthread
# oci-run is loaded twice per container (from its binary, then from its sealed copy), and
# the dynamic loader made about 40% of its page faults: its libraries are linked in where
# their archives are installed (as runc's release binaries link libseccomp); only libc stays
# shared (a fully static binary ignores LD_PRELOAD, which 70-cve-exec's CVE-2019-5736 attacks
# use to reach it). STATIC_RUN=0 links them dynamically; sanitizer builds always do.
RUN_STATIC := -ljansson -lseccomp -lcap $(CRIU_LIBS) $(if $(CRIU_LIBS),-lprotobuf-c)
RUN_STATIC_LIBS := -Wl,--as-needed -Wl,-Bstatic $(RUN_STATIC) -Wl,-Bdynamic \
	$(filter-out -Wl$(COMMA)--as-needed $(RUN_STATIC),$(ALL_LIBS))
ifeq ($(origin STATIC_RUN)$(filter 1,$(SANITIZE)),undefined)
STATIC_RUN := $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null -Wl,-Bstatic $(RUN_STATIC) -Wl,-Bdynamic 2>/dev/null && echo 1)
endif
tool_libs = $(if $(and $(filter run,$(1)),$(filter 1,$(STATIC_RUN))),$(RUN_STATIC_LIBS),$(ALL_LIBS))

# stamp_file FILE,VAR: FILE holds the value of VAR; it is rewritten (and so newer than every
# object that depends on it) only when that value differs from what it holds.
stamp_differs = $(subst $(file <$(1)),,$($(2)))$(subst $($(2)),,$(file <$(1)))
stamp_file = $(if $(call stamp_differs,$(1),$(2)),$(shell mkdir -p $(dir $(1)))$(file >$(1),$($(2))))
FLAGS_STAMP := $(O)/flags
FLAGS_TEXT := $(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) | $(LDFLAGS) $(ALL_LIBS) $(CHECK_LIBS) $(STATIC_RUN)
# Goals that build no object here leave it alone (`make fuzz-build` does not undo DEVELOPER=1).
NO_BUILD_GOALS := clean format format-check deps cross cross-deps fuzz fuzz-build fuzz-smoke fuzz-crashes \
	uninstall try-stop
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(NO_BUILD_GOALS),$(MAKECMDGOALS)),all),)
$(call stamp_file,$(FLAGS_STAMP),FLAGS_TEXT)
endif
# (written above; this only matters after a `make clean` in the same run)
$(FLAGS_STAMP):
	@:$(shell mkdir -p $(@D))$(file >$@,$(FLAGS_TEXT))

TOOL_DIRS := fetch unpack bundle run
TOOLS := $(TOOL_DIRS:%=oci-%)
TOOL_BIN := $(TOOLS:%=$(O)/%)
LIB := $(O)/libocitk.a
COMMON_OBJ := $(patsubst %.c,$(O)/%.o,$(sort $(wildcard common/*.c)))
# tool_obj TOOL: every object of TOOL/ and its subfolders except main.o
tool_obj = $(patsubst %.c,$(O)/%.o,$(filter-out $(1)/main.c,$(sort $(wildcard $(1)/*.c $(1)/*/*.c))))
TOOL_OBJ := $(foreach t,$(TOOL_DIRS),$(call tool_obj,$(t)))
TOOL_MAIN := $(TOOL_DIRS:%=$(O)/%/main.o)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(O)/%)
UNIT_OBJ := $(UNIT_BIN:=.o)

ALL_OBJ := $(COMMON_OBJ) $(TOOL_OBJ) $(TOOL_MAIN) $(UNIT_OBJ)

.PHONY: all clean check unit integration install uninstall doc deps demo try try-stop format \
	format-check bench \
	fuzz fuzz-build fuzz-smoke fuzz-crashes cross cross-deps
all: $(TOOL_BIN)

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/tests/unit/%.o: tests/unit/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

# Archives are made afresh with `ar q`: `ar r` would let run/cmd/state.o replace run/state.o
# (members are matched by file name).
$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(AR) qcs $@ $^

define tool_rules
$(O)/libocitk-$(1).a: $(call tool_obj,$(1))
	@rm -f $$@
	$(AR) qcs $$@ $$^
$(O)/oci-$(1): $(O)/$(1)/main.o $(O)/libocitk-$(1).a $(LIB)
	$(CC) $(LDFLAGS) -o $$@ $$^ $(call tool_libs,$(1))
endef
$(foreach t,$(TOOL_DIRS),$(eval $(call tool_rules,$(t))))

# unit_archive NAME: the tool archive test NAME links (test_fetch_x: fetch's), if any.
unit_archive = $(foreach t,$(TOOL_DIRS),$(if $(filter test_$(t)_%,$(1)),$(O)/libocitk-$(t).a))
define unit_rule
$(O)/tests/unit/$(1): $(O)/tests/unit/$(1).o $(call unit_archive,$(1)) $(LIB)
	$(CC) $(LDFLAGS) -o $$@ $$^ $(CHECK_LIBS) $(ALL_LIBS)
endef
$(foreach u,$(notdir $(UNIT_BIN)),$(eval $(call unit_rule,$(u))))

# Helpers the integration tests run: the seccomp agent (tests/lib/seccomp-agent.c), a
# console-socket receiver for the qemu guest (tests/lib/console-recv.c) and a container's
# sd_notify sender (tests/lib/notify-send.c, static: it runs in the busybox rootfs; never
# with the sanitizers, whose runtimes cannot be linked statically: SANITIZE=1 failed here).
TEST_HELPERS := $(O)/tests/lib/seccomp-agent $(O)/tests/lib/console-recv $(O)/tests/lib/notify-send
$(O)/tests/lib/notify-send: tests/lib/notify-send.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=%,$(ALL_CFLAGS) $(LDFLAGS)) -static -o $@ $<
$(O)/tests/lib/console-recv: tests/lib/console-recv.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<
$(O)/tests/lib/seccomp-agent: tests/lib/seccomp-agent.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS)

unit: $(UNIT_BIN) $(TEST_HELPERS)

# Fuzzing: libFuzzer harnesses tests/fuzz/fuzz_*.c. The library and tool sources they use are
# compiled again with clang and the sanitizers into $(FUZZ_BUILD), so normal objects are
# untouched. A harness links the common library plus the objects listed in FUZZ_OBJ_<name>.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_BUILD := $(O)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DOCI_VERSION=\"$(VERSION)\" -I. -O1 -g $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link $(PKG_CFLAGS) $(ISAL_CFLAGS)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(sort $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB := $(FUZZ_BUILD)/libocitk.a
FUZZ_UNPACK := $(basename $(filter-out unpack/main.c,$(sort $(wildcard unpack/*.c))))
FUZZ_OBJ_auth := fetch/auth fetch/credentials fetch/url tests/fuzz/stub_http
FUZZ_OBJ_inspect := $(basename $(filter-out fetch/main.c fetch/http.c,$(sort $(wildcard fetch/*.c)))) \
	tests/fuzz/stub_http
FUZZ_OBJ_credentials := fetch/credentials
FUZZ_OBJ_http := fetch/http fetch/url fetch/tls
FUZZ_OBJ_registries_conf := fetch/registries_conf
FUZZ_OBJ_policy := fetch/policy fetch/signature
FUZZ_OBJ_layer := $(FUZZ_UNPACK)
FUZZ_OBJ_stream := $(FUZZ_UNPACK)
FUZZ_OBJ_docker_save := $(FUZZ_UNPACK)
FUZZ_OBJ_layout := $(FUZZ_UNPACK)
FUZZ_OBJ_targuard := $(FUZZ_UNPACK)
FUZZ_OBJ_state := run/state run/userns $(basename $(sort $(wildcard run/cgroup/*.c)))
FUZZ_OBJ_cgroup_stats := run/state run/userns $(basename $(sort $(wildcard run/cgroup/*.c)))
FUZZ_OBJ_proc := run/state run/userns run/cmd/cmd $(basename $(sort $(wildcard run/cgroup/*.c)))
FUZZ_OBJ_systemd_props := run/cgroup/systemd_props run/cgroup/systemd_dbus
FUZZ_STAMP := $(FUZZ_BUILD)/flags
FUZZ_TEXT := $(FUZZ_CC) $(FUZZ_CFLAGS) | $(ALL_LIBS)
ifneq ($(filter fuzz%,$(MAKECMDGOALS)),)
$(call stamp_file,$(FUZZ_STAMP),FUZZ_TEXT)
endif
$(FUZZ_STAMP):
	@:$(shell mkdir -p $(@D))$(file >$@,$(FUZZ_TEXT))

$(FUZZ_BUILD)/%.o: %.c $(FUZZ_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(sort $(wildcard common/*.c)))
	@rm -f $@
	$(AR) qcs $@ $^

define fuzz_rule
$(FUZZ_BUILD)/fuzz_$(1): $(FUZZ_BUILD)/tests/fuzz/fuzz_$(1).o $(FUZZ_BUILD)/tests/fuzz/fuzz_util.o $(FUZZ_OBJ_$(1):%=$(FUZZ_BUILD)/%.o) $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $(ALL_LIBS)
endef
$(foreach f,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(f))))

fuzz-build: $(FUZZ_BIN)

# Each harness runs FUZZ_TIME seconds from its seed corpus (new inputs go to a scratch
# directory); non-zero with the crash files' paths when any harness fails. FUZZ=NAME... picks.
fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(FUZZ)

fuzz-smoke: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIME=15 tests/fuzz/run.sh $(FUZZ)

# Replay the reproducers in tests/fuzz/crashes/ (found, not fixed yet): non-zero while any crashes.
fuzz-crashes: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh --crashes

# Header dependencies of every object built so far.
-include $(ALL_OBJ:.o=.d) $(wildcard $(FUZZ_BUILD)/*/*.d $(FUZZ_BUILD)/*/*/*.d)

# The scripts find the tools and unit tests through OCI_BUILD (absolute; default build/).
export OCI_BUILD := $(abspath $(O))

# One summary line for unit and integration tests together; non-zero on any failure.
# deps runs first and the build in a sub-make, so pkg-config sees freshly installed packages.
check:
	@tests/lib/deps.sh
	@$(MAKE) --no-print-directory all unit
	@tests/run.sh $(T)

bench: all
	@bash tests/bench/table.sh

deps:
	@tests/lib/deps.sh

demo:
	@tests/lib/deps.sh --demo
	@$(MAKE) -s --no-print-directory all
	@examples/quickstart.sh

# Man pages and completions: each tool prints its own from its tables (gen/docs.sh).
DOC := $(O)/doc
$(DOC)/.stamp: $(TOOL_BIN) gen/docs.sh
	@rm -rf $(DOC)
	gen/docs.sh $(O) $(DOC)
	@touch $@
doc: $(DOC)/.stamp

# A local registry with demo images left running, for trying the README's examples offline.
try:
	@tests/lib/deps.sh --demo
	@$(MAKE) -s --no-print-directory all
	@examples/try.sh start

try-stop:
	@examples/try.sh stop

install: all doc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(TOOL_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(DOC)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(DOC)/completion/bash/* $(DESTDIR)$(BASHCOMPDIR)/
	install -m 0644 $(DOC)/completion/zsh/* $(DESTDIR)$(ZSHCOMPDIR)/
	install -m 0644 LICENSE README.md CHANGELOG.md $(DESTDIR)$(DOCDIR)/

# Removes what install wrote (same PREFIX and DESTDIR), nothing else; needs no build.
uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) \
		$(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%-*.1) \
		$(TOOLS:%=$(DESTDIR)$(BASHCOMPDIR)/%) $(TOOLS:%=$(DESTDIR)$(ZSHCOMPDIR)/_%) \
		$(addprefix $(DESTDIR)$(DOCDIR)/,LICENSE README.md CHANGELOG.md)
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# Every C source and header of the project (build output and test scratch space excluded).
FORMAT_SRC = $(shell find common fetch unpack bundle run tests -path tests/tmp -prune -o \
	-type f -name '*.[ch]' -print | LC_ALL=C sort)
format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)
	@tests/lint.sh

# Cross builds: `make cross ARCH=arm64|ppc64el|s390x` builds the tools and the unit tests with
# Debian's cross compiler against the multiarch -dev packages into $(O)/ARCH and runs the unit
# tests under qemu-user; `make cross-deps ARCH=...` installs what that needs.
ARCH ?= arm64
CROSS_TRIPLE_arm64 := aarch64-linux-gnu
CROSS_TRIPLE_ppc64el := powerpc64le-linux-gnu
CROSS_TRIPLE_s390x := s390x-linux-gnu
CROSS_QEMU_arm64 := qemu-aarch64
CROSS_QEMU_ppc64el := qemu-ppc64le
CROSS_QEMU_s390x := qemu-s390x
CROSS_TRIPLE := $(CROSS_TRIPLE_$(ARCH))
CROSS_O := $(O)/$(ARCH)
# The ARCH libraries: installed through multiarch, or unpacked into a sysroot where multiarch
# cannot install them (s390x: see tests/lib/deps.sh).
CROSS_SYSROOT := $(wildcard /var/cache/oci-toolkit/sysroot-$(ARCH)/.complete)
ifeq ($(CROSS_SYSROOT),)
CROSS_CC := $(CROSS_TRIPLE)-gcc
CROSS_PKG_CONFIG := env PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLE)/pkgconfig:/usr/share/pkgconfig pkg-config
CROSS_RUN := $(CROSS_QEMU_$(ARCH))
else
CROSS_SYSROOT := $(patsubst %/,%,$(dir $(CROSS_SYSROOT)))
CROSS_CC := $(CROSS_TRIPLE)-gcc --sysroot=$(CROSS_SYSROOT)
CROSS_PKG_CONFIG := env PKG_CONFIG_SYSROOT_DIR=$(CROSS_SYSROOT) \
	PKG_CONFIG_LIBDIR=$(CROSS_SYSROOT)/usr/lib/$(CROSS_TRIPLE)/pkgconfig:$(CROSS_SYSROOT)/usr/share/pkgconfig pkg-config
CROSS_RUN := $(CROSS_QEMU_$(ARCH)) -L $(CROSS_SYSROOT)
endif

cross-deps:
	@tests/lib/deps.sh --cross $(ARCH)

cross:
	@[ -n "$(CROSS_TRIPLE)" ] || { echo "cross: ARCH is arm64, ppc64el or s390x" >&2; exit 1; }
	@command -v $(CROSS_TRIPLE)-gcc >/dev/null && command -v $(CROSS_QEMU_$(ARCH)) >/dev/null || \
		{ echo "cross: $(CROSS_TRIPLE)-gcc or $(CROSS_QEMU_$(ARCH)) missing: make cross-deps ARCH=$(ARCH)" >&2; exit 1; }
	@$(MAKE) --no-print-directory O=$(CROSS_O) CC="$(CROSS_CC)" AR=$(CROSS_TRIPLE)-ar \
		PKG_CONFIG="$(CROSS_PKG_CONFIG)" all unit
	@pass=0; fail=0; checks=0; skipped=0; \
	for t in $(UNIT_BIN:$(O)/%=$(CROSS_O)/%); do \
		if out=$$(CK_DEFAULT_TIMEOUT=120 $(CROSS_RUN) $$t 2>&1); then \
			pass=$$((pass + 1)); \
		else \
			fail=$$((fail + 1)); printf '%s\n' "$$out" | grep -E ':[EF]:' | sed 's/^/  /'; \
		fi; \
		printf '%s\n' "$$out" | grep -aE '^(skipped: |not run under emulation)' | sort | uniq -c | sed 's/^ */  /'; \
		s=$$(printf '%s\n' "$$out" | grep -acE '^(skipped: |not run under emulation)'); skipped=$$((skipped + s)); \
		line=$$(printf '%s\n' "$$out" | grep -E '^[0-9]+%: Checks: ' | tail -1); \
		n=$$(printf '%s\n' "$$line" | sed -nE 's/.*Checks: ([0-9]+).*/\1/p'); checks=$$((checks + $${n:-0})); \
		echo "$(ARCH) unit $$(basename $$t): $${line:-no result line}"; \
	done; \
	echo "$(ARCH): $$pass unit test files passed, $$fail failed; checks: $$((checks - skipped)) passed, $$skipped skipped (reasons above: not run under emulation, they run natively; or not possible here)"; \
	[ $$fail -eq 0 ]

clean:
	rm -rf $(O)
	rm -f $(TOOLS) libocitk.a common/*.o fetch/*.o unpack/*.o bundle/*.o run/*.o run/*/*.o \
		$(UNIT_SRC:.c=)
	rm -rf tests/fuzz/build
