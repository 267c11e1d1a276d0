#!/bin/bash
# Inside the guest (scripts/bench.sh runs it): the data-plane benchmark.
#
# Every configuration gets its own line of three namespaces, A -- B -- C,
# joined by veth pairs (ul1: 10.99.1.0/24, ul2: 10.99.2.0/24), all built
# once and side by side, so switching between them costs nothing:
#
#   plain      B routes (ip_forward=1), static routes; A 10.99.1.1 ->
#              C 10.99.2.2
#   vxlan      a vxlan per hop (A-B vni 1, B-C vni 2, unicast remotes); B
#              decapsulates, routes between vx1 and vx2, encapsulates again
#   vxlan-e2e  (reference) one vxlan from A to C; B routes the outer UDP only
#   batman     bat0 on each node over its veths; B relays (batman-adv, IV)
#   wg         a WireGuard tunnel per hop (wg1 A-B, wg2 B-C); B decrypts,
#              routes between wg1 and wg2, encrypts again
#   xmesh      xmesh0 in each: A node 1, B node 2, C node 3, IPv4 underlay;
#              B forwards in the kernel (its ip_forward stays 0)
#   xmesh-auth, xmesh-encrypt
#              the same with a key pair per link and security auth (every
#              frame authenticated, payload in clear) or encrypt (sealed
#              with ChaCha20-Poly1305): B opens each frame and seals it
#              again for C, as wg decrypts and encrypts again
#   xmesh-origin (not in the defaults: XMESH_BENCH_CONFIGS)
#              xmesh-encrypt with origin keys between A and C and origin
#              on at both (Documentation/wire-format.rst, "Origin seals"):
#              A also seals each packet for C, C opens that seal too; B
#              forwards as in xmesh-encrypt
#
# The overlays all carry 10.0.1.1 (A) -> 10.0.3.1 (C). Per round, per metric,
# every configuration is measured once, in an order rotated each round:
#   tcp   iperf3 TCP, one stream, XMESH_BENCH_SECONDS s: received Mbit/s
#   udp   iperf3 UDP, 64-byte payloads, -b 0 (unlimited): received kpps
#         (and sent). Over veth the whole path A -> B -> C runs in the
#         sender's softirq, so the sent rate is bounded by the per-packet
#         cost of the path, the received rate also by C's receiver.
#   rtt   ping -i 0.01 (XMESH_BENCH_PINGS of them): median RTT, microseconds
# Then a GRO check on xmesh (TCP with TSO/GSO off on A's xmesh0, GRO on and
# off at C). The report (markdown, between BEGIN/END lines) is analysed by
# python3 from all the samples, which it lists too.
#
# Environment: XMESH_BENCH_ROUNDS (10), XMESH_BENCH_SECONDS (3),
# XMESH_BENCH_PINGS (50), XMESH_BENCH_CONFIGS (all of the above),
# XMESH_BENCH_GRO_ROUNDS (3; 0 skips the GRO check).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

ROUNDS=${XMESH_BENCH_ROUNDS:-10}
SECS=${XMESH_BENCH_SECONDS:-3}
PINGS=${XMESH_BENCH_PINGS:-50}
GRO_ROUNDS=${XMESH_BENCH_GRO_ROUNDS:-3}
read -r -a CONFIGS <<<"${XMESH_BENCH_CONFIGS:-plain vxlan vxlan-e2e batman wg xmesh xmesh-auth xmesh-encrypt}"

WORK=/tmp/xmesh-bench
rm -rf "$WORK"
mkdir -p "$WORK"
SAMPLES=$WORK/samples.tsv
: >"$SAMPLES"

declare -A SRC DST

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

# ------------------------------------------------------------ the setups

# line CFG: namespaces xm-CFG-a, -b, -c joined by ul1 and ul2.
line() {
	topology_line "$1-a" "$1-b" "$1-c"
}

forwarding() {
	n "$1" sysctl -qw net.ipv4.ip_forward="$2"
}

setup_plain() {
	local c=$1
	line "$c"
	forwarding "$c-b" 1
	ip -n "xm-$c-a" route add 10.99.2.0/24 via 10.99.1.2
	ip -n "xm-$c-c" route add 10.99.1.0/24 via 10.99.2.1
	SRC[$c]=10.99.1.1
	DST[$c]=10.99.2.2
}

# vx NS DEV VNI LOCAL REMOTE LOWER ADDR: a point-to-point vxlan.
vx() {
	ip -n "xm-$1" link add "$2" type vxlan id "$3" local "$4" remote "$5" \
		dev "$6" dstport 4789
	ip -n "xm-$1" addr add "$7" dev "$2"
	ip -n "xm-$1" link set "$2" up
}

setup_vxlan() {
	local c=$1
	line "$c"
	vx "$c-a" vx1 1 10.99.1.1 10.99.1.2 ul1 10.0.1.1/24
	vx "$c-b" vx1 1 10.99.1.2 10.99.1.1 ul1 10.0.1.2/24
	vx "$c-b" vx2 2 10.99.2.1 10.99.2.2 ul2 10.0.3.2/24
	vx "$c-c" vx2 2 10.99.2.2 10.99.2.1 ul2 10.0.3.1/24
	forwarding "$c-b" 1
	ip -n "xm-$c-a" route add 10.0.3.0/24 via 10.0.1.2
	ip -n "xm-$c-c" route add 10.0.1.0/24 via 10.0.3.2
	SRC[$c]=10.0.1.1
	DST[$c]=10.0.3.1
}

setup_vxlan_e2e() {
	local c=$1
	line "$c"
	forwarding "$c-b" 1
	ip -n "xm-$c-a" route add 10.99.2.0/24 via 10.99.1.2
	ip -n "xm-$c-c" route add 10.99.1.0/24 via 10.99.2.1
	vx "$c-a" vx0 1 10.99.1.1 10.99.2.2 ul1 10.0.1.1/16
	vx "$c-c" vx0 1 10.99.2.2 10.99.1.1 ul2 10.0.3.1/16
	SRC[$c]=10.0.1.1
	DST[$c]=10.0.3.1
}

setup_batman() {
	local c=$1 x i=1
	modprobe batman-adv
	line "$c"
	for x in a b c; do
		ip -n "xm-$c-$x" link add bat0 type batadv
	done
	ip -n "xm-$c-a" link set ul1 master bat0
	ip -n "xm-$c-b" link set ul1 master bat0
	ip -n "xm-$c-b" link set ul2 master bat0
	ip -n "xm-$c-c" link set ul2 master bat0
	for x in a b c; do
		# 1500 - 14 (inner Ethernet) - 10 (unicast header): unicast
		# frames fit the veths whole, batman-adv never fragments.
		printf '%s\n' "link set bat0 mtu 1476" "link set bat0 up" \
			"addr add 10.0.$i.1/16 dev bat0" | ip -n "xm-$c-$x" -batch -
		n "$c-$x" batctl meshif bat0 orig_interval 250 >/dev/null
		i=$((i + 1))
	done
	forwarding "$c-b" 0
	SRC[$c]=10.0.1.1
	DST[$c]=10.0.3.1
}

# wgdev NS DEV PORT KEY ADDR PEERKEY ENDPOINT ALLOWED
wgdev() {
	ip -n "xm-$1" link add "$2" type wireguard
	n "$1" wg set "$2" listen-port "$3" private-key "$WORK/$4.key" \
		peer "$(cat "$WORK/$6.pub")" endpoint "$7" allowed-ips "$8"
	ip -n "xm-$1" addr add "$5" dev "$2"
	ip -n "xm-$1" link set "$2" up
}

setup_wg() {
	local c=$1 k
	line "$c"
	for k in a b1 b2 c; do
		(umask 077 && wg genkey >"$WORK/$k.key")
		wg pubkey <"$WORK/$k.key" >"$WORK/$k.pub"
	done
	wgdev "$c-a" wg1 51820 a 10.0.1.1/32 b1 10.99.1.2:51820 10.0.0.0/16
	wgdev "$c-b" wg1 51820 b1 10.0.2.1/32 a 10.99.1.1:51820 10.0.1.0/24
	wgdev "$c-b" wg2 51821 b2 10.0.2.1/32 c 10.99.2.2:51820 10.0.3.0/24
	wgdev "$c-c" wg2 51820 c 10.0.3.1/32 b2 10.99.2.1:51821 10.0.0.0/16
	ip -n "xm-$c-a" route add 10.0.0.0/16 dev wg1
	ip -n "xm-$c-b" route add 10.0.1.0/24 dev wg1
	ip -n "xm-$c-b" route add 10.0.3.0/24 dev wg2
	ip -n "xm-$c-c" route add 10.0.0.0/16 dev wg2
	forwarding "$c-b" 1
	SRC[$c]=10.0.1.1
	DST[$c]=10.0.3.1
}

setup_xmesh() {
	local c=$1 i j x
	modprobe xmesh
	line "$c"
	i=1
	for x in a b c; do
		ip -n "xm-$c-$x" link add xmesh0 type xmesh
		xm "$c-$x" dev set node "$i" family inet security none
		ip -n "xm-$c-$x" link set xmesh0 up
		ip -n "xm-$c-$x" addr add "10.0.$i.1/32" dev xmesh0
		for j in 1 2 3; do
			((i == j)) || xm "$c-$x" prefix add "10.0.$j.0/24" node "$j"
		done
		i=$((i + 1))
	done
	xm "$c-a" neigh add id 1 node 2 link ul1 remote 10.99.1.2
	xm "$c-b" neigh add id 1 node 1 link ul1 remote 10.99.1.1
	xm "$c-b" neigh add id 2 node 3 link ul2 remote 10.99.2.2
	xm "$c-c" neigh add id 2 node 2 link ul2 remote 10.99.2.1
	xm "$c-a" -batch - <<-EOF
		route add node 2 nexthop neigh 1
		route add node 3 nexthop neigh 1
	EOF
	xm "$c-b" -batch - <<-EOF
		route add node 1 nexthop neigh 1
		route add node 3 nexthop neigh 2
	EOF
	xm "$c-c" -batch - <<-EOF
		route add node 1 nexthop neigh 2
		route add node 2 nexthop neigh 2
	EOF
	forwarding "$c-b" 0
	SRC[$c]=10.0.1.1
	DST[$c]=10.0.3.1
}

# xmesh_keys CFG SECURITY: keys of id 1 on both links of CFG's line, both
# directions (random bytes, one key per direction), then SECURITY.
xmesh_keys() {
	local c=$1 k a b x key
	for k in 1 2; do
		a=$([[ $k == 1 ]] && echo a || echo b)
		b=$([[ $k == 1 ]] && echo b || echo c)
		key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
		xm "$c-$b" key add neigh "$k" id 1 dir rx key "$key"
		xm "$c-$a" key add neigh "$k" id 1 dir tx key "$key"
		key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
		xm "$c-$a" key add neigh "$k" id 1 dir rx key "$key"
		xm "$c-$b" key add neigh "$k" id 1 dir tx key "$key"
	done
	for x in a b c; do
		xm "$c-$x" dev set security "$2"
	done
}

setup_xmesh_auth() {
	setup_xmesh "$1"
	xmesh_keys "$1" auth
}

setup_xmesh_encrypt() {
	setup_xmesh "$1"
	xmesh_keys "$1" encrypt
}

setup_xmesh_origin() {
	local c=$1 key
	setup_xmesh_encrypt "$c"
	key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	xm "$c-c" key add node 1 id 1 dir rx key "$key"
	xm "$c-a" key add node 3 id 1 dir tx key "$key"
	key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	xm "$c-a" key add node 3 id 1 dir rx key "$key"
	xm "$c-c" key add node 1 id 1 dir tx key "$key"
	xm "$c-a" dev set origin on
	xm "$c-c" dev set origin on
}

# server CFG: (re)start the iperf3 server on C.
server() {
	local c=$1 pidf=$WORK/iperf-$1.pid
	if [[ -s $pidf ]]; then
		kill "$(cat "$pidf")" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$pidf"
	n "$c-c" iperf3 -s -D -B "${DST[$c]}" --pidfile "$pidf"
	wait_for 20 n "$c-c" ss -ltnH "sport = :5201" "src ${DST[$c]}"
}

# ------------------------------------------------------------ measuring

# sample ROUND METRIC CFG VALUE
sample() {
	printf '%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"
}

# iperf3's JSON reports are kept as $JSON/ROUND.METRIC.CFG.json and read by
# the analysis at the end (a jq per run costs half a second here).
JSON=$WORK/json
mkdir -p "$JSON"

# iperf CFG ARGS...: run the iperf3 client A -> C, JSON on stdout; on a
# failure the server is restarted (a failed test can leave it wedged).
iperf() {
	local c=$1 out
	shift
	if out=$(timeout $((SECS + 40)) ip netns exec "xm-$c-a" iperf3 -J \
		-c "${DST[$c]}" -B "${SRC[$c]}" -t "$SECS" "$@" 2>&1); then
		printf '%s\n' "$out"
		return 0
	fi
	log "iperf3 $* failed on $c: $(grep -m1 '"error"' <<<"$out" | head -c 200)"
	server "$c" || true
	return 1
}

m_tcp() {
	iperf "$2" >"$JSON/$1.tcp.$2.json" || rm -f "$JSON/$1.tcp.$2.json"
}

m_udp() {
	iperf "$2" -u -l 64 -b 0 >"$JSON/$1.udp.$2.json" || rm -f "$JSON/$1.udp.$2.json"
}

# The median of the replies' RTTs, in microseconds.
m_rtt() {
	local r=$1 c=$2 v
	v=$( { n "$c-a" ping -n -c "$PINGS" -i 0.01 -W 1 -I "${SRC[$c]}" "${DST[$c]}" 2>/dev/null || true; } |
		awk -F'time=' 'NF > 1 { split($2, t, " "); print t[1] * 1000 }' |
		sort -n | awk '{ v[NR] = $1 } END {
			if (!NR) { print "NA"; exit }
			print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }') ||
		v=NA
	sample "$r" rtt "$c" "$v"
}

# ------------------------------------------------------------ GRO check

snmp() {	# NS FIELD...: the sum of these Tcp: counters of /proc/net/snmp
	n "$1" cat /proc/net/snmp | awk -v f=" ${*:2} " '$1 == "Tcp:" { if (!h) {
		for (i = 2; i <= NF; i++) if (index(f, " " $i " ")) k[i] = 1; h = 1 }
		else { for (i in k) s += $i; print s } }'
}

rx_frames() {	# NS: xmesh0's rx_packets (counted before GRO)
	n "$1" cat /sys/class/net/xmesh0/statistics/rx_packets
}

# gro_variant ROUND VARIANT: one TCP run of xmesh in the variant's settings.
gro_variant() {
	local r=$1 v=$2 c=xmesh gso=on gro=on o1 i1 f1
	case $v in
	nogso) gso=off ;;
	nogso-nogro) gso=off gro=off ;;
	esac
	n "$c-a" ethtool -K xmesh0 tso "$gso" gso "$gso" >/dev/null
	n "$c-c" ethtool -K xmesh0 gro "$gro" >/dev/null
	# OutSegs leaves out retransmissions, which C receives too.
	o1=$(snmp "$c-a" OutSegs RetransSegs)
	i1=$(snmp "$c-c" InSegs)
	f1=$(rx_frames "$c-c")
	iperf "$c" >"$JSON/$r.gro_tcp.$v.json" || rm -f "$JSON/$r.gro_tcp.$v.json"
	sample "$r" gro_outsegs_a "$v" $(($(snmp "$c-a" OutSegs RetransSegs) - o1))
	sample "$r" gro_insegs_c "$v" $(($(snmp "$c-c" InSegs) - i1))
	sample "$r" gro_frames_c "$v" $(($(rx_frames "$c-c") - f1))
	n "$c-a" ethtool -K xmesh0 tso on gso on >/dev/null
	n "$c-c" ethtool -K xmesh0 gro on >/dev/null
}

# What a capture at C's xmesh0 sees with TSO/GSO off on A: tcpdump taps
# receive after GRO, so merged packets show as lengths above one MSS.
gro_capture() {
	local c=xmesh pcap=$WORK/gro.pcap pid stats
	stats=$(n "$c-c" ethtool -S xmesh0 2>&1 | head -n 2 | tr '\n' ' ') || true
	printf 'ethtool -S xmesh0: "%s"; ' "${stats% }"
	command -v tcpdump >/dev/null || { echo "(no tcpdump)"; return 0; }
	n "$c-a" ethtool -K xmesh0 tso off gso off >/dev/null
	# Not through n: $! must be tcpdump itself, and its output must not
	# hold our caller's pipe open.
	ip netns exec "xm-$c-c" tcpdump -i xmesh0 -nn -s 128 -w "$pcap" -c 3000 \
		"tcp and src ${SRC[$c]} and greater 200" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	iperf "$c" -t 2 >/dev/null || true
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	n "$c-a" ethtool -K xmesh0 tso on gso on >/dev/null
	# TCP payload lengths of the captured packets (tcpdump's last "length").
	tcpdump -nn -r "$pcap" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "length") l = $(i + 1);
			sub(/[^0-9].*/, "", l); if (l + 0 > 0) print l }' |
		sort -n | awk -v mss="$(( $(n "$c-a" cat /sys/class/net/xmesh0/mtu) - 52 ))" '
		{ v[NR] = $1; if ($1 > mss) big++ }
		END { if (!NR) { print "no packets captured"; exit }
			printf "tcpdump (tso/gso off on A, MSS %d) saw %d TCP data packets: " \
				"median %d bytes, max %d, %d (%.0f%%) larger than one MSS\n",
				mss, NR, v[int((NR + 1) / 2)], v[NR], big, 100 * big / NR }'
}

# ------------------------------------------------------------ main

log "guest kernel $(uname -r), $(nproc) CPUs, $(free -m | awk '/^Mem:/ { print $2 }') MiB;" \
	"rounds $ROUNDS, $SECS s per run, $PINGS pings; configs ${CONFIGS[*]}"
for c in "${CONFIGS[@]}"; do
	log "setting up $c"
	"setup_${c//-/_}" "$c"
done
for c in "${CONFIGS[@]}"; do
	# Warm up: neighbors resolved, handshakes done, batman-adv converged.
	wait_for 60 n "$c-a" ping -c 1 -W 1 -I "${SRC[$c]}" "${DST[$c]}" ||
		{ log "$c: no connectivity A -> C"; exit 1; }
	server "$c"
	iperf "$c" -t 1 >/dev/null || true
	log "$c ready: ${SRC[$c]} -> ${DST[$c]}"
done

# progress ROUND: each configuration's TCP Mbit/s in ROUND, from the JSON.
progress() {
	local c f
	for c in "${CONFIGS[@]}"; do
		f=$JSON/$1.tcp.$c.json
		printf '%s %s  ' "$c" "$([[ -f $f ]] && awk '/"sum_received"/ { s = 1 }
			s && /"bits_per_second"/ { gsub(/[^0-9.]/, ""); printf "%.0f", $0 / 1e6; exit }' "$f")"
	done
}

start=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	# Rotate the order every round: no configuration always runs first.
	order=()
	for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
		order+=("${CONFIGS[(k + r - 1) % ${#CONFIGS[@]}]}")
	done
	for m in tcp udp rtt; do
		for c in "${order[@]}"; do
			"m_$m" "$r" "$c"
		done
	done
	log "round $r/$ROUNDS done ($((SECONDS - start)) s); TCP Mbit/s: $(progress "$r")"
done

capture="(GRO check skipped)"
if ((GRO_ROUNDS > 0)) && [[ -n ${SRC[xmesh]:-} ]]; then
	variants=(gso nogso nogso-nogro)
	for ((r = 1; r <= GRO_ROUNDS; r++)); do
		for ((k = 0; k < ${#variants[@]}; k++)); do
			gro_variant "$r" "${variants[(k + r - 1) % ${#variants[@]}]}"
		done
		log "GRO round $r/$GRO_ROUNDS done"
	done
	capture=$(gro_capture)
fi
fwd=$(counter xmesh-b fwd_packets 2>/dev/null || echo "?")
if [[ -n ${SRC[batman]:-} ]]; then
	frag=$(n batman-a batctl meshif bat0 statistics 2>/dev/null |
		awk '$1 == "frag_tx:" { print $2 }') || frag="?"
	fwd+="; batman-adv fragments sent by A (frag_tx): ${frag:-?}"
fi

echo "----- BEGIN XMESH BENCH REPORT -----"
echo "Guest: kernel $(uname -r) ($(uname -v)), $(nproc) vCPUs, $(free -m |
	awk '/^Mem:/ { print $2 }') MiB, qemu TCG; $(iperf3 --version | head -n1)."
echo
python3 - "$SAMPLES" "$JSON" "$ROUNDS" "$SECS" "$PINGS" "$capture" "$fwd" \
	"${CONFIGS[@]}" <<'PY'
import json
import os
import statistics as st
import sys

path, jdir, rounds, secs, pings, capture, fwd = sys.argv[1:8]
configs = sys.argv[8:]
data = {}  # (metric, config) -> {round: value}
for line in open(path):
    r, m, c, v = line.rstrip("\n").split("\t")
    if v not in ("NA", ""):
        data.setdefault((m, c), {})[int(r)] = float(v)
for name in os.listdir(jdir):
    r, m, c = name[:-len(".json")].split(".", 2)
    try:
        end = json.load(open(os.path.join(jdir, name)))["end"]
        got = {}
        if m == "udp":
            rx, tx = end["sum_received"], end["sum_sent"]
            got["udp"] = rx["bytes"] / 64 / rx["seconds"] / 1e3
            got["udp_tx"] = tx["packets"] / tx["seconds"] / 1e3
        else:
            got[m] = end["sum_received"]["bits_per_second"] / 1e6
            if m == "tcp":
                got["tcp_retr"] = end["sum_sent"].get("retransmits", 0)
    except (ValueError, KeyError, ZeroDivisionError) as e:
        print(f"(unreadable iperf3 report {name}: {e!r})", file=sys.stderr)
        continue
    for k, v in got.items():
        data.setdefault((k, c), {})[int(r)] = float(v)


def vals(m, c):
    return sorted(data.get((m, c), {}).values())


def med(m, c):
    v = vals(m, c)
    return st.median(v) if v else None


def pairs(m, c, ref, op):
    """op(config's sample, ref's sample) for each round that has both."""
    a, b = data.get((m, c), {}), data.get((m, ref), {})
    return sorted(op(a[r], b[r]) for r in a if r in b and b[r])


def paired(m, c, ref, op):
    """Median over the rounds of op(config's sample, ref's sample)."""
    x = pairs(m, c, ref, op)
    return st.median(x) if x else None


def iqr(m, c, ref, op, fmt):
    """The interquartile range of the per-round op(), as text."""
    x = pairs(m, c, ref, op)
    if len(x) < 2:
        return "n/a"
    q = st.quantiles(x, n=4)
    return f"{fmt.format(q[0])}–{fmt.format(q[2])}"


def num(x, fmt):
    return "n/a" if x is None else fmt.format(x)


def cell(m, c, fmt):
    v = vals(m, c)
    if not v:
        return "n/a"
    return f"{fmt.format(st.median(v))} ({fmt.format(v[0])}–{fmt.format(v[-1])})"


def ratio(m, c, ref):
    if (m, ref) not in data:
        return "—"
    return num(paired(m, c, ref, lambda x, y: x / y), "{:.2f}")


print("| config | TCP Mbit/s (min–max) | TCP ×plain | TCP ×vxlan "
      "| UDP-64 rx kpps (min–max) | UDP ×plain | UDP ×vxlan "
      "| RTT µs (min–max) | RTT +µs vs plain | RTT ×plain | RTT ×vxlan |")
print("|" + "---|" * 11)
for c in configs:
    added = "—" if ("rtt", "plain") not in data else \
        num(paired("rtt", c, "plain", lambda x, y: x - y), "{:+.0f}")
    print(f"| {c} | {cell('tcp', c, '{:.0f}')} | {ratio('tcp', c, 'plain')} "
          f"| {ratio('tcp', c, 'vxlan')} | {cell('udp', c, '{:.1f}')} "
          f"| {ratio('udp', c, 'plain')} | {ratio('udp', c, 'vxlan')} "
          f"| {cell('rtt', c, '{:.0f}')} | {added} | {ratio('rtt', c, 'plain')} "
          f"| {ratio('rtt', c, 'vxlan')} |")
n = ", ".join(f"{c} {len(vals('tcp', c))}" for c in configs)
print()
print(f"{rounds} rounds × {secs} s per iperf3 run, {pings} pings per RTT sample; "
      "median (min–max) over the rounds; ratios are medians of the "
      "per-round ratios (each round measures every configuration back to "
      f"back). TCP samples per config: {n}.")
print()
udp_tx = ", ".join(f"{c} {num(med('udp_tx', c), '{:.1f}')}" for c in configs)
print(f"UDP-64 sent (kpps, median): {udp_tx}.  ")
retr = ", ".join(f"{c} {num(med('tcp_retr', c), '{:.0f}')}" for c in configs)
print(f"TCP retransmits per run (median): {retr}.  ")
print(f"xmesh: packets forwarded in B's kernel (fwd_packets) over the run: {fwd}.")

sealed = [c for c in ("xmesh-auth", "xmesh-encrypt", "xmesh-origin")
          if c in configs]
if sealed and ("tcp", "wg") in data:
    print()
    print("Crypto (sealed xmesh against WireGuard per hop, wg, and against "
          "xmesh unsealed; medians of the per-round ratios, in brackets their "
          "interquartile range; target: at least equal to wg):")
    print()
    print("| config | TCP ×wg | UDP-64 ×wg | RTT +µs vs wg | TCP ×xmesh "
          "| UDP-64 ×xmesh |")
    print("|" + "---|" * 6)
    def div(x, y):
        return x / y

    def sub(x, y):
        return x - y
    for c in sealed:
        print(f"| {c} "
              f"| {num(paired('tcp', c, 'wg', div), '{:.2f}')} [{iqr('tcp', c, 'wg', div, '{:.2f}')}] "
              f"| {num(paired('udp', c, 'wg', div), '{:.2f}')} [{iqr('udp', c, 'wg', div, '{:.2f}')}] "
              f"| {num(paired('rtt', c, 'wg', sub), '{:+.0f}')} [{iqr('rtt', c, 'wg', sub, '{:+.0f}')}] "
              f"| {ratio('tcp', c, 'xmesh')} | {ratio('udp', c, 'xmesh')} |")
    if "xmesh-encrypt" in sealed:
        et = paired("tcp", "xmesh-encrypt", "wg", div)
        eu = paired("udp", "xmesh-encrypt", "wg", div)

        def met(x):
            return "n/a" if x is None else ("met" if x >= 1 else "NOT met")
        print()
        print("Crypto target (xmesh-encrypt at least wg): "
              f"TCP {num(et, '{:.2f}')}× ({met(et)}); "
              f"UDP-64 {num(eu, '{:.2f}')}× ({met(eu)}). "
              "TCG: both ciphers run on emulated vector instructions.")

if "xmesh" in configs and ("tcp", "vxlan") in data:
    print()
    t = paired("tcp", "xmesh", "vxlan", lambda x, y: x / y)
    u = paired("udp", "xmesh", "vxlan", lambda x, y: x / y)
    d = paired("rtt", "xmesh", "vxlan", lambda x, y: x - y)
    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "NOT met")
    def div(x, y):
        return x / y

    def sub(x, y):
        return x - y
    print("Targets (xmesh against vxlan; in brackets the interquartile "
          "range of the per-round values): "
          f"TCP ≥ vxlan: {num(t, '{:.2f}')}× [{iqr('tcp', 'xmesh', 'vxlan', div, '{:.2f}')}] "
          f"({verdict(t and t >= 1)}); "
          f"UDP-64 ≥ vxlan: {num(u, '{:.2f}')}× [{iqr('udp', 'xmesh', 'vxlan', div, '{:.2f}')}] "
          f"({verdict(u and u >= 1)}); "
          f"RTT ≤ vxlan: {num(d, '{:+.0f}')} µs [{iqr('rtt', 'xmesh', 'vxlan', sub, '{:+.0f}')}] "
          f"({verdict(d is not None and d <= 0)}).")

variants = ["gso", "nogso", "nogso-nogro"]
if any(("gro_tcp", v) in data for v in variants):
    labels = {"gso": "TSO/GSO on at A, GRO on at C (default)",
              "nogso": "TSO/GSO off at A, GRO on at C",
              "nogso-nogro": "TSO/GSO off at A, GRO off at C"}
    print()
    print("GRO check (xmesh, TCP A -> C):")
    print()
    print("| variant | TCP Mbit/s (min–max) | ×default | segments sent by A "
          "| frames into C's xmesh0 | skbs into C's TCP | segments per skb |")
    print("|" + "---|" * 7)
    for v in variants:
        def tot(m):
            return sum(data.get((m, v), {}).values())
        o, i, f = tot("gro_outsegs_a"), tot("gro_insegs_c"), tot("gro_frames_c")
        x = paired("gro_tcp", v, "gso", lambda a, b: a / b)
        print(f"| {labels[v]} | {cell('gro_tcp', v, '{:.0f}')} | {num(x, '{:.2f}')} "
              f"| {o:.0f} | {f:.0f} | {i:.0f} | {num(o / i if i else None, '{:.1f}')} |")
    print()
    print(f"At C's xmesh0: {capture}")

print()
print("<details><summary>All samples (metric, config, then one value per "
      "round in round order)</summary>")
print()
print("```")
print("# units: tcp, gro_tcp Mbit/s; udp, udp_tx kpps; rtt µs; the rest counts")
for (m, c), byround in sorted(data.items()):
    print(f"{m:14} {c:12} " + " ".join(
        f"{byround[r]:.6g}" if r in byround else "NA"
        for r in range(1, max(byround) + 1)))
print("```")
print()
print("</details>")
PY
echo "----- END XMESH BENCH REPORT -----"
