#!/usr/bin/env bats
# What a packager and a new user expect of the four tools: the same --version and -v, help of
# their own for every command (a description line and examples), `make install` with PREFIX
# and DESTDIR (binaries, man pages, bash and zsh completion, all generated from the option
# tables), man pages that render without warnings, completion that completes, `make uninstall`.

load ../lib/common
bats_require_minimum_version 1.5.0

TOOLS=(oci-fetch oci-unpack oci-bundle oci-run)

# commands TOOL: the tool's commands as its --help lists them
commands() {
	"$OCI_BUILD/$1" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}

# make_install ARGS...: `make install` on the tools already built, with the flags they were
# built with (a different DEVELOPER or SANITIZE would rebuild everything).
make_install() {
	local flags=()
	grep -q -- -Werror "$OCI_BUILD/flags" && flags+=(DEVELOPER=1)
	grep -q -- -fsanitize "$OCI_BUILD/flags" && flags+=(SANITIZE=1)
	make -C "$TOP" --no-print-directory O="$OCI_BUILD" "${flags[@]}" "$@"
}

@test "--version and -v print the same two lines in every tool" {
	local t
	for t in "${TOOLS[@]}"; do
		run -0 "$OCI_BUILD/$t" --version
		[[ "${lines[0]}" =~ ^$t\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
		[[ "${lines[1]}" =~ ^spec:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
		[ "${#lines[@]}" -eq 2 ]
		v=$output
		run -0 "$OCI_BUILD/$t" -v
		[ "$output" = "$v" ]
	done
}

@test "every command has help of its own: usage, a description line, its options, examples" {
	local t c
	for t in oci-bundle oci-run; do
		[ -n "$(commands "$t")" ]
		for c in $(commands "$t"); do
			[ "$c" = help ] && continue
			run -0 "$OCI_BUILD/$t" "$c" --help
			[[ "${lines[0]}" == "Usage: $t $c"* ]] || { echo "$t $c: ${lines[0]}"; false; }
			# the line after Usage starts the command's description, not the tool's
			[[ "${lines[1]}" =~ ^[A-Z] ]] || { echo "$t $c: ${lines[1]}"; false; }
			run -0 "$OCI_BUILD/$t" --help
			[ "${lines[1]}" != "$(OCI_TOOLKIT_HELP_FORMAT= "$OCI_BUILD/$t" "$c" --help | sed -n 2p)" ]
			run -0 "$OCI_BUILD/$t" "$c" --help
			assert_output_contains "Options:"
			assert_output_contains "  -h, --help"
			assert_output_contains "Examples:"
			! grep -q '^Commands:' <<<"$output" || false
			# help COMMAND says the same
			help=$output
			run -0 "$OCI_BUILD/$t" help "$c"
			[ "$output" = "$help" ]
		done
	done
	run -0 "$OCI_BUILD/oci-bundle" spec --help
	[ "${lines[0]}" = "Usage: oci-bundle spec [OPTIONS] [-- ARGS...]" ]
	assert_output_contains "--from-image"
	run -0 "$OCI_BUILD/oci-bundle" validate --help
	! grep -q -- --memory <<<"$output" || false
	# create has no --detach (run's), in its help and on its command line
	run -0 "$OCI_BUILD/oci-run" create --help
	! grep -q -- --detach <<<"$output" || false
	run -0 "$OCI_BUILD/oci-run" run --help
	assert_output_contains "  -d, --detach"
	run "$OCI_BUILD/oci-run" --root "$BATS_TEST_TMPDIR/state" create --detach x
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "unknown option '--detach'"
	# the tools without commands have examples too
	for t in oci-fetch oci-unpack; do
		run -0 "$OCI_BUILD/$t" --help
		assert_output_contains "Examples:"
	done
}

@test "help and unknown commands: 'help' works, an unknown command lists the real ones" {
	run -0 "$OCI_BUILD/oci-run" help
	assert_output_contains "Commands:"
	assert_output_contains "  create "
	run "$OCI_BUILD/oci-run" frobnicate
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "unknown command 'frobnicate' (commands: "
	assert_output_contains " create, delete, "
	run "$OCI_BUILD/oci-run" help frobnicate
	assert_failure
	assert_one_line_error oci-run
	run -0 "$OCI_BUILD/oci-bundle" help
	assert_output_contains "  validate "
	run "$OCI_BUILD/oci-bundle" frobnicate
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "(commands: edit, help, spec, validate; see oci-bundle --help)"
	run "$OCI_BUILD/oci-bundle" validate --memory 1G
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "validate: unknown option '--memory'"
}

@test "make install PREFIX DESTDIR: binaries, a man page per tool and command, completions; uninstall removes them" {
	require_cmd man
	D=$BATS_TEST_TMPDIR/dest
	run make_install install PREFIX=/opt/oci DESTDIR="$D"
	assert_success
	# nothing was compiled: install used the tools already built
	! grep -qE '^(cc|gcc|clang) ' <<<"$output" || false
	local t c n=0
	for t in "${TOOLS[@]}"; do
		[ -x "$D/opt/oci/bin/$t" ]
		cmp "$D/opt/oci/bin/$t" "$OCI_BUILD/$t"
		[ -f "$D/opt/oci/share/man/man1/$t.1" ]
		[ -f "$D/opt/oci/share/bash-completion/completions/$t" ]
		[ -f "$D/opt/oci/share/zsh/site-functions/_$t" ]
		for c in $(commands "$t"); do
			[ "$c" = help ] && continue
			[ -f "$D/opt/oci/share/man/man1/$t-$c.1" ] || { echo "no man page for $t $c"; false; }
			n=$((n + 1))
		done
	done
	[ "$n" -ge 17 ]
	[ -f "$D/opt/oci/share/doc/oci-toolkit/LICENSE" ]
	# every page renders at 80 columns without a warning, and says what it documents
	for p in "$D"/opt/oci/share/man/man1/*.1; do
		err=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null) || { echo "$p: $err"; false; }
		[ -z "$err" ] || { echo "$p: $err"; false; }
	done
	run env MANWIDTH=80 man -l "$D/opt/oci/share/man/man1/oci-run-create.1"
	grep -A1 '^NAME' <<<"$output" | grep -qE '^ +oci-run-create +- +create +a +container'

	assert_output_contains "--console-socket PATH"
	assert_output_contains "EXAMPLES"
	! grep -q -- --detach <<<"$output" || false
	run env MANWIDTH=80 man -l "$D/opt/oci/share/man/man1/oci-run.1"
	assert_output_contains "oci-run-create(1)"
	# uninstall removes exactly that
	touch "$D/opt/oci/bin/someone-else"
	run make -C "$TOP" --no-print-directory uninstall PREFIX=/opt/oci DESTDIR="$D"
	assert_success
	[ "$(find "$D" -type f)" = "$D/opt/oci/bin/someone-else" ]
}

@test "bash completion completes commands, options of the command typed, and file arguments" {
	D=$BATS_TEST_TMPDIR/dest
	make_install doc >/dev/null
	C=$OCI_BUILD/doc/completion/bash
	# as an interactive shell loads it
	run bash --norc -i -c "source '$C/oci-run'; complete -p oci-run" 2>/dev/null
	assert_output_contains "complete -F _oci_run oci-run"
	complete_words() {
		bash --norc -c 'source "$1"; shift; fn=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); $fn; printf "%s\n" "${COMPREPLY[@]}"' \
			_ "$C/$1" "_${1//-/_}" "${@:2}"
	}
	run complete_words oci-run oci-run cr
	[ "$output" = create ]
	run complete_words oci-run oci-run --root /tmp de
	[ "$output" = delete ]
	run complete_words oci-run oci-run create --console
	[ "$output" = --console-socket ]
	# create's options, not run's
	run complete_words oci-run oci-run create --de
	[ -z "$output" ]
	run complete_words oci-run oci-run run --de
	[ "$output" = --detach ]
	run complete_words oci-bundle oci-bundle spec --from
	[ "$output" = --from-image ]
	run complete_words oci-fetch oci-fetch --plat
	[ "$output" = --platform ]
	# a FILE argument completes file names
	mkdir -p "$BATS_TEST_TMPDIR/files" && touch "$BATS_TEST_TMPDIR/files/ca.pem"
	run complete_words oci-fetch oci-fetch --cacert "$BATS_TEST_TMPDIR/files/c"
	[ "$output" = "$BATS_TEST_TMPDIR/files/ca.pem" ]
}

@test "zsh completion: the generated functions load and complete under compinit" {
	require_cmd zsh
	make_install doc >/dev/null
	for f in "$OCI_BUILD"/doc/completion/zsh/_*; do
		run zsh -n "$f"
		assert_success
	done
	# compinit finds them on fpath and binds each tool
	run zsh -f -c "fpath=('$OCI_BUILD/doc/completion/zsh' \$fpath); autoload -Uz compinit; compinit -u -d '$BATS_TEST_TMPDIR/zcomp'; print -r -- \$_comps[oci-run] \$_comps[oci-bundle]"
	assert_success
	[ "$output" = "_oci-run _oci-bundle" ]
}

@test "the Makefile honours CPPFLAGS (before CFLAGS, as make's built-in rules)" {
	# a dry run into a scratch build directory: the real build is left alone
	run make -C "$TOP" --no-print-directory -n O="$BATS_TEST_TMPDIR/b" CPPFLAGS=-DOCI_TEST_CPPFLAGS=1 CFLAGS=-O1 all
	assert_success
	line=$(grep -m1 -- ' -c -o .*common/cli.o common/cli.c' <<<"$output")
	[[ "$line" == *"-DOCI_TEST_CPPFLAGS=1 -O1 "* ]] || { echo "$line"; false; }
}
