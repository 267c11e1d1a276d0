#!/bin/bash
# The xmesh benchmarks (make bench builds first), each in its own boot of
# the test guest; it shows their progress, prints their reports and writes
# each, with the command, date and kernels, into its results section of
# Documentation/benchmarks.md:
#   dataplane  scripts/bench-guest.sh: plain routing, vxlan, batman-adv,
#              WireGuard and xmesh over the same A -> B -> C line
#   failover   scripts/bench-failover-guest.sh: the outage when a link
#              carrying a stream is cut, xmeshd against babeld and
#              batman-adv
#   sim        scripts/bench-sim.sh, on the host: convergence at 100 to
#              1000 nodes, route computation, control traffic
#   qos        scripts/bench-qos-guest.sh: realtime latency and loss under
#              bulk saturation, QoS on against off, over one and two
#              bottleneck hops
#   gate       tests/guest/43-agent-gate.sh in its bench mode: the packet
#              rate of a pktgen flood from a non-neighbor, saturating the
#              node, it absorbs with and without xmeshd's XDP first gate
#   filter     scripts/bench-filter-guest.sh: TCP throughput and UDP packet
#              rate with 0, 100 and 1000 filter rules
#   mcast      scripts/bench-mcast-guest.sh: multicast fan-out to four
#              receivers against four unicast copies, and the time a
#              tree built by xmeshd takes to repair a cut link
#   controller scripts/bench-controller.sh, on the host: policy
#              propagation to 1000 long-polling agents (three runs);
#              /metrics at 1000 and 10000 nodes; check-in capacity and API throughput of
#              one and of two controllers (a scratch PostgreSQL) with 1000
#              and 10000 simulated agents, and the ratios
#
#   scripts/bench.sh
#
# A benchmark prints figures: it fails only when it could not run, never on
# a speed. Environment:
#   XMESH_BENCH_ROUNDS      rounds, every configuration measured in each (10)
#   XMESH_BENCH_SECONDS     seconds per iperf3 run (3)
#   XMESH_BENCH_PINGS       pings per latency sample (50)
#   XMESH_BENCH_CONFIGS     configurations, space-separated (plain vxlan
#                           vxlan-e2e batman wg xmesh xmesh-auth
#                           xmesh-encrypt)
#   XMESH_BENCH_GRO_ROUNDS  rounds of the xmesh GRO check (3; 0 skips it)
#   XMESH_BENCH_FAILOVER_ROUNDS, _CONFIGS, _CUTS, _MAX
#                           the failover part's (scripts/bench-failover-guest.sh)
#   XMESH_BENCH_QOS_ROUNDS, _PINGS
#                           the QoS part's (scripts/bench-qos-guest.sh)
#   XMESH_GATE_BENCH_SECONDS, _ROUNDS
#                           the gate part's: seconds per flood (5), rounds (3)
#   XMESH_BENCH_FILTER_ROUNDS
#                           the filter part's rounds (3)
#   XMESH_CTL_BENCH_SIZES, XMESH_CTL_BENCH_SECONDS
#                           the controller part's agents (1000 10000) and
#                           seconds of check-in (30)
#   XMESH_BENCH_PARTS       the parts to run (dataplane failover qos gate
#                           filter mcast sim controller)
#   XMESH_BENCH_DOC         the file the results go to
#                           (Documentation/benchmarks.md; empty: none)
#   XMESH_GUEST_TIMEOUT     as for scripts/guest.sh (default here: from the
#                           rounds and seconds, per part)
#   XMESH_GUEST_APPEND      as for scripts/guest.sh (default here: warnings
#                           on the console and all CPUs' backtraces on a soft
#                           lockup, so that a hang in a run leaves a trace)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

doc=${XMESH_BENCH_DOC-Documentation/benchmarks.md}
rounds=${XMESH_BENCH_ROUNDS:-10}
secs=${XMESH_BENCH_SECONDS:-3}
read -r -a configs <<<"${XMESH_BENCH_CONFIGS:-plain vxlan vxlan-e2e batman wg xmesh xmesh-auth xmesh-encrypt}"
gro=${XMESH_BENCH_GRO_ROUNDS:-3}
[[ $rounds =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ && $gro =~ ^[0-9]+$ ]] ||
	{ echo "bench.sh: XMESH_BENCH_ROUNDS/SECONDS/GRO_ROUNDS must be numbers" >&2; exit 2; }
read -r -a parts <<<"${XMESH_BENCH_PARTS:-dataplane failover qos gate filter mcast sim controller}"
f_rounds=${XMESH_BENCH_FAILOVER_ROUNDS:-10}
read -r -a f_configs <<<"${XMESH_BENCH_FAILOVER_CONFIGS:-xmesh xmesh-fast babeld babeld-fast batman batman-fast}"
read -r -a f_cuts <<<"${XMESH_BENCH_FAILOVER_CUTS:-silent-sender silent-middle carrier-sender carrier-middle}"
[[ $f_rounds =~ ^[0-9]+$ ]] ||
	{ echo "bench.sh: XMESH_BENCH_FAILOVER_ROUNDS must be a number" >&2; exit 2; }
q_rounds=${XMESH_BENCH_QOS_ROUNDS:-3}
q_pings=${XMESH_BENCH_QOS_PINGS:-250}
[[ $q_rounds =~ ^[0-9]+$ && $q_pings =~ ^[0-9]+$ ]] ||
	{ echo "bench.sh: XMESH_BENCH_QOS_ROUNDS/PINGS must be numbers" >&2; exit 2; }
for p in "${parts[@]}"; do
	[[ $p == dataplane || $p == failover || $p == qos || $p == gate ||
		$p == filter || $p == mcast || $p == sim || $p == controller ]] ||
		{ echo "bench.sh: unknown part $p (dataplane, failover, qos, gate, filter, mcast, sim, controller)" >&2; exit 2; }
done
[[ -f kmod/xmesh.ko ]] || { echo "bench.sh: no kmod/xmesh.ko: run make first" >&2; exit 2; }

# With autogroups, every session's processes share the CPUs equally, nice
# or not: a niced build in another terminal takes half of a 2-core host
# from the emulated guest, whose timers then run tens of milliseconds late.
if [[ $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null) == 1 ]]; then
	echo "bench.sh: kernel.sched_autogroup_enabled=1: nice does not keep other work off the guest's CPUs;" \
		"run nothing else, or set it to 0 and nice the rest" >&2
fi

export XMESH_GUEST_APPEND=${XMESH_GUEST_APPEND-loglevel=5 softlockup_all_cpu_backtrace=1}

log=$(mktemp "${TMPDIR:-/tmp}/xmesh-bench.XXXXXX")
trap 'rm -f "$log"' EXIT

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

# write_doc BEGIN END HEADING SECTION: SECTION between the marker lines
# BEGIN and END of the results file, or appended under HEADING with them.
write_doc() {
	local begin=$1 end=$2 heading=$3 section=$4
	[[ -n $doc ]] || return 0
	if [[ -f $doc ]] && grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc"; then
		awk -v b="$begin" -v e="$end" -v f=<(printf '%s\n' "$section") '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$doc" >"$doc.new"
		mv "$doc.new" "$doc"
	else
		printf '\n%s\n\n%s\n%s\n%s\n' "$heading" "$begin" "$section" "$end" >>"$doc"
	fi
	echo "bench.sh: results written to $doc"
}

# publish TAG HEADING SECTION: print SECTION and write it to the results
# file between the TAG results markers, under HEADING the first time.
publish() {
	printf '\n%s\n' "$3"
	write_doc "<!-- $1 results begin (written by scripts/bench.sh) -->" \
		"<!-- $1 results end -->" "$2" "$3"
}

# publish_part WHAT TAG HEADING: publish a guest part's REPORT under its
# HEADER (run_part); 1, with status set, when the guest printed none.
publish_part() {
	if [[ -z $REPORT ]]; then
		echo "bench.sh: the guest produced no $1 report (exit $rc)" >&2
		status=$((rc ? rc : 1))
		return 1
	fi
	publish "$2" "$3" "$(printf '%s\n%s\n' "$HEADER" "$REPORT")"
}

# run_part SCRIPT NAME: run SCRIPT in the guest (XMESH_GUEST_TIMEOUT set by
# the caller); REPORT gets what it printed between its BEGIN and END
# lines (XMESH NAME REPORT), HEADER the lines about the run; returns the
# guest's status.
run_part() {
	local script=$1 name=$2 started t0 elapsed rc=0 load0
	started=$(date -u '+%Y-%m-%d %H:%M UTC')
	load0=$(cut -d' ' -f1 /proc/loadavg)
	t0=$SECONDS
	env XMESH_GUEST_MODULES="$top/kmod/xmesh.ko" \
		scripts/guest.sh run "$script" 2>&1 | tee "$log" || rc=$?
	elapsed=$((SECONDS - t0))
	REPORT=$(sed -n "/^----- BEGIN XMESH $name REPORT -----\$/,/^----- END XMESH $name REPORT -----\$/p" "$log" |
		sed '1d;$d')
	HEADER=$(
		echo "Command: \`$cmd\`  "
		echo "Date: $started; the whole run took $((elapsed / 60)) min $((elapsed % 60)) s.  "
		echo "Tree: $commit. Host: $(nproc) × ${host_cpu:-unknown CPU}, kernel $(uname -r); load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end.  "
	)
	return "$rc"
}

# host_part TAG SCRIPT HEADING WHAT HOSTNOTE: run SCRIPT on the host and
# publish what it printed; its status.
host_part() {
	local tag=$1 script=$2 heading=$3 what=$4 note=$5 t0=$SECONDS out rc=0
	echo "bench.sh: $what ($script, on the host)"
	out=$("$script" 2>&1) || rc=$?
	publish "$tag" "$heading" "$(
		echo "Command: \`$cmd\` (the $tag part)  "
		echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); it took $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s.  "
		echo "Tree: $commit. Host: $(nproc) × ${host_cpu:-unknown CPU} $note.  "
		echo
		echo '```'
		echo "$out"
		echo '```'
	)"
	return "$rc"
}

status=0
for part in "${parts[@]}"; do
	rc=0
	case $part in
	dataplane)
		# A generous deadline: two iperf3 runs and a ping series per
		# configuration and round, each with its (emulated, slow)
		# start-up, plus boot and setup. (A full run takes about 60% of
		# it.)
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((300 + rounds * ${#configs[@]} * (2 * secs + 12) + gro * 3 * (secs + 15)))} \
			run_part scripts/bench-guest.sh BENCH || rc=$?
		publish_part data-plane bench '## Results' || continue
		;;
	failover)
		# Per sample: start-up, a second of stream, the outage (babeld
		# at its defaults: 10-20 s), 2 s of recovery, the restore; plus
		# boot and setup.
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((600 + f_rounds * ${#f_configs[@]} * ${#f_cuts[@]} * 30))} \
			run_part scripts/bench-failover-guest.sh FAILOVER || rc=$?
		publish_part failover failover '## Failover results' || continue
		;;
	sim)
		host_part sim scripts/bench-sim.sh '## Simulator results' \
			"the simulator" "(CPU times: a shared host slows them little)" ||
			rc=$?
		;;
	controller)
		host_part controller scripts/bench-controller.sh \
			'# Controller scale' "the controller" \
			"load $(cut -d' ' -f1-3 /proc/loadavg) at the start" || rc=$?
		;;
	qos)
		# Per round six samples of the pings plus 6 s of start-up and
		# bulk; plus boot and setup.
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((300 + q_rounds * 6 * (q_pings / 50 + 15)))} \
			XMESH_BENCH_QOS_ROUNDS=$q_rounds XMESH_BENCH_QOS_PINGS=$q_pings \
			run_part scripts/bench-qos-guest.sh QOS || rc=$?
		publish_part QoS qos '## QoS results' || continue
		;;
	gate)
		# Per round: two agent starts and two floods, plus the test's
		# own checks, boot and setup.
		export XMESH_GATE_BENCH_SECONDS=${XMESH_GATE_BENCH_SECONDS:-5}
		export XMESH_GATE_BENCH_ROUNDS=${XMESH_GATE_BENCH_ROUNDS:-3}
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((900 + XMESH_GATE_BENCH_ROUNDS * 2 * (XMESH_GATE_BENCH_SECONDS + 120)))} \
			run_part tests/guest/43-agent-gate.sh GATE || rc=$?
		publish_part gate gate '## First gate results' || continue
		;;
	filter)
		# Per round seven rule sets (scripts/bench-filter-guest.sh's
		# COUNTS), two runs each, plus installing up to 1000 rules;
		# plus boot and setup.
		export XMESH_BENCH_FILTER_ROUNDS=${XMESH_BENCH_FILTER_ROUNDS:-3}
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((300 + XMESH_BENCH_FILTER_ROUNDS * 7 * (2 * secs + 30)))} \
			XMESH_BENCH_SECONDS=$secs \
			run_part scripts/bench-filter-guest.sh FILTER || rc=$?
		if [[ -z $REPORT ]]; then
			echo "bench.sh: the guest produced no filter report (exit $rc)" >&2
			status=$((rc ? rc : 1))
			continue
		fi
		section=$(printf '%s\n%s\n' "$HEADER" "$REPORT")
		printf '\n%s\n' "$section"
		write_doc '<!-- filter results begin (written by scripts/bench.sh) -->' \
			'<!-- filter results end -->' '## Filter results' "$section"
		;;
	mcast)
		export XMESH_BENCH_MCAST_ROUNDS=${XMESH_BENCH_MCAST_ROUNDS:-3}
		export XMESH_BENCH_MCAST_SECONDS=${XMESH_BENCH_MCAST_SECONDS:-5}
		# Per round: the fan-out's two modes, then the repair part's
		# four samples (each up to a minute on a loaded host).
		XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT_SET:-$((420 + XMESH_BENCH_MCAST_ROUNDS * (2 * (XMESH_BENCH_MCAST_SECONDS + 30) + 4 * 60)))} \
			run_part scripts/bench-mcast-guest.sh MCAST || rc=$?
		publish_part mcast mcast '## Multicast results' || continue
		;;
	esac
	((rc == 0)) || status=$rc
done
exit "$status"
