#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Filter rules by traffic class (Documentation/filter.md, "class") on
# mesh.sh's five nodes, over the path 1 -> 2 -> 3 (node 2 transit): the
# class is the sender's choice (EF pings are realtime by the DSCP map),
# carried in the xmesh header through node 2, and node 3's module
# delivers each packet with its class's skb->priority, which its rules
# match (meta priority):
#   node 3 denies realtime ICMP coming in: node 1's EF pings go
#     unanswered, counted by that rule; its plain (bulk) pings and node 2's
#     are answered;
#   a rule of the forward chain only (dir forward) leaves them alone;
#   "class" with "dir out" is refused with the parser's reason.
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko scripts/guest.sh run tests/guest/62-filter-class.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

EF=0xb8			# TOS byte of DSCP 46: realtime by the DSCP map

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

# answered FROM TOS WANT: WANT of 5 pings from node FROM to node 3,
# with TOS byte TOS, answered (a TAP line).
answered() {
	local got
	got=$(n "$1" ping -n -q -Q "$2" -i 0.05 -W 1 -c 5 -I "10.0.$1.1" 10.0.3.1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p' || true)
	if [[ $got == "$3" ]]; then
		tap_ok "$1 -> 3 with TOS $2: $3 of 5 answered"
	else
		tap_fail "$1 -> 3 with TOS $2: $3 of 5 answered" "got ${got:-none}"
	fi
}

# rule_count LINE: packets counted by the rule of line LINE of node 3's
# rules file.
rule_count() {
	xm 3 -j filter show file "$tmp/class.rules" |
		jq -er --argjson l "$1" '.[] | select(.line == $l) | .packets'
}

mesh_up inet

cat >"$tmp/class.rules" <<-RULES
	# realtime may not ping node 3; everything else may
	deny dir in class realtime proto icmp
	allow
RULES
check "filter replace: a class rule" xm 3 filter replace "$tmp/class.rules"
check_match "nft matches the class's priority (realtime: 0:6)" 0 \
	'meta priority 0:6' n 3 nft list table inet xmesh

before=$(rule_count 2)
answered 1 "$EF" 0
expect_delta "node 1's realtime pings dropped at node 3 by the class rule" \
	"$before" "$(rule_count 2)" 5
answered 1 0 5
answered 2 0 5
answered 2 "$EF" 0

sed -i 's/deny dir in class/deny dir forward class/' "$tmp/class.rules"
check "filter replace: the rule in the forward chain only" \
	xm 3 filter replace "$tmp/class.rules"
answered 1 "$EF" 5

printf 'deny dir out class realtime\n' >"$tmp/bad.rules"
check_match "class with dir out is refused" 2 \
	'line 1: "class" matches packets from the mesh: dir in or forward, not out' \
	xm 3 filter replace "$tmp/bad.rules"

tap_done
