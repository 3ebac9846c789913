#!/usr/bin/env bash
# Runs the unit tests (Check) and the integration tests (bats) and prints one summary line:
#   N passed, N failed[, N skipped]
# Exit status is non-zero when anything failed. Arguments filter integration files by name.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
failed_names=()

for t in "${OCI_BUILD:-build}"/tests/unit/test_*; do
	[ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
	out=$(CK_VERBOSITY=normal CK_DEFAULT_TIMEOUT=60 "$t" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL unit $(basename "$t"): no result line (exit $rc)"
		printf '%s\n' "$out" | tail -20
		failed=$((failed + 1)); failed_names+=("$t")
		continue
	fi
	checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	bad=$((fails + errs))
	passed=$((passed + checks - bad)); failed=$((failed + bad))
	if [ "$bad" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^Running suite' | grep -E ':[EF]:' | sed 's/^/  /'
		failed_names+=("$t")
	fi
	echo "unit $(basename "$t"): $line"
done

filters=("$@")
mkdir -p tests/tmp
for f in tests/integration/*.bats; do
	[ -e "$f" ] || continue
	if [ ${#filters[@]} -gt 0 ]; then
		m=0; for p in "${filters[@]}"; do [[ "$f" == *"$p"* ]] && m=1; done
		[ $m = 1 ] || continue
	fi
	log="tests/tmp/$(basename "$f" .bats).tap"
	bats --tap "$f" >"$log" 2>&1
	p=$(grep -acE '^ok [0-9]+' "$log" | tr -d ' ')
	s=$(grep -acE '^ok [0-9]+ .*# skip' "$log" | tr -d ' ')
	n=$(grep -acE '^not ok [0-9]+' "$log" | tr -d ' ')
	plan=$(grep -aE '^1\.\.[0-9]+' "$log" | head -1 | cut -d. -f3)
	# A file that died before finishing its plan counts its missing tests as failures.
	if [ -n "$plan" ] && [ $((p + n)) -lt "$plan" ]; then n=$((plan - p)); fi
	if [ -z "$plan" ]; then n=$((n + 1)); fi
	passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + n))
	echo "integration $(basename "$f"): $((p - s)) passed, $n failed, $s skipped"
	if [ "$n" -gt 0 ]; then
		grep -a -A15 -E '^not ok' "$log" | sed 's/^/  /' | head -80
		failed_names+=("$f")
	fi
	grep -aE '^ok [0-9]+ .*# skip' "$log" | sed 's/^/  /'
done

[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
