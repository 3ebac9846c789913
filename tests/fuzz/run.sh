#!/usr/bin/env bash
# Runs the libFuzzer harnesses (built by `make fuzz-build`) for FUZZ_TIME seconds each from
# their seed corpus in tests/fuzz/corpus/NAME. New inputs go to a scratch directory, so the
# seeds in the repository stay as they are. Arguments pick harnesses by name (ref, layer, ...).
# Exit status is non-zero when any harness crashed; the crash files' paths are printed (they
# are kept in FUZZ_ARTIFACTS, default FUZZ_BUILD/artifacts/NAME/). FUZZ_BUILD: where the
# harnesses are (default build/fuzz, what `make fuzz-build` builds).
#   FUZZ_LOGDIR  keep each harness's log and grown corpus there (default: a removed temp dir)
#   --crashes    replay the reproducers in tests/fuzz/crashes/NAME-* instead (non-zero while
#                any still crashes; once fixed, move it into tests/fuzz/corpus/NAME/)
set -u
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
if [ "${1:-}" = --crashes ]; then
	bad=0
	TMPDIR=$(mktemp -d /tmp/ocitk-fuzz-replay.XXXXXX)
	export TMPDIR
	trap 'rm -rf "$TMPDIR"' EXIT
	for f in tests/fuzz/crashes/*; do
		[ -f "$f" ] || continue
		n=$(basename "$f")
		n=${n%%-*}
		if "$FUZZ_BUILD"/fuzz_"$n" "$f" >"$TMPDIR/replay.log" 2>&1; then
			echo "fixed: $f (move it into tests/fuzz/corpus/$n/)"
		else
			bad=$((bad + 1))
			echo "crashes: $f"
			grep -aE 'runtime error|ERROR: AddressSanitizer|SUMMARY' "$TMPDIR/replay.log" |
				head -3 | sed 's/^/  /'
		fi
	done
	[ $bad -eq 0 ]
	exit
fi
time_each=${FUZZ_TIME:-60}
artifacts=${FUZZ_ARTIFACTS:-$(realpath -m "$FUZZ_BUILD")/artifacts}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		n=${n#fuzz_}
		[ "$n" = util ] || names+=("$n")
	done
fi
if [ -n "${FUZZ_LOGDIR:-}" ]; then
	work=$FUZZ_LOGDIR
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/ocitk-fuzz-run.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
failed=()
for n in "${names[@]}"; do
	bin=$FUZZ_BUILD/fuzz_$n
	seeds=$PWD/tests/fuzz/corpus/$n
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "FAIL fuzz_$n: no harness binary or no seed corpus ($bin, $seeds)"
		failed+=("$n")
		continue
	fi
	mkdir -p "$work/$n/corpus" "$work/$n/tmp" "$artifacts/$n"
	log=$work/$n.log
	dict=
	[ -f "tests/fuzz/$n.dict" ] && dict=-dict=tests/fuzz/$n.dict
	start=$(date +%s)
	TMPDIR=$work/$n/tmp \
		ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		nice -n 10 "$bin" -max_total_time="$time_each" -timeout=30 -rss_limit_mb=2048 $dict \
		-print_final_stats=1 -artifact_prefix="$artifacts/$n/" \
		"$work/$n/corpus" "$seeds" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	ncorpus=$(($(ls "$work/$n/corpus" | wc -l) + $(ls "$seeds" | wc -l)))
	if [ $rc -ne 0 ]; then
		failed+=("$n")
		echo "FAIL fuzz_$n: exit $rc after ${secs}s"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
		grep -aE '^    #[0-9]+ ' "$log" | head -12 | sed 's/^/  /'
		grep -ao 'Test unit written to .*' "$log" | sed 's/^Test unit written to /  crash file: /'
		cp "$log" "$artifacts/$n/fuzz.log"
		echo "  log: $artifacts/$n/fuzz.log"
	else
		echo "fuzz_$n: ${execs:-?} runs in ${secs}s, corpus $ncorpus inputs, no crash"
	fi
	rm -rf "$work/$n/tmp"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#names[@]} harnesses failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: ${#names[@]} harnesses ran ${time_each}s each, no crash"
