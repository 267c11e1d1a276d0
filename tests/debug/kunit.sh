#!/bin/bash
# Runs in the debug-kernel guest (scripts/test-debug.sh, through
# tests/debug/checked.sh): load an xmesh.ko built with its KUnit suites
# (CONFIG_XMESH_KUNIT_TEST=y; scripts/debug-kernel.sh kunit-module), which
# run when it loads, and turn their KTAP output in the kernel log into one
# TAP line per case, `ok - suite.case`. So the suites run on x86 under
# KASAN, lockdep and kmemleak, not only in UML (scripts/kunit.sh).
set -uo pipefail

if [[ -z ${XMESH_IN_GUEST:-} ]]; then
	echo "Bail out! run this in the guest: scripts/test-debug.sh"
	exit 1
fi

marker="xmesh-debug-kunit: $$-$RANDOM$RANDOM"
echo "$marker" >/dev/kmsg
if ! out=$(modprobe xmesh 2>&1); then
	echo "not ok - modprobe xmesh (with its KUnit suites)"
	printf '#   %s\n' "$out"
	exit 1
fi
echo "ok - modprobe xmesh (with its KUnit suites)"

# The suites' KTAP, from the kernel log after the marker: a suite opens
# with `    # Subtest: NAME` and its cases report at the same indentation,
# `    ok N NAME` (6.1; later kernels write `ok N - NAME`).
dmesg --notime | awk -v m="$marker" '
	index($0, m) { go = 1; next }
	!go { next }
	/^    # Subtest: / { suite = $3; next }
	/^    (not )?ok [0-9]+ / {
		line = $0
		sub(/^    /, "", line)
		not = (line ~ /^not /)
		sub(/^(not )?ok [0-9]+ (- )?/, "", line)
		printf "%sok - %s.%s\n", not ? "not " : "", suite, line
		n++
		bad += not
	}
	/^(not )?ok [0-9]+ (- )?xmesh/ { suites++ }
	END {
		if (!suites) { print "not ok - KUnit suites reported"; exit 1 }
		printf "# %d suites, %d cases, %d failed\n", suites, n, bad
		exit bad > 0
	}'
