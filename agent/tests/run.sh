#!/bin/sh
# Run the unit test binaries given as arguments as one TAP stream: their
# "ok"/"not ok" lines numbered in sequence, any other output (sanitizer
# reports...) as comments, a binary that exits non-zero without a failed
# test (a crash) as a failure of its own, and the plan at the end.
# Exit status 1 if anything failed.
n=0
failed=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for t in "$@"; do
	name=$(basename "$t")
	echo "# $name"
	"$t" >"$tmp" 2>&1
	rc=$?
	awk -v n="$n" '
		/^ok [0-9]+/     { n++; sub(/^ok [0-9]+/, "ok " n); print; next }
		/^not ok [0-9]+/ { n++; sub(/^not ok [0-9]+/, "not ok " n); print; next }
		/^#/             { print; next }
		                 { print "# " $0 }' "$tmp"
	passed=$(grep -c '^ok [0-9]' "$tmp")
	bad=$(grep -c '^not ok [0-9]' "$tmp")
	n=$((n + passed + bad))
	failed=$((failed + bad))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		n=$((n + 1))
		failed=$((failed + 1))
		echo "not ok $n - $name exited with status $rc"
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
