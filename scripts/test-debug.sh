#!/bin/bash
# make test-debug: the guest tests on the debug kernel (KASAN, lockdep,
# kmemleak, debugobjects; see Documentation/debug-kernel.md), and a final
# `N passed, N failed` like scripts/run-tests.sh.
#
#   scripts/test-debug.sh [TEST...]    default: tests/guest/[0-9]*.sh
#
# Builds or reuses the debug kernel (scripts/debug-kernel.sh), builds
# xmesh.ko against it, and runs each test in the guest through
# tests/debug/checked.sh, which unloads the module afterwards, has kmemleak
# scan, and fails on any KASAN, lockdep/RCU, sleep-in-atomic, debugobjects,
# WARN/BUG or kmemleak report. Frames in xmesh.ko of a report are resolved
# to file:line below it.
#
# Without TESTs (and XMESH_GUEST_TESTS), the module's KUnit suites run in
# the debug guest too (tests/debug/kunit.sh), under the same checks.
#
# Environment: XMESH_GUEST_TESTS (tests, as for run-tests.sh); the guest's
# XMESH_GUEST_MEM (default here 2048) and XMESH_GUEST_TIMEOUT (default here
# 3600), and the other XMESH_* of scripts/guest.sh and debug-kernel.sh.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Tests named on the command line are relative to where we were started.
tests=()
for t in "$@"; do
	tests+=("$(realpath -m "$t")")
done
cd "$top" || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-test-debug.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/tap.log
: >"$log"

# A TAP line into the log and onto stdout.
tap() { echo "$*" | tee -a "$log"; }

comment() { sed 's/^/#   /'; }

# Resolve the xmesh.ko frames (func+0xOFF/0xLEN [xmesh]) in the output $1 to
# source lines, with the kernel tree's faddr2line.
resolve_frames() {
	local out=$1 ko=$2 src=$3 frames f
	# Reliable frames only: a `? ` marks a stale word on the stack.
	frames=$(grep -oE '(\] +|caller is )[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+/0x[0-9a-f]+ \[xmesh\]' "$out" |
		sed -E 's/^(\] +|caller is )//; s/ \[xmesh\]$//' | sort -u)
	[[ -n $frames ]] || return 0
	echo "# xmesh.ko frames in the reports above:"
	for f in $frames; do
		"$src/scripts/faddr2line" "$ko" "$f" 2>&1 | grep -v '^$' | sed "s|${ko%/kmod/*}/||; s/^/#   /"
	done
}

start=$(date +%s)

# --- the kernel
t0=$(date +%s)
# (Its messages go straight to stderr: a first build takes long.)
if kdir=$(scripts/debug-kernel.sh kernel); then
	release=$(cat "$kdir/release")
	tap "ok - debug kernel $release ($(($(date +%s) - t0)) s; its build took $(cat "$kdir/build-seconds" 2>/dev/null || echo ?) s)"
else
	tap "not ok - debug kernel builds (see the messages above)"
	kdir=
fi

# --- the module
ko=
if [[ -n $kdir ]]; then
	if ko=$(scripts/debug-kernel.sh module "$work/mod" 2>"$work/module.err"); then
		tap "ok - xmesh.ko builds against $release"
	else
		tap "not ok - xmesh.ko builds against $release"
		comment <"$work/module.err"
		ko=
	fi
fi

# guest_run KO TEST: run TEST in the debug guest with module KO, checked.
guest_run() {
	local ko=$1 t=$2 t0 rc
	echo "# --- debug guest $(basename "$t")"
	t0=$(date +%s)
	XMESH_GUEST_KERNEL_DIR=$kdir XMESH_GUEST_MODULES=$ko \
		XMESH_GUEST_MEM=${XMESH_GUEST_MEM:-2048} \
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-3600} \
		scripts/guest.sh run "$top/tests/debug/checked.sh" "$t" </dev/null 2>&1 |
		sed 's/\r$//' | tee "$work/out" | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if ((rc != 0)) && ! grep -q '^not ok' "$work/out"; then
		tap "not ok - $(basename "$t") exited with status $rc"
	fi
	if [[ -n $src ]] && grep -q '^not ok' "$work/out"; then
		resolve_frames "$work/out" "${ko%/*}/src/kmod/xmesh.ko" "$src"
	fi
	echo "# --- debug guest $(basename "$t") took $(($(date +%s) - t0)) s"
}

# --- the guest tests
if [[ -n $ko ]]; then
	src=$(readlink -f "$kdir/build/source" 2>/dev/null || true)
	kunit=
	if ((${#tests[@]} == 0)) && [[ -z ${XMESH_GUEST_TESTS:-} ]]; then
		kunit=1
	fi
	# shellcheck disable=SC2206 # a list of paths from the caller
	((${#tests[@]})) || tests=(${XMESH_GUEST_TESTS:-tests/guest/[0-9]*.sh})
	for t in "${tests[@]}"; do
		if t=$(realpath -e "$t"); then
			guest_run "$ko" "$t"
		else
			tap "not ok - no test $t"
		fi
	done
	if [[ -n $kunit ]]; then
		if kko=$(scripts/debug-kernel.sh kunit-module "$work/kunit" 2>"$work/kunit.err"); then
			guest_run "$kko" "$top/tests/debug/kunit.sh"
		else
			tap "not ok - xmesh.ko with KUnit suites builds against $release"
			comment <"$work/kunit.err"
		fi
	fi
fi

xm_tap_summary "$log" "$start" test-debug
