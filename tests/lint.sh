#!/usr/bin/env bash
# `make format-check`'s test lint: a check that cannot fail is a defect. In bash, `! cmd` never
# stops a script under errexit (bats' tests run under it), so a negated command in the middle
# of a test asserts nothing. Each must end in `|| false` (or be followed by `||` on the line,
# as in `! a || [ ... ]`). Prints each offending line and exits 1.
cd "$(dirname "$0")" || exit 1
bad=$(grep -nE '^[[:space:]]*! ' integration/*.bats integration/*.bash lib/*.bash |
	grep -vE '\|\|')
[ -z "$bad" ] && exit 0
echo "tests/lint.sh: a negated command asserts nothing under errexit; end it with '|| false':"
echo "$bad" | sed 's/^/  tests\//'
exit 1
