#!/bin/sh
# Compiles policy.conf (the SELinux policy of the test guest) into the binary policy OUT that
# the guest loads: MLS, and handle_unknown allow (what the policy does not declare is allowed).
#   build.sh OUT    exit 0, or 1 with one line saying what is missing
set -eu
out=${1:?usage: build.sh OUT}
command -v checkpolicy >/dev/null || { echo "needs checkpolicy (package checkpolicy)"; exit 1; }
checkpolicy -M -U allow -o "$out" "$(dirname "$0")/policy.conf" >/dev/null
