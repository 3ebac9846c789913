#!/usr/bin/env bash
# `make bench`: runs every benchmark in tests/bench/ (or those named in BENCH, e.g.
# BENCH="unpack fetch"), one after the other, with its output shown as it goes, then prints
# one table of the ratios they reported in BENCH lines (format: tests/bench/lib.bash), with
# the date, the machine and the load average; a script that printed no BENCH line has its
# output repeated under the table instead. Exit status: non-zero when a script failed (a
# missed target is shown as MISSED in the table, not an error: the figures are what counts).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
LOG=$(mktemp -d /tmp/oci-bench-table.XXXXXX)
trap 'rm -rf "$LOG"' EXIT
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

scripts=()
for s in tests/bench/*.sh; do
	n=$(basename "$s" .sh)
	[ "$n" = table ] && continue
	if [ -n "${BENCH:-}" ] && ! [[ " $BENCH " == *" $n "* ]]; then
		continue
	fi
	scripts+=("$n")
done

started=$(date -u '+%Y-%m-%d %H:%M UTC')
t_start=$SECONDS
load_before=$(loadavg)
failed=0
took=()
for n in "${scripts[@]}"; do
	echo "== tests/bench/$n.sh"
	t0=$SECONDS
	bash "tests/bench/$n.sh" 2>&1 | tee "$LOG/$n.out"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$LOG/$n.rc"
	[ "$rc" = 0 ] || failed=1
	took+=("$n $((SECONDS - t0))s")
done

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "== make bench, $started: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
echo "   load average before $load_before, after $(loadavg); ratios are ours/peer of alternating pairs"
echo "   took $(((SECONDS - t_start) / 60))m$(((SECONDS - t_start) % 60))s: $(IFS=,; echo "${took[*]}" | sed 's/,/, /g')"
printf '%-26s %-22s %6s %7s %6s %8s\n' benchmark peer min median max target
for n in "${scripts[@]}"; do
	if [ "$(cat "$LOG/$n.rc")" != 0 ]; then
		printf '%-26s %s\n' "$n" "FAILED (exit $(cat "$LOG/$n.rc")): $(grep -v '^BENCH ' "$LOG/$n.out" | tail -1)"
		continue
	fi
	grep -q '^BENCH ' "$LOG/$n.out" || {
		printf '%-26s %s\n' "$n" "(no BENCH line: its output is below)"
		continue
	}
	while read -r _ name lo med hi peer target; do
		verdict=
		if [ -n "$target" ]; then
			if awk -v m="$med" -v t="${target#<=}" 'BEGIN {exit !(m <= t)}'; then
				verdict="$target met"
			else
				verdict="$target MISSED"
			fi
		fi
		printf '%-26s %-22s %6s %7s %6s %s\n' "$name" "$peer" "$lo" "$med" "$hi" "$verdict"
	done < <(grep '^BENCH ' "$LOG/$n.out")
done
for n in "${scripts[@]}"; do
	[ "$(cat "$LOG/$n.rc")" = 0 ] && ! grep -q '^BENCH ' "$LOG/$n.out" || continue
	echo
	echo "-- $n.sh (no BENCH line):"
	cat "$LOG/$n.out"
done
[ "$failed" = 0 ]
