#!/usr/bin/env bash
# The whole workflow on a built-in default: a local registry serves a busybox image built
# from the host's busybox-static, then fetch -> unpack -> bundle -> run.
#
#   examples/quickstart.sh            # local registry (no network needed)
#   IMAGE=busybox examples/quickstart.sh   # the same pipeline against docker.io
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=${OCI_BUILD:-$TOP/build}:$PATH
WORK=${WORK:-$(mktemp -d /tmp/oci-demo.XXXXXX)}
ID=oci-demo-$$
mkdir -p "$WORK"

cleanup() {
	oci-run delete --force "$ID" >/dev/null 2>&1 || true
	[ -n "${REGISTRY_STARTED:-}" ] && registry_stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [ -z "${IMAGE:-}" ]; then
	# shellcheck source=../tests/lib/registry.bash
	source "$TOP/tests/lib/registry.bash"
	# shellcheck source=../tests/lib/images.bash
	source "$TOP/tests/lib/images.bash"
	echo "== starting a local registry and pushing a busybox image built from /bin/busybox"
	registry_start plain
	REGISTRY_STARTED=1
	image_push_busybox demo/busybox latest --cmd '["/bin/sh","-c","echo Hello from an oci-toolkit container: $(hostname), pid $$, user $(id -un)"]' >/dev/null
	IMAGE=$REGISTRY/demo/busybox:latest
fi

echo "== oci-fetch $IMAGE | oci-unpack --bundle $WORK/bundle"
oci-fetch --quiet --cache "$WORK/cache" "$IMAGE" | oci-unpack --quiet --bundle "$WORK/bundle"
echo "== oci-bundle validate"
oci-bundle validate "$WORK/bundle"
echo "== oci-run run $ID"
cd "$WORK/bundle"
oci-run --root "$WORK/state" run "$ID"
echo "== done: bundle in $WORK/bundle"
