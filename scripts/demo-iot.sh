# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The demo's IoT placement (issue 10, capability queries), for
# scripts/demo-guest.sh to source and call:
#
#   . "$top/scripts/demo-iot.sh"
#   export XMESHD_CAPS_OVERRIDE=$(demo_iot_caps_path)   # before an_start
#   ...
#   demo_iot n1 gpu                 # once the mesh is routed
#
# An IoT pipeline on FROM (agent/examples/iot-place.c, with libxmesh)
# places its processing stage on the nearest node with ROLE and a free
# core; then that node gets loaded and the stage moves to the next one;
# the load goes away and the stage stays (no flapping). The namespaces of
# the guest share one kernel, hence one load average: the loads come from
# the agents' test hook XMESHD_CAPS_OVERRIDE (Documentation/xmeshd.md),
# which must be in their environment when they start. Uses demo-guest.sh's
# step and show, and agentnet.sh's x, wait_for and $AN_DIR.

# demo_iot_caps_path: the agents' XMESHD_CAPS_OVERRIDE (a file per name).
demo_iot_caps_path() {
	echo "$AN_DIR/%n.caps"
}

# _demo_iot_load NAME LOAD: NAME has 4 cores with LOAD of them busy.
_demo_iot_load() {
	printf 'cores 4\nload %s\n' "$2" >"$AN_DIR/$1.caps.tmp"
	mv "$AN_DIR/$1.caps.tmp" "$AN_DIR/$1.caps"
}

# _demo_iot_stage: the node id iot-place placed its stage on last.
_demo_iot_stage() {
	sed -n 's/^placed on node \([0-9]*\) .*/\1/p' "$AN_DIR/iot.out" | tail -n 1
}

# _demo_iot_name ID: the name of node ID, as FROM's agent knows it.
_demo_iot_name() {
	x "$_DEMO_IOT_FROM" -j node show node "$1" | jq -r '.[0].name'
}

# demo_iot FROM ROLE [NAME...]: the placement, run from FROM's namespace
# (the NAMEs: the nodes whose load the demo sets; default n1 to n5).
demo_iot() {
	local from=$1 role=$2 iot="${AN_TOP:?}/agent/build/examples/iot-place"
	local names=("${@:3}") name first pid
	((${#names[@]})) || names=(n1 n2 n3 n4 n5)
	_DEMO_IOT_FROM=$from
	if [[ ! -x $iot ]]; then
		echo "(no $iot: make -C agent examples)"
		return 0
	fi
	step "Capability query: an IoT pipeline places its stage on the nearest $role node with a free core"
	echo "(every node 4 cores at load 0.5, set through the agents' test hook:"
	echo " the namespaces share one kernel and one load average)"
	for name in "${names[@]}"; do
		_demo_iot_load "$name" 0.5
	done
	wait_for 30 jq_true 'all(.[]; .cores == 4)' x "$from" -j node show || true
	show x "$from" node find role "$role" min-free-cores 1 count 3
	n "$from" "$iot" -S "$AN_DIR/$from.sock" -r "$role" -c 1 -i 1 \
		-p 9300 >"$AN_DIR/iot.out" 2>&1 &
	pid=$!
	wait_for 20 test -n "$(_demo_iot_stage)" || true
	first=$(_demo_iot_stage)
	cat "$AN_DIR/iot.out"
	if [[ -z $first ]]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return 0
	fi
	name=$(_demo_iot_name "$first")

	step "Node $first ($name) gets busy (load 3.8 of 4 cores): the stage moves"
	_demo_iot_load "$name" 3.8
	wait_for 60 test "$(_demo_iot_stage)" != "$first" || true
	show x "$from" node show node "$first"
	cat "$AN_DIR/iot.out"

	step "Node $first is idle again: the stage stays where it is, which still fits"
	_demo_iot_load "$name" 0.5
	wait_for 30 jq_true ".node == $first" \
		x "$from" -j node find role "$role" min-free-cores 1 || true
	show x "$from" node find role "$role" min-free-cores 1
	sleep 2
	cat "$AN_DIR/iot.out"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
