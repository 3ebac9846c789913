#!/usr/bin/env bash
# Benchmark (not a test): `podman run --rm --network none busybox true` through conmon with
# oci-run, runc and crun as the runtime, in alternation (each round runs the three one after
# another, the order turning by one each round, so that neither the machine's swings nor the
# place in the round favour one), and prints each runtime's median wall time and its ratio
# to crun's. The busybox image is tests/lib/mkimage.py's, loaded into a private podman store
# (root, cgroupfs, overlay): nothing of the host's podman is touched.
#   ROUNDS=N (default 40)  OCI_RUN=PATH (e.g. an older build)
# Two builds compared (before/after figures): OCI_RUN_B=PATH alternates $OCI_RUN (A) and
# PATH (B) the same way, and prints B/A.
# What podman asks of the runtime: PODMAN_BENCH_CALLS=1 puts each runtime behind a wrapper of
# the same file name (podman picks options by the runtime's name) that logs every call, and
# prints per podman run each command's median time, their sum, podman's and conmon's own
# time (the run's wall time less the calls'), and the ratio to crun that a runtime taking no
# time at all would reach. The wrapper (a bash process per call) adds its own time to each
# run: no BENCH line in that mode (nor in the A/B one).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
ROUNDS=${ROUNDS:-40}
OCI_RUN=${OCI_RUN:-${OCI_BUILD:-$TOP/build}/oci-run}
[ "$(id -u)" = 0 ] || { echo "podman bench: skipped: needs root"; exit 0; }
for c in podman conmon runc crun python3; do
	command -v "$c" >/dev/null || { echo "podman bench: skipped: needs $c"; exit 0; }
done

W=$(mktemp -d /tmp/oci-bench-podman.XXXXXX)
pm() {
	podman --root "$W/root" --runroot "$W/run" --tmpdir "$W/tmp" --cgroup-manager cgroupfs \
		--events-backend file --storage-driver overlay "$@"
}
cleanup() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
	for m in $(awk -v d="$W" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

bench_crun_cgroups

mkdir -p "$W/tmp"
# podman asks for hard limits only CAP_SYS_RESOURCE may raise; ask for what any runtime can set
printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=16384:16384"]\n' >"$W/containers.conf"
export CONTAINERS_CONF=$W/containers.conf
python3 "$TOP/tests/lib/mkimage.py" "$W/image" --oci-archive "$W/busybox.tar" >/dev/null
pm load -i "$W/busybox.tar" >/dev/null 2>&1
pm tag localhost/latest:latest localhost/busybox:bench

bench_runtimes runc crun
calls=${PODMAN_BENCH_CALLS:-}
if [ -n "$calls" ]; then
	for k in "${!names[@]}"; do
		mkdir -p "$W/calls/$k"
		wrapper=$W/calls/$k/$(basename "${paths[$k]}")
		# "start end status command" of each call; the command is the first word that is
		# neither a global option nor its value
		cat >"$wrapper" <<WRAP
#!/usr/bin/env bash
t0=\$EPOCHREALTIME
$(printf '%q' "${paths[$k]}") "\$@"
rc=\$?
cmd=\$1 skip=
for a in "\$@"; do
	if [ -n "\$skip" ]; then skip=; continue; fi
	case \$a in
	--root | --log | --log-format | --criu | --rootless) skip=1 ;;
	-*) ;;
	*) cmd=\$a; break ;;
	esac
done
echo "\$t0 \$EPOCHREALTIME \$rc \$cmd" >>$(printf '%q' "$W/calls/$k.log")
exit \$rc
WRAP
		chmod +x "$wrapper"
		paths[k]=$wrapper
	done
fi

one() { # one run through runtime number $1; prints its wall time in microseconds
	local t0 t1
	t0=${EPOCHREALTIME/./}
	pm --runtime "${paths[$1]}" run --rm --network none localhost/busybox:bench true >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}
K=${#names[@]}
for k in "${!names[@]}"; do # warm up, and check that each runtime runs the image
	for i in 1 2 3; do one "$k" >/dev/null || {
		echo "podman bench: ${names[$k]} cannot run the image" >&2
		exit 1
	}; done
done
rm -f "$W"/calls/*.log
for r in $(seq "$ROUNDS"); do
	for j in "${!names[@]}"; do
		k=$(((j + r) % K))
		one "$k" >>"$W/t.${names[$k]}"
		if [ -n "$calls" ]; then # this run's calls, each line tagged with the round and its wall time
			sed "s/^/$r $(tail -n1 "$W/t.${names[$k]}") /" "$W/calls/$k.log" >>"$W/calls.${names[$k]}"
			rm -f "$W/calls/$k.log"
		fi
	done
done

series() { tr '\n' ' ' <"$W/t.$1"; }
if [ -z "${OCI_RUN_B:-}" ] && [ -z "$calls" ]; then
	# for `make bench`'s table: the per-round ratios (each round runs the three one after another)
	bench_result podman-vs-crun crun 0.80 "$(series oci-run)" "$(series crun)"
	bench_result podman-vs-runc runc "" "$(series oci-run)" "$(series runc)"
fi
echo "podman bench: podman run --rm --network none busybox true, $ROUNDS rounds, runtimes alternating"
# shellcheck disable=SC2046
read -r ref_med _ < <(bench_stats $(cat "$W/t.$ref"))
printf '  %-10s %10s %8s %8s %9s\n' runtime "median ms" min max "vs $ref"
for n in "${names[@]}"; do
	# shellcheck disable=SC2046
	read -r m lo hi < <(bench_stats $(cat "$W/t.$n"))
	printf '  %-10s %10.1f %8.1f %8.1f %8.2fx\n' "$n" "$(echo "$m / 1000" | bc -l)" \
		"$(echo "$lo / 1000" | bc -l)" "$(echo "$hi / 1000" | bc -l)" "$(echo "$m / $ref_med" | bc -l)"
done
if [ -n "${OCI_RUN_B:-}" ]; then
	# shellcheck disable=SC2046
	read -r m lo hi < <(bench_stats $(bench_ratios "$(series B)" "$(series A)"))
	printf 'podman bench A/B: B/A %.2f of the rounds (min %.2f, max %.2f)\n' "$m" "$lo" "$hi"
fi
if [ -n "$calls" ]; then
	echo "podman bench, calls: per podman run, each runtime command's median ms (calls per run)"
	python3 - "$W" "$ref" "${names[@]}" <<'PY'
import statistics as st
import sys
from collections import defaultdict

w, ref, names = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = {}  # runtime -> round -> (wall ms, command -> [ms of each call])
for n in names:
    runs[n] = {}
    with open(f"{w}/calls.{n}") as f:
        for line in f:
            r, wall, t0, t1, _rc, cmd = line.split()[:6]
            run = runs[n].setdefault(r, (int(wall) / 1000, defaultdict(list)))
            run[1][cmd].append((float(t1) - float(t0)) * 1000)
cmds = sorted({c for n in names for _, cs in runs[n].values() for c in cs})
print("  %-10s" % "runtime" + "".join("%13s" % c for c in cmds)
      + "%12s %14s %8s" % ("runtime sum", "podman+conmon", "total"))
own = {}
for n in names:
    cells = []
    for c in cmds:
        ms = [sum(cs[c]) for _, cs in runs[n].values()]
        per = st.mean(len(cs[c]) for _, cs in runs[n].values())
        cells.append("%13s" % ("%.1f (%g)" % (st.median(ms), round(per, 2))))
    sums = [sum(sum(v) for v in cs.values()) for _, cs in runs[n].values()]
    own[n] = [wall - s for (wall, _), s in zip(runs[n].values(), sums)]
    total = st.median(wall for wall, _ in runs[n].values())
    print("  %-10s" % n + "".join(cells)
          + "%12.1f %14.1f %8.1f" % (st.median(sums), st.median(own[n]), total))
ref_total = st.median(wall for wall, _ in runs[ref].values())
for n in names:
    if n != ref:
        print("  %s with a runtime that took no time: %.2fx %s (its podman+conmon %.1f ms, "
              "%s's total %.1f)" % (n, st.median(own[n]) / ref_total, ref, st.median(own[n]),
                                    ref, ref_total))
PY
fi
