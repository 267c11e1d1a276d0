#!/bin/bash
# The xmesh data-plane benchmark (make bench builds first): boots the test
# guest, runs scripts/bench-guest.sh in it (plain routing, vxlan, batman-adv,
# WireGuard and xmesh over the same A -> B -> C line), shows its progress,
# prints the report and writes it, with the command, date and kernels, into
# the results section of Documentation/benchmarks.md.
#
#   scripts/bench.sh
#
# A benchmark prints figures: it fails only when it could not run, never on
# a speed. Environment:
#   XMESH_BENCH_ROUNDS      rounds, every configuration measured in each (10)
#   XMESH_BENCH_SECONDS     seconds per iperf3 run (3)
#   XMESH_BENCH_PINGS       pings per latency sample (50)
#   XMESH_BENCH_CONFIGS     configurations, space-separated (plain vxlan
#                           vxlan-e2e batman wg xmesh)
#   XMESH_BENCH_GRO_ROUNDS  rounds of the xmesh GRO check (3; 0 skips it)
#   XMESH_BENCH_DOC         the file the results go to
#                           (Documentation/benchmarks.md; empty: none)
#   XMESH_GUEST_TIMEOUT     as for scripts/guest.sh (default here: from the
#                           rounds and seconds)
#   XMESH_GUEST_APPEND      as for scripts/guest.sh (default here: warnings
#                           on the console and all CPUs' backtraces on a soft
#                           lockup, so that a hang in a run leaves a trace)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

doc=${XMESH_BENCH_DOC-Documentation/benchmarks.md}
rounds=${XMESH_BENCH_ROUNDS:-10}
secs=${XMESH_BENCH_SECONDS:-3}
read -r -a configs <<<"${XMESH_BENCH_CONFIGS:-plain vxlan vxlan-e2e batman wg xmesh}"
gro=${XMESH_BENCH_GRO_ROUNDS:-3}
[[ $rounds =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ && $gro =~ ^[0-9]+$ ]] ||
	{ echo "bench.sh: XMESH_BENCH_ROUNDS/SECONDS/GRO_ROUNDS must be numbers" >&2; exit 2; }
[[ -f kmod/xmesh.ko ]] || { echo "bench.sh: no kmod/xmesh.ko: run make first" >&2; exit 2; }

# A generous deadline: two iperf3 runs and a ping series per configuration
# and round, each with its (emulated, slow) start-up, plus boot and setup.
# (A full run takes about 60% of it.)
export XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-$((300 + rounds * ${#configs[@]} * (2 * secs + 12) + gro * 3 * (secs + 15)))}

export XMESH_GUEST_APPEND=${XMESH_GUEST_APPEND-loglevel=5 softlockup_all_cpu_backtrace=1}

log=$(mktemp "${TMPDIR:-/tmp}/xmesh-bench.XXXXXX")
trap 'rm -f "$log"' EXIT
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$SECONDS
rc=0
env XMESH_GUEST_MODULES="$top/kmod/xmesh.ko" \
	scripts/guest.sh run scripts/bench-guest.sh 2>&1 | tee "$log" || rc=$?
elapsed=$((SECONDS - t0))

report=$(sed -n '/^----- BEGIN XMESH BENCH REPORT -----$/,/^----- END XMESH BENCH REPORT -----$/p' "$log" |
	sed '1d;$d')
if [[ -z $report ]]; then
	echo "bench.sh: the guest produced no report (exit $rc)" >&2
	exit $((rc ? rc : 1))
fi

# The command as it was given: the settings that differ from the defaults.
cmd=""
for v in $(compgen -e); do
	[[ $v == XMESH_BENCH_* || $v == XMESH_GUEST_MEM || $v == XMESH_GUEST_SMP ]] &&
		cmd+="$v=${!v} "
done
if [[ -n ${MAKELEVEL:-} ]]; then cmd+="make bench"; else cmd+="scripts/bench.sh"; fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- kmod agent 2>/dev/null || commit+=" (with uncommitted changes to kmod/ or agent/)"
host_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

section=$(
	echo "Command: \`$cmd\`  "
	echo "Date: $started; the whole run took $((elapsed / 60)) min $((elapsed % 60)) s.  "
	echo "Tree: $commit. Host: $(nproc) × ${host_cpu:-unknown CPU}, kernel $(uname -r).  "
	echo "$report"
)
printf '\n%s\n' "$section"

if [[ -n $doc ]]; then
	begin='<!-- bench results begin (written by scripts/bench.sh) -->'
	end='<!-- bench results end -->'
	if [[ -f $doc ]] && grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc"; then
		awk -v b="$begin" -v e="$end" -v f=<(printf '%s\n' "$section") '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$doc" >"$doc.new"
		mv "$doc.new" "$doc"
	else
		printf '\n## Results\n\n%s\n%s\n%s\n' "$begin" "$section" "$end" >>"$doc"
	fi
	echo "bench.sh: results written to $doc"
fi
exit "$rc"
