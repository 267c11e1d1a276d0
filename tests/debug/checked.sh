#!/bin/bash
# Runs in the debug-kernel guest (scripts/test-debug.sh): run one guest test,
# then look for what the debug kernel found while it ran.
#
#   scripts/guest.sh run tests/debug/checked.sh TEST [ARGS...]
#
# After TEST: unload xmesh (so that whatever it still holds is either freed
# or leaked), let kmemleak scan twice, and report, as TAP lines, whether the
# kernel logged KASAN, lockdep/RCU, sleep-in-atomic, debugobjects/refcount or
# other WARN/BUG reports, and whether kmemleak found unreferenced objects.
# Leak suspects from before TEST (boot) are cleared first. Exit status: TEST's,
# or 1 if it passed and a check did not. (guest.sh's own dmesg check follows.)
set -uo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 TEST [ARGS...]" >&2; exit 2; }
test=$1
shift
name=${test##*/}
KMEMLEAK=/sys/kernel/debug/kmemleak
# How long kmemleak lets a new object go unreferenced before calling it a
# leak is 5 s; the second scan comes after that.
SCAN_PAUSE=${XMESH_DEBUG_SCAN_PAUSE:-6}
failed=0

ok() { echo "ok - $*"; }
not_ok() {
	local name=$1
	shift
	echo "not ok - $name"
	[[ $# -eq 0 ]] || printf '%s\n' "$@" | sed 's/^/#   /'
	failed=1
}

kmemleak() { echo "$1" >"$KMEMLEAK"; }

if [[ -w $KMEMLEAK ]]; then
	# Report what is unreferenced now, then forget it: not TEST's doing.
	kmemleak scan
	kmemleak clear
fi
marker="xmesh-debug: start $name $$-$RANDOM$RANDOM"
echo "$marker" >/dev/kmsg

if [[ -x $test ]]; then
	"$test" "$@" </dev/null
else
	bash "$test" "$@" </dev/null
fi
rc=$?

# --- unload the module: its teardown paths are checked too
if grep -q '^xmesh ' /proc/modules; then
	out=
	# Namespaces the test deleted are dismantled asynchronously; give
	# that a moment before calling a refusal a failure.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		out=$(modprobe -r xmesh 2>&1) && break
		sleep 1
	done
	if grep -q '^xmesh ' /proc/modules; then
		not_ok "xmesh unloads after $name" "$out" "$(grep '^xmesh ' /proc/modules)"
	else
		ok "xmesh unloads after $name"
	fi
fi

# --- kmemleak
if [[ -w $KMEMLEAK ]]; then
	kmemleak scan
	sleep "$SCAN_PAUSE"
	kmemleak scan
	leaks=$(cat "$KMEMLEAK")
	if grep -q 'unreferenced object' <<<"$leaks"; then
		n=$(grep -c 'unreferenced object' <<<"$leaks")
		not_ok "kmemleak: no unreferenced objects after $name ($n found)" "$leaks"
	else
		ok "kmemleak: no unreferenced objects after $name"
	fi
else
	not_ok "kmemleak: no unreferenced objects after $name" \
		"$KMEMLEAK is missing: not the debug kernel, or kmemleak disabled itself" \
		"$(dmesg | grep -i kmemleak | tail -n 5)"
fi

# --- the kernel log since TEST started, by kind of report
log=$(dmesg | awk -v m="$marker" '{ l[NR] = $0 } index($0, m) { s = NR }
	END { for (i = s + 1; i <= NR; i++) print l[i] }')
# kind|pattern (extended regex); a line counts for the first kind it matches.
kinds=(
	"KASAN|BUG: KASAN|KASAN:"
	"lockdep|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|bad unlock balance|lock held when returning|held lock freed|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|MAX_LOCKDEP|lockdep is turned off|BUG: lockdep"
	"sleep in atomic|sleeping function called from invalid context|scheduling while atomic|in preemptible|Voluntary context switch within RCU"
	"debugobjects/refcount|ODEBUG|refcount_t|leaked reference|ref_tracker|unregister_netdevice: waiting|list_add corruption|list_del corruption"
	"other WARN/BUG/oops|WARNING:|BUG:|Oops|general protection|kernel BUG|UBSAN|detected stall|RCU stall|blocked for more than|segfault|kmemleak: .*(disabled|Cannot)"
)
rest=$log
for k in "${kinds[@]}"; do
	kind=${k%%|*}
	pat=${k#*|}
	hits=$(grep -E "$pat" <<<"$rest")
	rest=$(grep -vE "$pat" <<<"$rest")
	if [[ -n $hits ]]; then
		# The first report (the whole log follows below).
		first=$(grep -nE "$pat" <<<"$log" | head -n1 | cut -d: -f1)
		not_ok "no $kind reports after $name" "$(tail -n +"$first" <<<"$log" | head -n 60)"
	else
		ok "no $kind reports after $name"
	fi
done

if ((failed)); then
	# Every report, for the record (guest.sh shows only the last lines).
	echo "# kernel log since $name started ($(wc -l <<<"$log") lines, at most 4000 shown):"
	head -n 4000 <<<"$log" | sed 's/^/# kernel: /'
fi

((rc)) || rc=$failed
exit "$rc"
