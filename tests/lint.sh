#!/usr/bin/env bash
# `make format-check`'s test lint: a check that cannot fail is a defect. In bash, `! cmd` never
# stops a script under errexit (bats' tests run under it), so a negated command in the middle
# of a test asserts nothing. Each must end in `|| false` (or be followed by `||` on the line,
# as in `! a || [ ... ]`). That holds at the start of a line and inside a one-line compound
# command as well: in `for x in ..; do ! cmd; done` (a while loop, `then`, `else`, `{ ...; }`
# alike) no iteration stops the test, and the loop's status is its last one's at best.
# Conditions (`if ! cmd`, `while ! cmd`, `a && ! b; then`) and subshells `( ! cmd )` are
# checks already and are not flagged.
# The same holds for `[ a ] && [ b ]` on a line of its own in a test: errexit ignores a failed
# command of an && list but the last, so only `[ b ]` is checked; each test goes on its own
# line (a helper whose status is its result, like tests/lib's proc_alive, is not in a .bats
# file's test body and is not flagged there: only .bats files are checked for this).
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

# lint_and FILE...: `[ a ] && [ b ]` lines of .bats files, as FILE:LINE: TEXT
lint_and() {
	perl -ne '
		next if /^\s*#/ || $ARGV !~ /\.bats$/;
		print "$ARGV:$.: $_" if /^\s*(?:\[\[?\s.*?\s\]\]?\s*&&\s*)+\[\[?\s.*\s\]\]?\s*$/ && !/\|\|/;
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
and_samples=$(mktemp --suffix=.bats) || exit 1
trap 'rm -f "$samples" "$and_samples"' EXIT
cat >"$and_samples" <<'SAMPLES'
	[ -f a ] && [ ! -L a ]
	[[ "$x" == *y* ]] && [ "$n" -le 3 ] && [ -d d ]
	[ -f a ]
	[ -f a ] && [ -f b ] || return 0
	[ -n "$x" ] && echo "$x"
SAMPLES
if [ "$(lint_and "$and_samples" | wc -l)" != 2 ] || lint_and "$and_samples" | grep -q 'return\|echo\|\[ -f a \]$'; then
	echo "tests/lint.sh: the && rule does not flag its two bad samples (and only them)"
	exit 1
fi
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
bad_and=$(lint_and "$@")
[ -z "$bad" ] && [ -z "$bad_and" ] && exit 0
if [ -n "$bad" ]; then
	echo "tests/lint.sh: a negated command asserts nothing under errexit; end it with '|| false':"
	echo "$bad" | sed "s|^|  $prefix|"
fi
if [ -n "$bad_and" ]; then
	echo "tests/lint.sh: in '[ a ] && [ b ]' errexit checks only the last test; one per line:"
	echo "$bad_and" | sed "s|^|  $prefix|"
fi
exit 1
