#!/usr/bin/env bash
# `make format-check`'s test lint: a check that cannot fail is a defect. In bash, `! cmd` never
# stops a script under errexit (bats' tests run under it), so a negated command in the middle
# of a test asserts nothing. Each must end in `|| false` (or be followed by `||` on the line,
# as in `! a || [ ... ]`). That holds at the start of a line and inside a one-line compound
# command as well: in `for x in ..; do ! cmd; done` (a while loop, `then`, `else`, `{ ...; }`
# alike) no iteration stops the test, and the loop's status is its last one's at best.
# Conditions (`if ! cmd`, `while ! cmd`, `a && ! b; then`) and subshells `( ! cmd )` are
# checks already and are not flagged.
# Usage: tests/lint.sh [FILE...] (default: the integration tests and their libraries).
# Prints each offending line and exits 1.
cd "$(dirname "$0")" || exit 1

# lint FILE...: the offending lines, as FILE:LINE: TEXT
lint() {
	perl -ne '
		next if /^\s*#/;
		my $bad = /^\s*!\s/ && !/\|\|/;
		# a negated command after ";", "do", "then", "else" or "{": up to the next ";"
		# it must have an "||" of its own
		while (/(?:;|\{|\bdo|\bthen|\belse)\s*!\s+([^;]*?)(?=;|$)/g) {
			$bad = 1 unless $1 =~ /\|\|/;
		}
		print "$ARGV:$.: $_" if $bad;
		close ARGV if eof;
	' "$@"
}

# The rule on samples first: a lint that stops flagging what it must passes every test.
samples=$(mktemp) || exit 1
trap 'rm -f "$samples"' EXIT
cat >"$samples" <<'SAMPLES'
! grep -q x file # BAD
for k in $kids; do ! grep -q sleep /proc/$k/cmdline 2>/dev/null; done # BAD
while read -r l; do ! [ "$l" = x ]; done <f # BAD
if [ -e f ]; then ! grep -q x f; fi # BAD
if [ -e f ]; then :; else ! grep -q x f; fi # BAD
{ ! grep -q x f; } # BAD
for k in a b; do ! grep -q x $k || false; ! grep -q y $k; done # BAD
! grep -q x file || false # ok
! a || [ -e b ] # ok
for k in $kids; do ! grep -q sleep /proc/$k/cmdline 2>/dev/null || false; done # ok
if ! grep -q x f; then echo; fi # ok
while ! grep -q x f; do sleep 1; done # ok
if [ -e f ] && ! grep -q x f; then echo; fi # ok
[ ! -e f ] # ok
( ! grep -q x f ) # ok
# for k in a; do ! grep x; done # ok
SAMPLES
want=$(grep -c '# BAD$' "$samples")
got=$(lint "$samples" | grep -c '# BAD$')
wrong=$(lint "$samples" | grep '# ok$')
if [ "$got" != "$want" ] || [ -n "$wrong" ]; then
	echo "tests/lint.sh: the rule flags $got of its $want bad samples${wrong:+, and good ones:}"
	[ -z "$wrong" ] || echo "$wrong"
	exit 1
fi

if [ $# -eq 0 ]; then
	set -- integration/*.bats integration/*.bash integration/*.sh lib/*.bash
	prefix=tests/
else
	cd "$OLDPWD" || exit 1
	prefix=
fi
bad=$(lint "$@")
[ -z "$bad" ] && exit 0
echo "tests/lint.sh: a negated command asserts nothing under errexit; end it with '|| false':"
echo "$bad" | sed "s|^|  $prefix|"
exit 1
