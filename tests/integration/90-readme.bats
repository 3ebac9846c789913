#!/usr/bin/env bats
# Every command the README shows works as written: its fenced blocks are extracted and run in
# order against a local registry serving what `make try` serves (examples/try.sh itself), with
# the tools on PATH and REGISTRY set as `make try` tells the reader to set them. A block says
# what it is in its info string:
#   ```sh                 run here, in a shared scratch directory, with bash -e -o pipefail
#   ```sh skip=REASON     shown but not run here; REASON is one of SKIP_WHY's keys, and the
#                         test prints which blocks it skipped and why
#   ```text, ```toml ...  not commands: output, layouts, file contents (any other language)
# A block with no info string fails the test: it must say which it is. Also: make demo's script
# (examples/quickstart.sh) leaves nothing behind.

load ../lib/common
bats_require_minimum_version 1.5.0

declare -gA SKIP_WHY=(
	[make]="runs make itself (make demo / check / try / install are CI's and 91-install.bats's)"
	[dockerhub]="needs Docker Hub (network)"
	[terminal]="needs a real terminal (40-run-terminal.bats runs one under tmux)"
	[systemd]="needs systemd as PID 1 (92-systemd-example.bats verifies the units)"
	[user]="needs an unprivileged user's session (50-rootless.bats runs these as one)"
	[example]="uses a placeholder registry (registry.example.com) and keys"
)

setup_file() {
	require_root
	export OCI_TRY_DIR=$BATS_FILE_TMPDIR/try
	"$TOP/examples/try.sh" start >"$BATS_FILE_TMPDIR/try.out"
}

teardown_file() {
	OCI_TRY_DIR=$BATS_FILE_TMPDIR/try "$TOP/examples/try.sh" stop >/dev/null 2>&1 || true
}

teardown() {
	local id
	for id in $("$OCI_RUN" list -q 2>/dev/null | grep '^try-'); do
		"$OCI_RUN" delete --force "$id" >/dev/null 2>&1 || true
	done
}

# blocks FILE: one line per fenced block, "LINE<TAB>INFO", and its body in $BATS_TEST_TMPDIR/block-LINE
blocks() {
	awk -v dir="$BATS_TEST_TMPDIR" '
		/^```/ && !inside { inside = 1; start = NR; info = substr($0, 4); out = dir "/block-" NR; printf "" >out; print NR "\t" info; next }
		/^```/ && inside { inside = 0; close(out); next }
		inside { print >out }
	' "$1"
}

@test "make try prints the lines to paste, and they work as printed" {
	assert_output_contains() { [[ "$output" == *"$1"* ]]; }
	output=$(cat "$BATS_FILE_TMPDIR/try.out")
	assert_output_contains "export PATH="
	assert_output_contains "REGISTRY=127.0.0.1:"
	run bash -e -o pipefail -c "$(sed -n 's/^  //p' "$BATS_FILE_TMPDIR/try.out"); oci-run delete try-1 2>/dev/null || true"
	assert_success
	assert_output_contains "Hello from an oci-toolkit container"
}

@test "every shell block of README.md runs as written (offline ones here; the others are named)" {
	local line info n=0 skipped=0 W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
	cd "$W"
	# what `make try` tells the reader to paste: the tools on PATH, REGISTRY
	eval "$(sed -n 's/^  \(export .*\)/\1/p' "$BATS_FILE_TMPDIR/try.out")"
	[ -n "$REGISTRY" ]
	while IFS=$'\t' read -r line info; do
		case $info in
		text) continue ;;
		sh) ;;
		"sh skip="*)
			why=${SKIP_WHY[${info#sh skip=}]:-}
			[ -n "$why" ] || { echo "README.md:$line: unknown skip reason '${info#sh skip=}'"; false; }
			echo "# skipped README.md:$line ($(head -1 "$BATS_TEST_TMPDIR/block-$line")): $why" >&3
			skipped=$((skipped + 1))
			continue
			;;
		"")
			echo "README.md:$line: a fenced block must be marked sh, sh skip=REASON, or text (or its language)"
			false
			;;
		sh*)
			echo "README.md:$line: unknown marking '$info' (sh, or sh skip=REASON)"
			false
			;;
		*) continue ;;
		esac
		n=$((n + 1))
		run --separate-stderr timeout -k 5 60 bash -e -o pipefail "$BATS_TEST_TMPDIR/block-$line" </dev/null
		if [ "$status" -ne 0 ]; then
			echo "README.md:$line: this block failed with status $status:"
			cat "$BATS_TEST_TMPDIR/block-$line"
			echo "--- stdout:"
			echo "$output"
			echo "--- stderr:"
			echo "$stderr"
			false
		fi
	done < <(cd "$W" && blocks "$TOP/README.md")
	echo "# ran $n blocks, skipped $skipped" >&3
	[ "$n" -ge 5 ]
}

@test "make demo's script: hostname set, greeting shown, nothing left behind, also when it fails" {
	local T=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$T"
	run env TMPDIR="$T" "$TOP/examples/quickstart.sh"
	assert_success
	assert_output_contains "Hello from an oci-toolkit container: hostname oci-demo, pid 1"
	[ -z "$(ls -A "$T")" ] || { ls -la "$T"; false; }
	# a failing pull (nothing listens on port 1) leaves nothing either
	run env TMPDIR="$T" IMAGE=127.0.0.1:1/nope/nope:latest "$TOP/examples/quickstart.sh"
	assert_failure
	[ -z "$(ls -A "$T")" ] || { ls -la "$T"; false; }
	[ -z "$("$OCI_RUN" list -q | grep '^oci-demo-')" ]
}
