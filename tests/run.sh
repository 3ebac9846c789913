#!/usr/bin/env bash
# Runs the unit tests (Check) and the integration tests (bats) and prints one summary line:
#   N passed, N failed[, N skipped]
# Exit status is non-zero when anything failed. Arguments filter integration files by name.
#
# Integration files run OCI_TEST_JOBS at a time (default 2, the cores of the test machine),
# plus OCI_TEST_IDLE_JOBS (default 1; 0 with OCI_TEST_JOBS=1) of the mostly waiting files IDLE
# names, plus OCI_TEST_SPARE_JOBS (default 1; 0 with OCI_TEST_JOBS=1) of any file while the
# machine's CPUs were less than half busy over the last seconds (most files wait more than they
# compute: the quiet machine ran the suite's files at ~0.75 of 2 cores), but only the
# files PARALLEL names below, and never two that share a resource there; every other file runs
# alone. Results print in file order, each with its wall and CPU time, then the totals.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0

# Each run writes its logs into its own directory, tests/tmp/runs/N: the lowest N whose owner
# (the pid in N/.owner) is not alive, claimed under a lock and emptied first, so two runs in
# one worktree never write over each other's logs; tests/tmp/last points at the newest one.
# OCI_TEST_LOGS (absolute) is exported for the files (vm.bash copies each guest's log there).
# The lock is held by a subshell only while it claims, so no test process inherits it.
mkdir -p tests/tmp/runs
n=$(
	exec 9>tests/tmp/runs/.lock
	flock 9 || exit 1
	n=1
	while o=$(cat "tests/tmp/runs/$n/.owner" 2>/dev/null) && [ -n "$o" ] && kill -0 "$o" 2>/dev/null; do
		n=$((n + 1))
	done
	mkdir -p "tests/tmp/runs/$n" && echo $$ >"tests/tmp/runs/$n/.owner" && echo "$n"
)
[ -n "$n" ] || { echo "run.sh: cannot claim a log directory in tests/tmp/runs" >&2; exit 1; }
find "tests/tmp/runs/$n" -mindepth 1 ! -name .owner -delete
OCI_TEST_LOGS=$PWD/tests/tmp/runs/$n
export OCI_TEST_LOGS
ln -sfn "runs/$n" "tests/tmp/last.$$" && mv -Tf "tests/tmp/last.$$" tests/tmp/last

failed_names=()
jobs_max=${OCI_TEST_JOBS:-2}
# OCI_TEST_JOBS=1 means one file at a time, in order: no idle slot either unless asked
idle_max=1
[ "$jobs_max" -gt 1 ] || idle_max=0
idle_max=${OCI_TEST_IDLE_JOBS:-$idle_max}
spare_max=1
[ "$jobs_max" -gt 1 ] || spare_max=0
spare_max=${OCI_TEST_SPARE_JOBS:-$spare_max}

# The files that may run beside another one: NAME=RESOURCES, where two files sharing a
# resource never run together. They keep their state in their own BATS_*TMPDIR: registries on
# free 127.0.0.1 ports (tests/lib/registry.bash) with their storage, blob caches and
# XDG/HOME dirs below it. The runtime files (4x-7x) name everything they make after the
# bats process and the test (container ids t$$-N, netns oci-$CID, cgroups /ocitest-$CID and
# oci-run/$CID, tmux sessions, users ocit$$a), keep a private state root per test
# (40-run-lib.bash) and look for leftovers of their own names only.
#   debian-cache  21-unpack-debian's image under /var/cache/oci-toolkit-tests (flock'd, and
#                 its first build takes both cores)
#   runc          runc's state root /run/runc and the cgroups of the containers it runs
#   users         useradd/userdel and /etc/subuid, /etc/subgid edits (their lock files)
#   podman        podman's host-wide parts (network config, the libpod_parent cgroup)
#   cpu           keeps a core busy for the whole file: the attack racers that run for a
#                 fixed time (two together would halve each attack), the emulated qemu guest
#                 (its watchdog counts wall time)
# A file not named here runs alone: the unpack DoS file bounds time and memory. A new file
# runs alone until it is added here. Two lists below say what runs when (IDLE, FIRST).
declare -A PARALLEL=(
	[00-fixtures]=""
	[10-fetch-basic]=""
	[11-fetch-auth]=""
	[12-fetch-tls]=""
	[13-fetch-faults]=""
	[14-fetch-range]=""
	[15-fetch-cli]=""
	[16-fetch-foreign]=""
	[17-fetch-layout-peers]=""
	[18-fetch-inspect]=""
	[18-fetch-cache]=""
	[18-fetch-login]=""
	[18-fetch-pipeline]=""
	[19-fetch-policy]=""
	[19-fetch-registries]=""
	[20-unpack]=""
	[20-unpack-features]=""
	[20-unpack-hostile]=""
	[20-unpack-rootless]=""
	[21-unpack-debian]="debian-cache"
	[22-unpack-foreign]=""
	[23-unpack-cache]=""
	[30-bundle]="runc"
	[30-bundle-image]="runc"
	[40-run-hooks]=""
	[40-run-isolation]=""
	[40-run-lifecycle]=""
	[40-run-namespaces]=""
	[40-run-terminal]=""
	[41-run-seccomp]="podman"
	[42-run-exec]=""
	[43-run-pause]=""
	[44-run-tmpcopyup]=""
	[45-run-resources]=""
	[45-run-spec12]=""
	[45-run-netdev]=""
	[46-run-validate]=""
	[47-run-hardening]=""
	[47-run-lsm]="cpu"
	[48-run-events]=""
	[49-run-checkpoint]=""
	[50-rootless]="users"
	[51-service]=""
	[55-pipeline]=""
	[60-podman]="podman"
	[61-containerd]=""
	[62-podman-rootless]="users podman"
	[70-cve-exec]=""
	[71-cve-caps]=""
	[71-cve-dev]="cpu"
	[71-cve-mounts]="cpu"
	[71-cve-proc]="cpu"
	[71-cve-rootless]="users"
	[72-cve-review]="cpu"
	[73-cve-review2]=""
	[74-cve-review3]="cpu"
	[75-cve-review4]=""
	[76-cve-review5]=""
	[79-user-dirs]=""
	[80-cgroupv2]="cpu"
	[82-run-events-criu]="cpu"
	[83-systemd-cgroup]="cpu"
	[90-readme]=""
	[91-install]=""
	[92-systemd-example]=""
)

# now_us: microseconds since the epoch ($EPOCHREALTIME without its decimal separator).
now_us() {
	local t=$EPOCHREALTIME
	echo "${t//[!0-9]/}"
}

# secs US: microseconds as seconds with one decimal.
secs() {
	local ds=$((($1 + 50000) / 100000))
	echo "$((ds / 10)).$((ds % 10))s"
}

# cpu_now: sets CPU_US to the CPU time (user + system, microseconds) of every child this shell
# has reaped so far (`times`, written to a file: a subshell would have its own counts). A
# child's count includes the descendants it reaped, so the change across the wait that reaps
# one bats file is that file's CPU time.
cpu_now() {
	local line u s
	times >"$OCI_TEST_LOGS/.times"
	{ read -r line; read -r u s; } <"$OCI_TEST_LOGS/.times"
	CPU_US=$(($(tm_us "$u") + $(tm_us "$s")))
}

# tm_us 1m2.345s: the microseconds `times` wrote that way.
tm_us() {
	local m=${1%%m*} r=${1#*m}
	r=${r%s}
	echo $(((10#$m * 60 + 10#${r%.*}) * 1000000 + 10#${r#*.} * 1000))
}

# unit_report T OUT RC: the result line of unit test T from its output. A check that could
# not run here prints "skipped: TEST: REASON" (tests/unit/skip.h) or, under qemu-user, "not
# run under emulation: REASON": it counts as skipped, not passed, and the lines are listed.
unit_report() {
	local t=$1 out=$2 rc=$3 line checks fails errs bad skips s
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL unit $(basename "$t"): no result line (exit $rc)"
		printf '%s\n' "$out" | tail -20
		failed=$((failed + 1)); failed_names+=("$t")
		return
	fi
	checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	bad=$((fails + errs))
	skips=$(printf '%s\n' "$out" | grep -aE '^(skipped: |not run under emulation: )')
	s=0
	[ -z "$skips" ] || s=$(wc -l <<<"$skips")
	passed=$((passed + checks - bad - s)); failed=$((failed + bad)); skipped=$((skipped + s))
	if [ "$bad" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^Running suite' | grep -E ':[EF]:' | sed 's/^/  /'
		failed_names+=("$t")
	fi
	echo "unit $(basename "$t"): $line${skips:+ ($s skipped)}"
	[ -z "$skips" ] || sort <<<"$skips" | uniq -c | sed 's/^ */  /'
}

# The unit tests run jobs_max at a time (each in its own temporary directory), reported in
# order. Their output goes to LOGS/unit/NAME.out, the exit status to NAME.rc.
mkdir -p "$OCI_TEST_LOGS/unit"
unit_start=$(now_us)
units=()
for t in "${OCI_BUILD:-build}"/tests/unit/test_*; do
	[ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
	units+=("$t")
done
running_units=0
for t in "${units[@]}"; do
	if [ "$running_units" -ge "$jobs_max" ]; then
		wait -n
		running_units=$((running_units - 1))
	fi
	u=$OCI_TEST_LOGS/unit/$(basename "$t")
	(CK_VERBOSITY=normal CK_DEFAULT_TIMEOUT=60 "$t" >"$u.out" 2>&1; echo $? >"$u.rc") &
	running_units=$((running_units + 1))
done
wait
for t in "${units[@]}"; do
	u=$OCI_TEST_LOGS/unit/$(basename "$t")
	unit_report "$t" "$(cat "$u.out")" "$(cat "$u.rc" 2>/dev/null)"
done
unit_us=$(($(now_us) - unit_start))

filters=("$@")
files=()
for f in tests/integration/*.bats; do
	[ -e "$f" ] || continue
	if [ ${#filters[@]} -gt 0 ]; then
		m=0; for p in "${filters[@]}"; do [[ "$f" == *"$p"* ]] && m=1; done
		[ $m = 1 ] || continue
	fi
	files+=("$f")
done

# report I: the result line of file I (and its failures and skips), from its TAP log.
report() {
	local f=${files[$1]} base log p s n plan us
	base=$(basename "$f" .bats)
	log="$OCI_TEST_LOGS/$base.tap"
	p=$(grep -acE '^ok [0-9]+' "$log" | tr -d ' ')
	s=$(grep -acE '^ok [0-9]+ .*# skip' "$log" | tr -d ' ')
	n=$(grep -acE '^not ok [0-9]+' "$log" | tr -d ' ')
	plan=$(grep -aE '^1\.\.[0-9]+' "$log" | head -1 | cut -d. -f3)
	# A file that died before finishing its plan counts its missing tests as failures; one
	# that printed no plan, or ran no test (1..0: its tests are not seen as tests), counts as
	# one failure (01-harness.bats shows each).
	if [ -n "$plan" ] && [ $((p + n)) -lt "$plan" ]; then n=$((plan - p)); fi
	if [ -z "$plan" ] || [ "$plan" = 0 ]; then n=$((n + 1)); fi
	passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + n))
	us=$((file_end[$1] - file_start[$1]))
	files_us=$((files_us + us))
	echo "integration $(basename "$f"): $((p - s)) passed, $n failed, $s skipped in $(secs $us) (cpu $(secs "${file_cpu[$1]}"), from +$(secs $((file_start[$1] - int_start))), ${slot_of[$1]} slot)"
	if [ "$n" -gt 0 ]; then
		if [ -z "$plan" ] || [ "$plan" = 0 ]; then
			echo "  the file ran no test; its output:"
			head -20 "$log" | sed 's/^/  /'
		fi
		grep -a -A15 -E '^not ok' "$log" | sed 's/^/  /' | head -80
		failed_names+=("$f")
	fi
	grep -aE '^ok [0-9]+ .*# skip' "$log" | sed 's/^/  /'
}

# The files that mostly wait (on timeouts, sleeps that are the test, engines): wall time
# well over their CPU time (seconds of wall/CPU on the quiet CI machine in the comment). One
# of them may run beside OCI_TEST_JOBS busy files (the IDLE slot, OCI_TEST_IDLE_JOBS); more
# of them take ordinary slots.
declare -A IDLE=(
	[13-fetch-faults]=1   # 21/9: stalled and dropped connections, retry back-off
	[43-run-pause]=1      # 48/9 (when each pause waited 5 s): frozen containers observed
	[48-run-events]=1     # 21/12: events --interval
	[61-containerd]=1     # 24/11: containerd's shim and its timeouts
	[90-readme]=1         # 15/6
)

# The order files start in: those that must run alone first (then nothing waits behind them
# with a core idle), then FIRST: the chain of files sharing "cpu" (one at a time, the longest
# chain of the run: each must start as soon as the one before ends, so they come before
# anything that could take the freed slot) and then the other long files, longest first (a
# long file started last would end the run alone); then the rest in file order. Results
# print in file order whatever the start order. The CI figures (wall s) behind FIRST:
# 82 104, 83 87, 80 76, 47-lsm ~60, 71-cve-mounts 57; 20-unpack-hostile 69, 60-podman 58,
# 40-run-isolation 55, 19-fetch-policy 42, 42-run-exec 37, 41-run-seccomp 34, 91-install 34;
# 21-unpack-debian took 102 s in this machine's baseline of 2026-12-07, where it started at
# +362 s, behind every file of FIRST.
FIRST=(82-run-events-criu 83-systemd-cgroup 80-cgroupv2 47-run-lsm 71-cve-mounts 71-cve-dev
	71-cve-proc 74-cve-review3 72-cve-review
	21-unpack-debian 20-unpack-hostile 60-podman 40-run-isolation 19-fetch-policy 42-run-exec
	41-run-seccomp 91-install 00-fixtures 11-fetch-auth 70-cve-exec 40-run-lifecycle 10-fetch-basic)
order=()
for ((i = 0; i < ${#files[@]}; i++)); do
	[ -n "${PARALLEL[$(basename "${files[$i]}" .bats)]+set}" ] || order+=("$i")
done
for e in "${FIRST[@]}"; do
	for ((i = 0; i < ${#files[@]}; i++)); do
		[ "$(basename "${files[$i]}" .bats)" = "$e" ] && [ -n "${PARALLEL[$e]+set}" ] && order+=("$i")
	done
done
for ((i = 0; i < ${#files[@]}; i++)); do
	[[ " ${order[*]} " == *" $i "* ]] || order+=("$i")
done

# Scheduling state per file: "" waiting, "run", "done"; the resources held by running files;
# the slot each running file took (busy, idle or spare) and how many of each are taken.
declare -a state=() file_start=() file_end=() file_cpu=() slot_of=()
declare -A job_of=() held=()
running=0 busy=0 idle=0 spare=0 alone=0 next=0 files_us=0

# cpu_sample: sets CPU_SPARE to 1 when the machine's CPUs (all of them: /proc/stat, other
# users' work included) were less than half busy since the previous sample, 0 when not; a
# sample less than 2 s after the previous one keeps the previous answer (too short to tell).
CPU_SPARE=0 stat_busy=0 stat_total=0 ncpu=$(nproc)
cpu_sample() {
	local c u n sy id io irq sirq st rest b t
	read -r c u n sy id io irq sirq st rest </proc/stat
	b=$((u + n + sy + irq + sirq + st))
	t=$((b + id + io))
	# USER_HZ ticks of every CPU: 2 s of the machine is 200 per CPU
	[ $((t - stat_total)) -ge $((200 * ncpu)) ] || return 0
	if [ "$stat_total" -gt 0 ] && [ $(((b - stat_busy) * 2)) -lt $((t - stat_total)) ]; then
		CPU_SPARE=1
	else
		CPU_SPARE=0
	fi
	stat_busy=$b stat_total=$t
}

# slot_for I: the slot file I would take now ("busy", "idle" or "spare"; an IDLE file takes the
# idle slot first, leaving the busy ones to busy files; the spare slot only while the CPUs
# are less than half busy), or none (status 1).
slot_for() {
	if [ -n "${IDLE[$(basename "${files[$1]}" .bats)]+set}" ] && [ "$idle" -lt "$idle_max" ]; then
		echo idle
	elif [ "$busy" -lt "$jobs_max" ]; then
		echo busy
	elif [ "$spare" -lt "$spare_max" ] && [ "$CPU_SPARE" = 1 ]; then
		echo spare
	else
		return 1
	fi
}

# can_start I: whether file I may start now, given what runs.
can_start() {
	local base r
	base=$(basename "${files[$1]}" .bats)
	[ "$alone" = 0 ] || return 1
	if [ -z "${PARALLEL[$base]+set}" ]; then
		[ "$running" = 0 ]
		return
	fi
	slot_for "$1" >/dev/null || return 1
	for r in ${PARALLEL[$base]}; do
		[ -z "${held[$r]:-}" ] || return 1
	done
}

start() {
	local i=$1 base r
	base=$(basename "${files[$i]}" .bats)
	if [ -z "${PARALLEL[$base]+set}" ]; then
		alone=1
		slot_of[$i]=busy
	else
		for r in ${PARALLEL[$base]}; do held[$r]=1; done
		slot_of[$i]=$(slot_for "$i")
	fi
	case ${slot_of[$i]} in
	idle) idle=$((idle + 1)) ;;
	spare) spare=$((spare + 1)) ;;
	*) busy=$((busy + 1)) ;;
	esac
	state[$i]=run
	running=$((running + 1))
	file_start[$i]=$(now_us)
	bats --tap --timing "${files[$i]}" >"$OCI_TEST_LOGS/$base.tap" 2>&1 &
	job_of[$!]=$i
}

finish() {
	local i=$1 base r
	base=$(basename "${files[$i]}" .bats)
	file_end[$i]=$(now_us)
	if [ -z "${PARALLEL[$base]+set}" ]; then
		alone=0
	else
		for r in ${PARALLEL[$base]}; do unset "held[$r]"; done
	fi
	case ${slot_of[$i]} in
	idle) idle=$((idle - 1)) ;;
	spare) spare=$((spare - 1)) ;;
	*) busy=$((busy - 1)) ;;
	esac
	state[$i]=done
	running=$((running - 1))
}

int_start=$(now_us)
cpu_now
int_cpu_start=$CPU_US cpu_before=$CPU_US
cpu_sample
tick=
while [ "$next" -lt ${#files[@]} ]; do
	# Start what may start, in the start order; a file that must run alone waits for the ones
	# before it and holds back the ones after it.
	cpu_sample
	waiting=0
	for i in "${order[@]}"; do
		[ -z "${state[$i]:-}" ] || continue
		if can_start "$i"; then
			start "$i"
		else
			waiting=1
			[ -n "${PARALLEL[$(basename "${files[$i]}" .bats)]+set}" ] || break
		fi
	done
	# while a file waits and the spare slot is free, look at the CPUs again in 3 s (a tick
	# that ends the wait below) rather than only when a file ends
	if [ -z "$tick" ] && [ "$waiting" = 1 ] && [ "$spare" -lt "$spare_max" ] && [ "$alone" = 0 ]; then
		sleep 3 &
		tick=$!
	fi
	pid=
	wait -n -p pid
	if [ -n "$pid" ] && [ "$pid" = "$tick" ]; then
		tick=
		continue
	fi
	[ -n "$pid" ] && [ -n "${job_of[$pid]:-}" ] || continue
	cpu_now
	file_cpu[${job_of[$pid]}]=$((CPU_US - cpu_before))
	cpu_before=$CPU_US
	finish "${job_of[$pid]}"
	unset "job_of[$pid]"
	while [ "$next" -lt ${#files[@]} ] && [ "${state[$next]:-}" = done ]; do
		report "$next"
		next=$((next + 1))
	done
done
int_us=$(($(now_us) - int_start))
[ -z "$tick" ] || kill "$tick" 2>/dev/null

rm -f "$OCI_TEST_LOGS/.times"
[ ${#failed_names[@]} -gt 0 ] && echo "failing: ${failed_names[*]}"
echo "time: unit $(secs $unit_us); integration $(secs $int_us) ($(secs $files_us) of files, up to $jobs_max at a time + $idle_max idle + $spare_max spare; cpu $(secs $((CPU_US - int_cpu_start))))"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
