# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Meshes run by xmeshd, for the agent's guest tests (tests/guest/4x-agent-*.sh)
# and the failover benchmarks (scripts/bench-failover-guest.sh, and
# scripts/bench-mcast-repair-guest.sh for trees). Source it after lib.sh
# and mesh.sh:
#
#   an_node a 1; an_node b 2        namespaces xm-a, xm-b; node ids 1, 2
#   mesh_link 1 a b                 veth ul1 between them (mesh.sh)
#   an_config a; an_config b        each its configuration ...
#   an_start a; an_start b          ... and its agent
#   an_wait_routes 60 1 a           a has routes to 1 other node
#   x a -j path show 2              the tool on a's agent
#
# Node NAME with id ID has the overlay address 10.99.0.ID/32 (an_addr) on
# xmesh0; the underlay links are mesh_link's (10.99.K.0/24). Every agent has
# its files in $AN_DIR: NAME.conf, NAME.sock, NAME.log, state-NAME/, and all
# share one site key.
#
# Also: a timestamped UDP stream and its longest gap (udpgap.c, built here
# with gcc into /tmp), and the two ways of cutting a link (silently, or by
# carrier loss).

AN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XM=$AN_TOP/agent/xmesh
XMESHD=$AN_TOP/agent/xmeshd
AN_DIR=$(mktemp -d /tmp/xmesh-agentnet.XXXXXX)
at_exit "rm -rf '$AN_DIR'"
declare -A AN_ID AN_PID

# an_require: bail out (TAP) unless the tool and the agent are built.
an_require() {
	local bin
	for bin in "$XM" "$XMESHD"; do
		if [[ ! -x $bin ]]; then
			echo "Bail out! $bin is not built (make -C agent)"
			exit 1
		fi
	done
	[[ -f $AN_DIR/site.key ]] ||
		"$XMESHD" --gen-site-key "$AN_DIR/site.key" >/dev/null
}

# an_line3_site: nodes node1 - node2 - node3 on a line (links 1 and 2,
# mesh.sh's mesh_link), the module loaded, and the site authority in
# $AN_DIR/authority.key and .cert, checked (lib.sh's check).
an_line3_site() {
	an_node node1 1
	an_node node2 2
	an_node node3 3
	mesh_link 1 node1 node2
	mesh_link 2 node2 node3
	modprobe xmesh
	check "the site authority" "$XM" cert authority create name edge1 \
		key "$AN_DIR/authority.key" cert "$AN_DIR/authority.cert"
}

# an_certify NAME ID ZONE ROLE: NAME's node key in its state directory and
# a certificate for it in $AN_DIR/NAME.cert, node ID in ZONE with ROLE,
# signed by the authority of $AN_DIR/authority.key and .cert (`xmesh cert
# authority create`).
an_certify() {
	local name=$1 id=$2 zone=$3 role=$4
	mkdir -p "$AN_DIR/state-$name"
	rm -f "$AN_DIR/state-$name/node.key" "$AN_DIR/$name.cert"
	"$XM" cert key create "$AN_DIR/state-$name/node.key" >/dev/null &&
		"$XM" cert key show "$AN_DIR/state-$name/node.key" \
			>"$AN_DIR/$name.pub" &&
		"$XM" cert sign authority-key "$AN_DIR/authority.key" \
			authority "$AN_DIR/authority.cert" \
			pubkey "$AN_DIR/$name.pub" node "$id" zone "$zone" \
			role "$role" out "$AN_DIR/$name.cert"
}

# an_node NAME ID: namespace xm-NAME for node ID.
an_node() {
	ns_add "$1"
	AN_ID[$1]=$2
}

# an_addr NAME: NAME's overlay address.
an_addr() {
	echo "10.99.0.${AN_ID[$1]}"
}

# an_delay K A B MS: netem delay of MS ms each way on link ulK between A
# and B (0: none).
an_delay() {
	local k=$1 a=$2 b=$3 ms=$4 ns
	for ns in "$a" "$b"; do
		if ((ms)); then
			ip netns exec "xm-$ns" tc qdisc replace dev "ul$k" root \
				netem delay "${ms}ms"
		else
			ip netns exec "xm-$ns" tc qdisc del dev "ul$k" root 2>/dev/null || true
		fi
	done
}

# an_config NAME [LINE...]: write NAME's configuration, the default one
# plus the LINEs (e.g. "profile fast"). Without a "certificate" LINE the
# node runs as in a lab: "insecure-no-certificates yes" (xmeshd refuses
# to start without certificates otherwise).
an_config() {
	local name=$1 line insecure=yes
	shift
	for line in "$@"; do
		[[ $line != certificate\ * ]] || insecure=
	done
	{
		echo "node-id ${AN_ID[$name]}"
		echo "name $name"
		echo "site-key $AN_DIR/site.key"
		echo "state-dir $AN_DIR/state-$name"
		echo "socket $AN_DIR/$name.sock"
		echo "address $(an_addr "$name")/32"
		[[ -z $insecure ]] || echo "insecure-no-certificates yes"
		printf '%s\n' "$@"
	} >"$AN_DIR/$name.conf"
}

# an_start NAME: run xmeshd in NAME's namespace, in the background, logging
# at debug level to $AN_DIR/NAME.log. Not through n(): ip netns exec execs
# xmeshd, so $! is the agent's pid. A killed agent's socket file is left
# for the new one to replace, as it must (an_up tells a live socket).
an_start() {
	local name=$1
	ip netns exec "xm-$name" "$XMESHD" -f -v -v -c "$AN_DIR/$name.conf" \
		>>"$AN_DIR/$name.log" 2>&1 &
	AN_PID[$name]=$!
	at_exit "kill -KILL ${AN_PID[$name]}"
}

# an_stop NAME [SIGNAL]: stop NAME's agent (SIGTERM by default) and reap it.
an_stop() {
	local name=$1 sig=${2:-TERM}
	kill "-$sig" "${AN_PID[$name]}" 2>/dev/null || true
	wait "${AN_PID[$name]}" 2>/dev/null || true
}

# an_up NAME...: true when each NAME's agent answers on its socket.
an_up() {
	local name
	for name in "$@"; do
		x "$name" -j agent show >/dev/null 2>&1 || return 1
	done
}

# x NAME ARGS...: the tool in NAME's namespace, on its agent's socket.
x() {
	local name=$1
	shift
	n "$name" "$XM" -S "$AN_DIR/$name.sock" "$@"
}

# an_logs NAME: the end of NAME's agent log, for a failure's details.
an_logs() {
	echo "--- agent $1's log (end)"
	tail -n "${2:-40}" "$AN_DIR/$1.log" 2>/dev/null || true
}

# jq_true FILTER CMD...: CMD succeeds and prints JSON for which the jq
# FILTER is true (for wait_for and check).
jq_true() {
	local filter=$1 out
	shift
	out=$("$@" 2>/dev/null) && jq -e "$filter" <<<"$out" >/dev/null 2>&1
}

# an_routes_to NAME COUNT: NAME's kernel has routes to COUNT other nodes,
# each with an active next hop.
an_routes_to() {
	jq_true "length == $2 and all(.[]; any(.nexthops[]; .active))" \
		n "$1" "$XM" -j route show
}

# an_wait_routes TIMEOUT COUNT NAME...: wait until every NAME has routes to
# COUNT other nodes.
an_wait_routes() {
	local timeout=$1 count=$2 name
	shift 2
	for name in "$@"; do
		wait_for "$timeout" an_routes_to "$name" "$count" || return 1
	done
}

# an_tables NAME: NAME's kernel tables without counters and activity,
# sorted, and its xmesh host routes: for before/after comparisons.
an_tables() {
	local name=$1
	n "$name" "$XM" -j neigh show |
		jq -c 'map({id, node, link, remote, port, state}) | sort_by(.id)'
	n "$name" "$XM" -j route show |
		jq -c 'map({node, nexthops: (.nexthops | map({neigh, priority}) | sort_by(.neigh))}) | sort_by(.node)'
	n "$name" "$XM" -j prefix show | jq -c 'sort_by(.prefix)'
	ip -n "xm-$name" -o route show proto 88 | sort
}

# an_stat NAME KEY: a counter of NAME's agent (`agent show -s`), KEY a jq
# path such as .stats.rx_bad_auth or .agent.udp_rx.
an_stat() {
	x "$1" -j -s agent show | jq -er "$2"
}

# an_neigh NAME PEER: NAME's agent's view of its neighbor PEER (a name), as
# JSON ({id, node, state, flaps, ...} of `neigh show`'s agent part).
an_neigh() {
	x "$1" -j neigh show | jq -ec --argjson p "${AN_ID[$2]}" \
		'[.[] | select(.node == $p)][0] | .agent + {id, kernel_state: .state}'
}

# neigh_of NAME PEER: the id of NAME's kernel neighbor at node PEER (names).
neigh_of() {
	n "$1" "$XM" -j neigh show |
		jq -er --argjson p "${AN_ID[$2]}" '[.[] | select(.node == $p)][0].id'
}

# an_path_is NAME DST HOP...: NAME's path to DST (names) goes over the HOPs
# (names), as `xmesh path show` says.
an_path_is() {
	local from=$1 dst=$2 want h
	shift 2
	want="[${AN_ID[$from]}"
	for h in "$@" "$dst"; do
		want+=",${AN_ID[$h]}"
	done
	want+="]"
	jq_true ".reachable and (.hops | map(.node)) == $want" \
		x "$from" -j path show "${AN_ID[$dst]}"
}

# -------------------------------------------------------------- the stream

UDPGAP=/tmp/xmesh-udpgap/udpgap

# udpgap_build: compile udpgap.c once per guest run (gcc from the host root).
udpgap_build() {
	[[ -x $UDPGAP ]] && return 0
	mkdir -p "${UDPGAP%/*}"
	gcc -O2 -Wall -o "$UDPGAP" "$AN_TOP/tests/guest/udpgap.c"
}

STREAM_PORT=9100
STREAM_N=0

# stream_start FROM TO DST [SRC] [-- RECV_OPTION...]: a 1000 packets/s
# stream from namespace xm-FROM (bound to SRC if given) to DST (an address
# in xm-TO), running until stream_end or stream_stop. Both ends run SCHED_FIFO, so that
# the guest's other work does not delay them. Sets STREAM_RX, STREAM_TX
# (pids) and STREAM_OUT (the receiver's report file).
stream_start() {
	local from=$1 to=$2 dst=$3 src="" port
	shift 3
	if (($#)) && [[ $1 != -- ]]; then
		src=$1
		shift
	fi
	[[ ${1:-} != -- ]] || shift
	STREAM_N=$((STREAM_N + 1))
	port=$((STREAM_PORT + STREAM_N % 100))
	STREAM_OUT=$AN_DIR/stream.$STREAM_N
	ip netns exec "xm-$to" chrt -f 50 "$UDPGAP" recv "$@" "$port" \
		>"$STREAM_OUT.rx" 2>"$STREAM_OUT.err" &
	STREAM_RX=$!
	wait_for 20 grep -q receiving "$STREAM_OUT.err" || return 1
	ip netns exec "xm-$from" chrt -f 50 "$UDPGAP" send \
		${src:+-B "$src"} "$dst" "$port" >"$STREAM_OUT.tx" 2>&1 &
	STREAM_TX=$!
}

# stream_mark: tell the receiver that the failure happens now.
stream_mark() {
	kill -USR1 "$STREAM_RX"
}

# stream_armed: tell a receiver started with -A that the failure is in
# place: its recovery is judged from now on, not from the mark.
stream_armed() {
	kill -USR2 "$STREAM_RX"
}

# _stream_reap PID TIMEOUT_S: wait up to TIMEOUT_S for PID to exit, then
# stop it.
_stream_reap() {
	wait_for "$2" eval "! kill -0 $1 2>/dev/null" || kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null || true
}

# _stream_report: the receiver's report with the sender's merged in
# ({received, lost, max_gap_ms, ..., sent, max_send_pause_ms}).
_stream_report() {
	jq -sc 'add // {}' "$STREAM_OUT.rx" "$STREAM_OUT.tx" 2>/dev/null || echo '{}'
}

# stream_end [TIMEOUT_S]: after stream_mark: wait (up to TIMEOUT_S, default
# 90) for the receiver to see the stream recover, stop the sender, and
# print the report.
stream_end() {
	_stream_reap "$STREAM_RX" "${1:-90}"
	kill -TERM "$STREAM_TX" 2>/dev/null || true
	wait "$STREAM_TX" 2>/dev/null || true
	_stream_report
}

# stream_stop: stop the sender (its end marker stops the receiver) and
# print the report.
stream_stop() {
	kill -TERM "$STREAM_TX" 2>/dev/null || true
	wait "$STREAM_TX" 2>/dev/null || true
	_stream_reap "$STREAM_RX" 10
	_stream_report
}

# ------------------------------------------------------------ cutting links

# link_cut NS DEV silent|carrier: cut link DEV at its end in NS. silent:
# every packet dropped both ways, carrier up (netem loss on egress, a drop
# filter on ingress; netem drops without telling the sender, which a drop
# filter on egress would do). carrier: the interface set down, which the
# far end sees as carrier loss.
link_cut() {
	local ns=$1 dev=$2 how=$3
	case $how in
	silent)
		printf '%s\n' "qdisc replace dev $dev root netem loss 100%" \
			"qdisc add dev $dev clsact" \
			"filter add dev $dev ingress matchall action drop" |
			ip netns exec "xm-$ns" tc -batch -
		;;
	carrier)
		ip -n "xm-$ns" link set "$dev" down
		;;
	*)
		echo "link_cut: silent or carrier, not $how" >&2
		return 2
		;;
	esac
}

# link_restore NS DEV silent|carrier [DELAY_MS]: undo link_cut; DELAY_MS
# puts back a netem delay that the link had.
link_restore() {
	local ns=$1 dev=$2 how=$3 delay=${4:-0}
	case $how in
	silent)
		{
			echo "qdisc del dev $dev clsact"
			if ((delay)); then
				echo "qdisc replace dev $dev root netem delay ${delay}ms"
			else
				echo "qdisc del dev $dev root"
			fi
		} | ip netns exec "xm-$ns" tc -batch -
		;;
	carrier)
		ip -n "xm-$ns" link set "$dev" up
		;;
	esac
}

# ------------------------------------------------------- the test topology

# The seven nodes of the agent tests: two paths from a to b, the upper one
# fast, the lower one with a 10 ms delay each way on ul5; c hangs off r2
# (three hops from a, as b is). Node ids in brackets.
#
#          +--ul1-- r1 [2] --ul2-- r2 [3] --ul3--+
#          |                        |            |
#        a [1]                     ul7         b [6]
#          |                        |            |
#          +--ul4-- r3 [4] --ul5-- r4 [5] --ul6--+     c [7] on ul7
AN_TWO_PATHS=(a r1 r2 r3 r4 b c)
AN_SLOW_MS=10

# an_two_paths [LINE...]: build it, every node configured with the default
# configuration plus the LINEs, and start the agents.
an_two_paths() {
	local i=1 name
	for name in "${AN_TWO_PATHS[@]}"; do
		an_node "$name" "$i"
		i=$((i + 1))
	done
	mesh_link 1 a r1
	mesh_link 2 r1 r2
	mesh_link 3 r2 b
	mesh_link 4 a r3
	mesh_link 5 r3 r4
	mesh_link 6 r4 b
	mesh_link 7 r2 c
	an_delay 5 r3 r4 "$AN_SLOW_MS"
	for name in "${AN_TWO_PATHS[@]}"; do
		an_config "$name" "$@"
		an_start "$name"
	done
}

# rx_packets NS DEV: DEV's received packets.
rx_packets() {
	ip netns exec "xm-$1" cat "/sys/class/net/$2/statistics/rx_packets"
}
