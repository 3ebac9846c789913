#!/usr/bin/env bats
# oci-unpack against hostile layers that aim at memory and time rather than at paths
# (tests/lib/hostile.py). Each runs under an address-space limit and a time bound that only a
# blow-up exceeds: a string per path prefix (400 MB for a 550 KB layer), a walk from the root
# per component made (quadratic in depth), a scan of every recorded directory per removal
# (quadratic in entries). The bounds are several times what the work needs on a loaded
# machine; they are ceilings, not speed targets. DEST is on a tmpfs, so the disk's speed at
# making hundreds of thousands of directories is not what is measured.

load ../lib/common
load ../lib/images

setup() {
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] ||
		skip "needs a writable tmpfs at /dev/shm"
	cd "$BATS_TEST_TMPDIR"
	FAST=$(mktemp -d /dev/shm/oci-unpack-dos.XXXXXX)
}

teardown() {
	[ -z "${FAST:-}" ] || rm -rf "$FAST"
}

# dos CASE MEGABYTES SECONDS [hostile.py options]: build the case as an image layout (no base
# layer) and unpack it into $FAST/rootfs with at most MEGABYTES of address space, for at most
# SECONDS (then SIGTERM: oci-unpack removes its staging directory).
dos() {
	local c=$1 mb=$2 secs=$3
	shift 3
	python3 "$HOSTILE" "$c" "$c.layer" --image L --no-base "$@" >/dev/null
	local lim=(prlimit --as=$((mb << 20)))
	# An ASan build reserves terabytes of address space for its shadow memory: there only the
	# time bound applies (the sanitizer pass looks for memory errors; make check for the bound).
	if ldd "$OCI_UNPACK" 2>/dev/null | grep -q libasan; then
		lim=()
	fi
	run timeout -k 10 "$secs" "${lim[@]}" "$OCI_UNPACK" --layout L ${UNPACK_ARGS:-} "$FAST/rootfs"
	[ "$status" -ne 124 ] || echo "timed out after $secs s" >&2
}

@test "hostile-dos: 100 entries under fresh 1990-deep parents, in 128 MiB and linear time" {
	# each 4 KiB name once cost 4 MiB of recorded prefixes (400 MB in all) and a lookup
	# from the root per parent made: 2000^2 component steps per entry
	dos long-names 128 120
	assert_success
	[ "$(find "$FAST/rootfs" -type f -name f | wc -l)" = 100 ]
	[ "$(find "$FAST/rootfs/042" -type f -printf '%d %s\n')" = "1991 2" ]
	! ls -A "$FAST" | grep -q oci-unpack
}

@test "hostile-dos: the paths a layer names are capped with a clear error (--max-files)" {
	# 2 x --max-files + 65536 paths: 100 entries naming 199,000 parents are over it
	UNPACK_ARGS="--max-files 1000" dos long-names 128 120
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/1"
	assert_output_contains "more than 67536 distinct paths (see --max-files)"
	[ ! -e "$FAST/rootfs" ]
	! ls -A "$FAST" | grep -q oci-unpack
}

@test "hostile-dos: 50000 directories, their whiteouts and 400000 more, in linear time" {
	# every removal once scanned every recorded directory: 50000 x 450000 comparisons
	dos many-whiteouts 512 60
	assert_success
	[ "$(ls -A "$FAST/rootfs")" = kept ]
}

@test "hostile-dos: an opaque whiteout over 150000 directories, in linear time" {
	# the prune forgot each removed directory by scanning all of them: 150000^2
	dos many-opaque 512 60
	assert_success
	[ "$(ls -A "$FAST/rootfs/d")" = kept ]
}
