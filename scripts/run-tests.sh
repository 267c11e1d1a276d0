#!/bin/bash
# Run xmesh's tests and print one summary line, `N passed, N failed[, N
# skipped]`, counted from the TAP lines (`ok ...` / `not ok ...`) that every
# part prints.
#
#   scripts/run-tests.sh [PART...]    parts: static unit kunit guest
#                                     (default: all, in that order)
#
# A part that exits non-zero without reporting a failure of its own counts
# as one failure, so a crash is never read as a pass.
# Environment: XMESH_GUEST_TESTS: guest test scripts to run (default all of
# tests/guest/[0-9]*.sh).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
log=$(mktemp "${TMPDIR:-/tmp}/xmesh-test.XXXXXX")
trap 'rm -f "$log"' EXIT

# comment TEXT: TEXT as TAP comment lines, under a failure.
comment() {
	printf '%s\n' "$1" | sed 's/^/#   /'
}

# run_part NAME CMD...: run CMD, its output to the terminal and the log.
run_part() {
	local name=$1 start rc before after
	shift
	start=$(date +%s)
	before=$(grep -c '^not ok' "$log")
	echo "# --- $name: $*"
	"$@" </dev/null 2>&1 | sed 's/\r$//' | tee -a "$log"
	rc=${PIPESTATUS[0]}
	after=$(grep -c '^not ok' "$log")
	if ((rc != 0 && after == before)); then
		echo "not ok - $name exited with status $rc" | tee -a "$log"
	fi
	echo "# --- $name took $(($(date +%s) - start)) s"
}

checkpatch() {
	local cp cache=${XMESH_CACHE:-/var/cache/xmesh}/checkpatch f rc=0
	cp=$cache/linux-source-6.1/scripts/checkpatch.pl
	if [[ ! -x $cp ]]; then
		mkdir -p "$cache"
		tar -C "$cache" -xf /usr/src/linux-source-6.1.tar.xz \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch || return 1
	fi
	for f in kmod/*.c kmod/*.h kmod/tests/*.c uapi/linux/*.h; do
		[[ -e $f && $f != *.mod.c ]] || continue
		if out=$("$cp" --no-tree --terse --show-types -f "$f" 2>&1 |
			 grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)'); then
			echo "not ok - checkpatch $f"
			comment "$out"
			rc=1
		else
			echo "ok - checkpatch $f"
		fi
	done
	return $rc
}

sparse_check() {
	local out
	out=$(make -s -C kmod KDIR="$KDIR" C=2 2>&1 | grep -E 'warning|error')
	if [[ -n $out ]]; then
		echo "not ok - sparse kmod"
		comment "$out"
		return 1
	fi
	echo "ok - sparse kmod"
}

# The module also builds against Debian's newest kernel headers (6.12).
build_612() {
	local kdir out
	kdir=$(printf '%s\n' /usr/src/linux-headers-6.12.*-amd64 | sort -V | tail -1)
	if [[ ! -d $kdir ]]; then
		echo "ok - module builds against 6.12 headers # SKIP no linux-headers-6.12 installed"
		return 0
	fi
	tmp=$(mktemp -d)
	cp -r kmod uapi "$tmp/"
	if out=$(make -s -C "$tmp/kmod" KDIR="$kdir" clean modules 2>&1) &&
	   ! grep -q -E 'warning|error' <<<"$out"; then
		echo "ok - module builds against $(basename "$kdir")"
	else
		echo "not ok - module builds against $(basename "$kdir")"
		comment "$out"
	fi
	rm -rf "$tmp"
}

shellcheck_all() {
	local f rc=0
	for f in scripts/*.sh scripts/guest-init tests/guest/*.sh .ci/run; do
		[[ -e $f ]] || continue
		if out=$(shellcheck -x "$f" 2>&1); then
			echo "ok - shellcheck $f"
		else
			echo "not ok - shellcheck $f"
			comment "$out"
			rc=1
		fi
	done
	return $rc
}

# Documentation/*.rst render without a docutils warning (a malformed
# table is one).
rst_check() {
	local f out rc=0
	for f in Documentation/*.rst; do
		if out=$(/usr/bin/python3 - "$f" 2>&1 <<-'EOF'
			import io, sys, docutils.core
			err = io.StringIO()
			docutils.core.publish_string(
			    open(sys.argv[1]).read(), source_path=sys.argv[1],
			    writer_name="null",
			    settings_overrides={"report_level": 2, "halt_level": 5,
			                        "warning_stream": err})
			sys.stdout.write(err.getvalue())
			sys.exit(1 if err.getvalue() else 0)
		EOF
		); then
			echo "ok - rst $f"
		else
			echo "not ok - rst $f"
			comment "$out"
			rc=1
		fi
	done
	return $rc
}

part_static() {
	run_part checkpatch checkpatch
	run_part sparse sparse_check
	run_part build-6.12 build_612
	run_part shellcheck shellcheck_all
	run_part spec scripts/check-spec.sh
	run_part controller-spec scripts/check-controller-spec.sh
	run_part rst rst_check
}

part_unit() {
	run_part agent-unit make -s -C agent check
	run_part controller-unit make -s -C controller check
	run_part install scripts/test-install.sh install
	# The Debian packages: built out of tree (under a minute), then checked.
	run_part deb scripts/deb.sh test
	# The dashboard in headless chromium against a real controller.
	run_part web tests/web/run.sh
	# A short run of every fuzz target; `make fuzz` runs them longer.
	run_part agent-fuzz make -s -C agent fuzz FUZZ_SECONDS="${XMESH_FUZZ_SECONDS:-15}"
	run_part controller-fuzz make -s -C controller fuzz FUZZ_SECONDS="${XMESH_FUZZ_SECONDS:-15}"
	run_part kmod-fuzz make -s -C kmod fuzz FUZZ_SECONDS="${XMESH_FUZZ_SECONDS:-15}"
}

part_kunit() {
	run_part kunit scripts/kunit.sh
}

part_guest() {
	local t tests old dkms
	# shellcheck disable=SC2206 # a list of paths from the caller
	tests=(${XMESH_GUEST_TESTS:-tests/guest/[0-9]*.sh})
	# The previous release's agent, for the mixed-version test (48); the
	# test skips without it.
	if old=$(scripts/old-release.sh 2>&1); then
		export XMESH_OLD_RELEASE_DIR=$old
	else
		printf '%s\n' "$old" | sed 's/^/# /'
	fi
	# 80-packaging.sh installs with DKMS in the guest what DKMS built here
	# (a build in the emulated guest takes over 15 minutes).
	dkms=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-dkms-tree.XXXXXX")
	[[ " ${tests[*]} " != *80-packaging.sh* ]] ||
		run_part "dkms build" scripts/test-install.sh dkms "$dkms"
	for t in "${tests[@]}"; do
		# Tests of the systemd units (NN-systemd.sh) boot systemd as PID 1.
		run_part "guest $(basename "$t")" env \
			XMESH_GUEST_MODULES="$top/kmod/xmesh.ko" XMESH_DKMS_TREE="$dkms" \
			XMESH_GUEST_INIT="$([[ $t != *-systemd.sh ]] || echo systemd)" \
			scripts/guest.sh run "$top/$t"
	done
	rm -rf "$dkms"
}

KABI=$(scripts/guest-kernel.sh --abi)
KDIR=/usr/src/linux-headers-$KABI
export KABI KDIR

parts=("$@")
((${#parts[@]})) || parts=(static unit kunit guest)
start=$(date +%s)
for p in "${parts[@]}"; do
	case $p in
	static|unit|kunit|guest) "part_$p" ;;
	*) echo "run-tests.sh: unknown part $p" >&2; exit 2 ;;
	esac
done

xm_tap_summary "$log" "$start" "all parts"
