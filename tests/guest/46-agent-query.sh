#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Capability queries (issue 10): three nodes in a line, c --ul1-- g1 --ul2--
# g2, g1 and g2 with role gpu (g2 in zone far). `xmesh node find` and
# libxmesh (the IoT placement example, agent/examples/iot-place.c) on c
# answer "the nearest gpu node with a free core": g1, then g2 once g1 is
# loaded, then g1 again once g2 leaves the mesh.
#
# The namespaces share one kernel, hence one load average: each agent's
# resources come from the test hook XMESHD_CAPS_OVERRIDE (a file per node
# name, read at every caps-interval; Documentation/xmeshd.md), which the
# test rewrites to load a node. Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/46-agent-query.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true

IOT=$AN_TOP/agent/build/examples/iot-place
an_require
if [[ ! -x $IOT ]]; then
	echo "Bail out! $IOT is not built (make -C agent examples)"
	exit 1
fi

# caps NAME LOAD: NAME's resources from now on: 4 cores, LOAD busy.
caps() {
	printf 'cores 4\nload %s\n' "$2" >"$AN_DIR/$1.caps.tmp"
	mv "$AN_DIR/$1.caps.tmp" "$AN_DIR/$1.caps"
}

an_node c 1
an_node g1 2
an_node g2 3
mesh_link 1 c g1
mesh_link 2 g1 g2
export XMESHD_CAPS_OVERRIDE="$AN_DIR/%n.caps"
for name in c g1 g2; do
	caps "$name" 0
	extra=()
	[[ $name == c ]] || extra=("role gpu")
	[[ $name != g2 ]] || extra+=("zone far")
	# The emulated guest stalls at times: a neighbor is down after 6
	# lost probes, not 3.
	an_config "$name" "caps-interval 1" "probe-miss 6" "${extra[@]}"
	an_start "$name"
done

# query ARGS...: c's answer to `node find ARGS` (JSON).
# shellcheck disable=SC2317 # called through check_json and wait_for
query() {
	x c -j node find "$@"
}

if wait_for 60 jq_true '[.[] | select(.reachable and .cores == 4)] | length == 3' \
	x c -j node show; then
	tap_ok "c sees g1 and g2 reachable, with their resources"
else
	tap_fail "c sees g1 and g2" "$(x c node show 2>&1)" "$(an_logs c)"
fi

# ------------------------------------------------------------ the queries
check_json "the nearest gpu node with a free core: g1" \
	'.node == 2 and .free_cores == 4 and .distance > 0' \
	query role gpu min-free-cores 1
check_json "count 2: g1, then g2 further away" \
	'map(.node) == [2, 3] and .[0].distance < .[1].distance' \
	query role gpu count 2
check_json "zone far: g2" '.node == 3' query role gpu zone far
check_json "no role asked: c itself, at distance 0" \
	'.node == 1 and .self and .distance == 0' query min-free-cores 1
check_match "more memory than any node has: none, exit 1" 1 \
	"no reachable node fits" x c node find role gpu min-free-mem 4000000000
check_json "the same query over the socket's JSON" '.nodes[0].node == 2' \
	n c bash -c "echo '{\"cmd\":\"find\",\"role\":\"gpu\",\"min_free_cores\":1}' |
		socat - UNIX-CONNECT:$AN_DIR/c.sock"

# The IoT pipeline places its stage with libxmesh.
n c "$IOT" -S "$AN_DIR/c.sock" -r gpu -c 1 -i 0.5 >"$AN_DIR/iot.out" 2>&1 &
iot=$!
at_exit "kill $iot 2>/dev/null"
# placed N: iot-place's stage went to node N as its latest placement.
# shellcheck disable=SC2317 # called through check and wait_for
placed() {
	[[ $(grep -E '^placed on' "$AN_DIR/iot.out" | tail -n 1) == "placed on node $1 "* ]]
}
check "iot-place places its stage on g1" wait_for 30 placed 2

# ------------------------------------------------------------ load moves it
caps g1 3.9
if wait_for 60 jq_true '.node == 3' query role gpu min-free-cores 1; then
	tap_ok "g1 loaded (0.1 free cores): the answer is g2"
else
	tap_fail "g1 loaded: the answer is g2" "$(x c node show 2>&1)" \
		"$(an_logs g1)"
fi
check_json "c sees g1's load" '.[0].load == 3.9 and .[0].free_cores == 0.1' \
	x c -j node show node 2
check_json "still listed without the free-core floor" '.node == 2' \
	query role gpu
if wait_for 30 placed 3; then
	tap_ok "iot-place re-placed its stage on g2"
else
	tap_fail "iot-place re-placed its stage on g2" "$(cat "$AN_DIR/iot.out")"
fi

caps g1 0
if wait_for 60 jq_true '.node == 2' query role gpu min-free-cores 1; then
	tap_ok "g1 idle again: the answer is g1 again"
else
	tap_fail "g1 idle again: g1" "$(x c node show 2>&1)"
fi
sleep 2	# four rounds of iot-place
check "iot-place keeps its stage on g2, which still fits (no flapping)" \
	placed 3

# ------------------------------------------------------------ g2 leaves
an_stop g2
if wait_for 60 jq_true 'map(.node) == [2]' query role gpu count 4; then
	tap_ok "g2 left: only g1 is found"
else
	tap_fail "g2 left: only g1" "$(x c node show 2>&1)"
fi
if wait_for 30 placed 2; then
	tap_ok "iot-place re-placed its stage on g1"
else
	tap_fail "iot-place re-placed its stage on g1" "$(cat "$AN_DIR/iot.out")"
fi
check_match "iot-place said why" 0 "^re-placed from node 3 \(g2\): it no longer fits" \
	cat "$AN_DIR/iot.out"
kill "$iot" 2>/dev/null || true
wait "$iot" 2>/dev/null || true
echo "# iot-place's output:"
sed 's/^/#   /' "$AN_DIR/iot.out"
echo "# $SECONDS s"
tap_done
