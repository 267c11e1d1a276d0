# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for xmesh guest tests; source it from a test script:
#
#   #!/bin/bash
#   set -euo pipefail
#   . "${BASH_SOURCE[0]%/*}/lib.sh"
#   topology_line a b
#   check "ping a->b" n a ping -c1 -W5 10.99.1.2
#   tap_done
#
# Run such scripts with `scripts/guest.sh run tests/guest/NN-name.sh`: they
# create network namespaces and load modules, which is meant for the
# throw-away guest, not the host.

# Refuse to run on the host by accident: the namespaces and modules would
# land there. XMESH_ALLOW_HOST=1 overrides (e.g. on a disposable machine).
if [[ -z ${XMESH_IN_GUEST:-} && -z ${XMESH_ALLOW_HOST:-} ]]; then
	echo "Bail out! run this in the guest: scripts/guest.sh run $0"
	exit 1
fi

# ---------------------------------------------------------------- TAP

_tap_n=0
_tap_failed=0

# tap_ok NAME: report test NAME as passed (`ok N - NAME`).
tap_ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

# tap_fail NAME [DETAILS...]: report NAME as failed; each DETAILS argument is
# printed below it as `# ` comment lines (multi-line strings are fine).
tap_fail() {
	local name=$1 d
	shift
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $name"
	for d in "$@"; do
		[[ -n $d ]] && printf '#   %s\n' "${d//$'\n'/$'\n'#   }"
	done
	return 0
}

# tap_skip NAME REASON: report NAME as skipped (`ok N - NAME # SKIP REASON`).
tap_skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP ${2:-}"
}

# check_output NAME STATUS WANT TEST ARG CMD...: run CMD (stdin from
# /dev/null, stdout and stderr captured) and report ok/not ok under NAME:
# ok when it exits with STATUS and `TEST ARG` succeeds with the output on
# its stdin. On failure the command, its exit status, WANT (what was
# wanted, if not "") and the last 30 lines of its output are shown. Always
# returns 0, so a failed check does not end a script running under
# `set -e`. The checks below are its common cases.
check_output() {
	local name=$1 status=$2 want=$3 test=$4 arg=$5 out rc=0
	shift 5
	out=$("$@" </dev/null 2>&1) || rc=$?
	if ((rc == status)) && "$test" "$arg" <<<"$out" >/dev/null 2>&1; then
		tap_ok "$name"
	else
		tap_fail "$name" "\$ $*" "exit status $rc (want $status)" "$want" \
			"$(tail -n 30 <<<"$out")"
	fi
	return 0
}

# check NAME CMD...: CMD succeeds.
check() {
	check_output "$1" 0 "" true "" "${@:2}"
}

# check_json NAME FILTER CMD...: CMD succeeds and prints JSON for which the
# jq FILTER is true.
check_json() {
	check_output "$1" 0 "want: $2" _jq_is "$2" "${@:3}"
}

# check_match NAME STATUS REGEX CMD...: CMD exits with STATUS and a line of
# its output matches the extended REGEX.
check_match() {
	check_output "$1" "$2" "want a line matching: $3" _has_line "$3" "${@:4}"
}

# check_no_match NAME REGEX CMD...: CMD succeeds and no line of its output
# matches the extended REGEX.
check_no_match() {
	check_output "$1" 0 "want no line matching: $2" _lacks_line "$2" "${@:3}"
}

# The TESTs of the checks above: ARG, and the output on stdin.
_jq_is() { jq -e "$1"; }
_has_line() { grep -qE -- "$1"; }
_lacks_line() { ! grep -qE -- "$1"; }

# tap_lines TOOL: TOOL's result lines on stdin (`ok<TAB>NAME`,
# `not ok<TAB>NAME<TAB>WHY`, lines of WHY joined by ` | `, `# comment`, as
# nlraw.py, udpsend.py and linkprobe.py print them) as TAP lines; anything
# else (a traceback) is one failure naming TOOL.
tap_lines() {
	local tool=$1 status name why junk=""
	while IFS=$'\t' read -r status name why; do
		case $status in
		ok) tap_ok "$name" ;;
		"not ok") tap_fail "$name" "${why//' | '/$'\n'}" ;;
		"#"*) echo "$status" ;;
		*) junk+="$status $name $why"$'\n' ;;
		esac
	done
	[[ -z $junk ]] || tap_fail "$tool ran cleanly" "$junk"
}

# tap_done: print the plan (`1..N`) and exit: 0 if nothing failed, else 1.
tap_done() {
	echo "1..$_tap_n"
	if ((_tap_failed)); then
		echo "# $_tap_failed of $_tap_n failed"
		exit 1
	fi
	exit 0
}

# require_systemd: bail out unless systemd is PID 1 (the guest booted with
# XMESH_GUEST_INIT=systemd), which the unit tests need.
require_systemd() {
	[[ $(readlink /proc/1/exe) == */systemd ]] && return 0
	echo "Bail out! systemd is not PID 1 (XMESH_GUEST_INIT=systemd scripts/guest.sh run $0)"
	exit 1
}

# certify_node NODE: what an operator does before xmeshd's first start
# (Documentation/install.md) with the installed tool: the site authority
# in /etc/xmesh (made once), the node's key in /var/lib/xmesh/node.key,
# its certificate for node id NODE, and both named in xmeshd.conf
# (which, as shipped, starts no agent without them).
certify_node() {
	local e=/etc/xmesh s=/var/lib/xmesh
	{
		[[ -f $e/authority.key ]] ||
			xmesh cert authority create name edge1 \
				key "$e/authority.key" cert "$e/authority.cert"
	} && install -d -m 0700 "$s" &&
		xmesh cert key create "$s/node.key" &&
		xmesh cert key show "$s/node.key" >"$e/node.pub" &&
		xmesh cert sign authority-key "$e/authority.key" \
			authority "$e/authority.cert" pubkey "$e/node.pub" \
			node "$1" zone lab out "$e/node.cert" &&
		printf 'certificate %s\nauthority %s\n' "$e/node.cert" \
			"$e/authority.cert" >>"$e/xmeshd.conf"
}

# ------------------------------------------------------------- cleanup

_at_exit=()

# at_exit CMD: run the shell command string CMD when the script exits
# (commands run last-registered first). Use this instead of `trap ... EXIT`,
# which would replace the namespace cleanup.
at_exit() {
	_at_exit+=("$1")
}

_run_at_exit() {
	local i
	for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_at_exit[i]}" >/dev/null 2>&1 || true
	done
}
trap _run_at_exit EXIT

# ------------------------------------------------------------- netns

# Namespaces made by ns_add, deleted at exit.
XM_NETNS=()

# n NS CMD...: run CMD in network namespace xm-NS (as made by ns_add).
n() {
	local ns=$1
	shift
	ip netns exec "xm-$ns" "$@"
}

# ns_add NAME...: create network namespace xm-NAME for each NAME, with lo up
# and IPv6 enabled without duplicate address detection (so addresses are
# usable at once). The namespaces and their processes go away at exit.
ns_add() {
	local name
	for name in "$@"; do
		ip netns add "xm-$name"
		XM_NETNS+=("$name")
		# `ip -n` where it will do: it is one exec, `n` is three, and each
		# exec is slow under emulation.
		ip -n "xm-$name" link set lo up
		n "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
	done
}

# ns_del NAME...: kill the processes in xm-NAME and delete it.
ns_del() {
	local name pids
	for name in "$@"; do
		pids=$(ip netns pids "xm-$name" 2>/dev/null) || true
		# shellcheck disable=SC2086 # a list of pids
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
		ip netns del "xm-$name" 2>/dev/null || true
	done
}

_ns_cleanup() {
	((${#XM_NETNS[@]})) || return 0
	ns_del "${XM_NETNS[@]}"
	XM_NETNS=()
}
at_exit _ns_cleanup

# topology_line NAME1 NAME2 ...: create namespaces xm-NAME1.. (ns_add) and
# join consecutive ones with veth pairs. Link i (1-based) joins NAMEi and
# NAME(i+1); both its ends are called `ul<i>` (ul1, ul2, ...), and get
#   NAMEi:      10.99.<i>.1/24  fd99:<i>::1/64
#   NAME(i+1):  10.99.<i>.2/24  fd99:<i>::2/64
# plus their automatic fe80:: link-local addresses. All links are up when it
# returns. No forwarding is enabled: that is up to the test.
topology_line() {
	local names=("$@") i a b
	ns_add "$@"
	for ((i = 1; i < ${#names[@]}; i++)); do
		a=${names[i - 1]}
		b=${names[i]}
		ip link add "ul$i" netns "xm-$a" type veth peer name "ul$i" netns "xm-$b"
		printf '%s\n' "addr add 10.99.$i.1/24 dev ul$i" \
			"addr add fd99:$i::1/64 dev ul$i nodad" "link set ul$i up" |
			ip -n "xm-$a" -batch -
		printf '%s\n' "addr add 10.99.$i.2/24 dev ul$i" \
			"addr add fd99:$i::2/64 dev ul$i nodad" "link set ul$i up" |
			ip -n "xm-$b" -batch -
	done
}

# link_local NS DEV: print the fe80:: address of DEV in xm-NS (no prefix).
link_local() {
	n "$1" ip -6 -o addr show dev "$2" scope link |
		sed -n 's|.* inet6 \(fe80[^/]*\)/.*|\1|p' | head -n1
}

# ------------------------------------------------------------- waiting

# wait_for TIMEOUT_S CMD...: run CMD (quietly) every 0.2 s until it
# succeeds; return 0 then, or 1 if TIMEOUT_S seconds pass first. Use it for
# "eventually" conditions with a generous deadline, never to assert speed:
# the guest is emulated and its timing varies a lot.
wait_for() {
	local timeout=$1 deadline now
	shift
	# EPOCHREALTIME is a builtin clock: no exec per poll.
	deadline=$(( ${EPOCHREALTIME/[.,]/} + timeout * 1000000 ))
	while true; do
		"$@" </dev/null >/dev/null 2>&1 && return 0
		now=${EPOCHREALTIME/[.,]/}
		((now < deadline)) || return 1
		sleep 0.2
	done
}

# capture NETNS DEV FILE FILTER: start tcpdump on DEV in namespace NETNS,
# writing FILE, and wait until it captures; capture_end stops it. In
# immediate mode every frame reaches tcpdump (and the file, -U) as it
# comes: by default the kernel hands frames over in blocks, up to a
# second late, and a stop in between loses the frames of the open block.
capture() {
	ip netns exec "$1" tcpdump -Z root -i "$2" -nn -U --immediate-mode \
		-w "$3" "$4" >/dev/null 2>"$3.log" &
	_CAPTURE_PID=$!
	# tcpdump says "listening on" once the filter is on the socket.
	wait_for 10 grep -q "listening on" "$3.log"
}

# capture_end: stop the capture started last (it writes out what it has)
# and wait for it.
capture_end() {
	sleep 0.2
	kill -INT "$_CAPTURE_PID" 2>/dev/null || true
	wait "$_CAPTURE_PID" 2>/dev/null || true
}
