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
# A negated command that ends an && or || list (`[ -e f ] && ! grep -q x f`, `[ "$o" = x ] ||
# ! is_oci_run`) is no check either: errexit ignores a negated status wherever it stands, so
# it needs its `|| false` too (`! is_oci_run || [ "$o" = x ]` puts the check last instead).
# More of the same kind, each with samples below that it must flag and let pass:
# - an assert_* helper before an && (`is_oci_run && assert_one_line_error x && assert_...`):
#   only the last command of the list is checked (a condition goes in an `if`);
# - a wait loop, `COND && break` with a sleep in the loop: when COND never comes it carries
#   on as if it had; tests/lib's wait_until / wait_for_file fail the test saying what did
#   not come (a loop whose failure does not matter says `# best effort` on its break line);
# - `run CMD` in a test with no look at $status, $output or $lines (nor an assert_* or a
#   helper that looks) before the next `run` or the test's end: the command's result is lost;
# - `skip` with no reason; grep with an empty pattern, and assert_output_contains "", which
#   match any output.
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
		# a negated command that ends an && or || list, on a line that is no condition
		my $cond = /^\s*(?:if|elif|while|until)\s/ || /(?:;|\s)(?:then|do)\s*(?:#.*)?$/;
		while (!$cond && /(?:&&|\|\|)\s*!\s+([^;]*?)(?=;|$)/g) {
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

# lint_more FILE...: the other classes of the header, as FILE:LINE: RULE: TEXT. The
# helpers that look at a run's result are found in the files given and in tests/lib and
# the integration libraries (a helper calling one looks too).
lint_more() {
	perl -e '
		my (%body, %checker, @files);
		for my $f (@ARGV) { push @files, $f }
		# function bodies: NAME() { ... } up to a "}" at the start of a line
		for my $f (@files, glob("'"$PWD"'/lib/*.bash"), glob("'"$PWD"'/integration/*.bash")) {
			open(my $h, "<", $f) or next;
			my $name;
			while (<$h>) {
				if (/^([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{/) { $name = $1; $body{$name} = ""; next }
				if (defined $name) {
					if (/^\}/) { undef $name; next }
					$body{$name} .= $_ unless /^\s*#/;
				}
			}
		}
		my $looks = qr/\$\{?(?:status|output|lines)\b|\bassert_\w+|\brun\s+(?:-[0-9]|!)/;
		$checker{$_} = 1 for grep { $body{$_} =~ $looks } keys %body;
		for (my $more = 1; $more;) {
			$more = 0;
			for my $n (keys %body) {
				next if $checker{$n};
				for my $c (keys %checker) {
					if ($body{$n} =~ /(?:^|[\s;&|(!])\Q$c\E\b/m) { $checker{$n} = 1; $more = 1; last }
				}
			}
		}
		my $checkers = join("|", map { quotemeta } sort keys %checker) || "(?!)";
		for my $f (@files) {
			open(my $h, "<", $f) or next;
			my $bats = $f =~ /\.bats$/;
			my $sh = $f =~ /\.sh$/;
			my ($intest, $pending, $pline, $ptext) = (0, 0);
			my @lines = <$h>;
			for (my $i = 0; $i < @lines; $i++) {
				$_ = $lines[$i];
				my $n = $i + 1;
				next if /^\s*#/;
				my $cond = /^\s*(?:if|elif|while|until)\s/ || /(?:;|\s)(?:then|do)\s*(?:#.*)?$/;
				if (!$cond && !/\|\|/ && /\bassert_\w+[^;|&]*&&/) {
					print "$f:$n: assert-and: $_";
				}
				if (!$sh && /&&\s*(?:break|return 0)\b/ && !/#\s*best effort/) {
					# a sleep in the same loop: after the break, or before it since the "do"
					my $poll = /&&\s*(?:break|return 0)\s*;\s*sleep\b/;
					my $j;
					for ($j = $i + 1; !$poll && $j < @lines && $j <= $i + 3; $j++) {
						last if $lines[$j] =~ /^\s*done\b/;
						$poll = 1 if $lines[$j] =~ /^\s*sleep\b/;
					}
					for ($j = $i - 1; !$poll && $j >= 0 && $j >= $i - 3; $j--) {
						last if $lines[$j] =~ /\bdo\s*$/;
						$poll = 1 if $lines[$j] =~ /^\s*sleep\b/;
					}
					if ($poll && /&&\s*return 0\b/) {
						# a helper that returns 0 when the condition came is right when
						# it fails after the loop, not when it ends with the status of the loop
						my $k = $i + 1;
						$k++ while $k < @lines && $lines[$k] !~ /\bdone\b/;
						$k++;
						$k++ while $k < @lines && $lines[$k] =~ /^\s*$/;
						$poll = $k >= @lines || $lines[$k] =~ /^\}/;
					}
					print "$f:$n: wait-loop: $_" if $poll;
				}
				print "$f:$n: skip: $_" if /(?:^|[\s;&|{])skip(?:\s*(?:$|[;&|}#])|\s+(?:""|\x27\x27)(?:\s|$))/;
				print "$f:$n: empty-pattern: $_"
					if /\bgrep\b[^|;]*?\s(?:-e\s+)?(?:""|\x27\x27)(?:\s|$)/ || /\bassert_output_contains\s+(?:""|\x27\x27)(?:\s|$)/;
				next unless $bats;
				if (/^\s*\@test\s/) { $intest = 1; $pending = 0; next }
				next unless $intest;
				my $end = /^\}/;
				my $anyrun = /^\s*run\s/;
				my $isrun = $anyrun && !/^\s*run\s+(?:-[0-9]|!)/;
				if ($pending && ($end || $anyrun)) { print "$f:$pline: run-unchecked: $ptext"; $pending = 0 }
				if ($end) { $intest = 0; next }
				if ($isrun) {
					($pending, $pline, $ptext) = (1, $n, $_);
					s/^\s*run\s//;
				}
				$pending = 0 if $pending && (/$looks/ || /(?:^|[\s;&|(!{])(?:$checkers)\b/);
			}
		}
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
[ -e f ] && ! grep -q x f # BAD
[ "$o" = x ] || ! is_oci_run # BAD
a || b || ! grep -q sleep f # BAD
! grep -q x file || false # ok
[ -e f ] && ! grep -q x f || false # ok
! is_oci_run || [ "$o" = x ] # ok
[ -d /proc/$p ] && ! grep -q Z f || break # ok
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
more_samples=$(mktemp --suffix=.bats) || exit 1
trap 'rm -f "$samples" "$and_samples" "$more_samples"' EXIT
cat >"$more_samples" <<'SAMPLES'
looks_at_it() {
	[ "$output" = x ]
}
calls_a_looker() {
	looks_at_it
}
@test "samples" {
	is_oci_run && assert_one_line_error oci-run && assert_output_contains x # BAD
	assert_success && [ -e f ] # BAD
	is_oci_run && assert_output_contains x # ok
	if assert_x && true; then :; fi # ok
	for i in $(seq 100); do [ -e f ] && break; sleep 0.05; done # BAD
	for i in $(seq 100); do
		grep -q ready f && break # BAD
		sleep 0.1
	done
	for d in /dev/a /dev/b; do
		[ -e "$d" ] && break # ok
	done
	for i in 1 2; do rmdir d 2>/dev/null && break; sleep 0.1; done # best effort # ok
	while :; do
		sleep 0.1
		[ -e f ] && break # BAD
	done
}
waits_and_fails() {
	for i in $(seq 10); do
		[ -e f ] && return 0 # ok
		sleep 0.1
	done
	return 1
}
waits_and_passes() {
	for i in $(seq 10); do
		[ -e f ] && return 0 # BAD
		sleep 0.1
	done
}
@test "more samples" {
	[ -e f ] || skip # BAD
	skip "" # BAD
	skip "needs root" # ok
	skip_peer "x" # ok
	grep -q '' f # BAD
	grep -qF "" f # BAD
	assert_output_contains "" # BAD
	grep -q . f # ok
	run true # BAD
	run false # BAD
	echo not a check
	run -0 true # ok
	run true # ok
	assert_success
	run true # ok
	[ "$status" = 0 ]
	run true # ok
	calls_a_looker
	run true # ok
	[ "${lines[0]}" = x ]
	run true # BAD
}
@test "last" {
	run true # ok
	looks_at_it
}
SAMPLES
want=$(grep -c '# BAD$' "$more_samples")
got=$(lint_more "$more_samples" | grep -c '# BAD$')
wrong=$(lint_more "$more_samples" | grep -v '# BAD$')
if [ "$got" != "$want" ] || [ -n "$wrong" ]; then
	echo "tests/lint.sh: the further rules flag $got of their $want bad samples${wrong:+, and good ones:}"
	[ -z "$wrong" ] || echo "$wrong"
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
bad_more=$(lint_more "$@")
[ -z "$bad" ] && [ -z "$bad_and" ] && [ -z "$bad_more" ] && exit 0
if [ -n "$bad" ]; then
	echo "tests/lint.sh: a negated command asserts nothing under errexit; end it with '|| false':"
	echo "$bad" | sed "s|^|  $prefix|"
fi
if [ -n "$bad_and" ]; then
	echo "tests/lint.sh: in '[ a ] && [ b ]' errexit checks only the last test; one per line:"
	echo "$bad_and" | sed "s|^|  $prefix|"
fi
if [ -n "$bad_more" ]; then
	echo "tests/lint.sh: checks that cannot fail (assert-and: only the last of an && list is checked;"
	echo "wait-loop: use wait_until/wait_for_file; run-unchecked: nothing looks at the result;"
	echo "skip: give the reason; empty-pattern: matches anything):"
	echo "$bad_more" | sed "s|^|  $prefix|"
fi
exit 1
