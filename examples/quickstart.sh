#!/usr/bin/env bash
# The whole workflow on a built-in default: a local registry serves a busybox image built
# from the host's busybox-static, then fetch -> unpack -> bundle -> run. Everything it makes
# (registry storage, image, bundle, container state) lives in one temporary directory that is
# removed at the end, also on failure or Ctrl-C.
#
#   examples/quickstart.sh                  # local registry (no network needed)
#   IMAGE=busybox examples/quickstart.sh    # the same pipeline against docker.io
#   KEEP=1 examples/quickstart.sh           # keep the directory (its path is printed)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=${OCI_BUILD:-$TOP/build}:$PATH
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oci-demo.XXXXXX")
# the registry and image helpers make their directories under TMPDIR: inside WORK
export TMPDIR=$WORK
ID=oci-demo-$$

cleanup() {
	oci-run --root "$WORK/state" delete --force "$ID" >/dev/null 2>&1 || true
	[ -n "${REGISTRY_STARTED:-}" ] && registry_stop >/dev/null 2>&1 || true
	if [ -n "${KEEP:-}" ]; then
		echo "== kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${IMAGE:-}" ]; then
	# shellcheck source=../tests/lib/registry.bash
	source "$TOP/tests/lib/registry.bash"
	# shellcheck source=../tests/lib/images.bash
	source "$TOP/tests/lib/images.bash"
	echo "== starting a local registry and pushing a busybox image built from /bin/busybox"
	registry_start plain
	REGISTRY_STARTED=1
	image_push_busybox demo/busybox latest --cmd '["/bin/sh","-c","echo Hello from an oci-toolkit container: hostname $(hostname), pid $$, user $(id -un)"]' >/dev/null
	IMAGE=$REGISTRY/demo/busybox:latest
fi

echo "== oci-fetch $IMAGE | oci-unpack --bundle BUNDLE"
oci-fetch --quiet --cache "$WORK/cache" "$IMAGE" | oci-unpack --quiet --bundle "$WORK/bundle"
echo "== oci-bundle edit --hostname oci-demo; oci-bundle validate"
oci-bundle edit --bundle "$WORK/bundle" --hostname oci-demo
oci-bundle validate "$WORK/bundle"
echo "== oci-run run $ID"
cd "$WORK/bundle"
oci-run --root "$WORK/state" run "$ID"
cd /
echo "== done; nothing is left behind (KEEP=1 keeps the bundle; 'make try' leaves a registry to play with)"
