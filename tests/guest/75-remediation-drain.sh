#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Remediation drains a lossy link (issue 8 part 6): xmesh-controller and
# four agents on two paths from a to b, each agent reporting telemetry to
# the controller over a management veth of its own (as in 74-remediation.sh):
#
#          +--ul1-- r1 [2] --ul2--+
#        a [1]                   b [4]
#          +--ul3-- r2 [3] --ul4--+      (ul4: 10 ms each way)
#
# a -> b goes over r1. The policy has one rule: link-loss above 5% for 5 s:
# drain. 20% loss on ul1: the rule fires on the link a-r1, a new policy
# version authored "remediation" drains it, all four agents apply it, a's
# path to b moves over r2, and a ping stream a -> b keeps flowing (no loss
# once moved). The loss removed: the rule logs the recovery and lifts its
# own drain (a version without it, authored "remediation"), the agents apply
# it and the path comes back over r1.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/75-remediation-drain.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true
CTL_PORT=7681
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

an_require
ctl_require
NODES=(a r1 r2 b)
A=$AN_DIR

modprobe xmesh
# ------------------------------------------------------------ the network
i=1
for name in "${NODES[@]}"; do
	an_node "$name" "$i"
	i=$((i + 1))
done
mesh_link 1 a r1
mesh_link 2 r1 b
mesh_link 3 a r2
mesh_link 4 r2 b
an_delay 4 r2 b 10
ctl_site "${NODES[@]}"

# ------------------------------------------------------------ controller
XMESH_TOKEN=$(ctl_token operator ops)
export XMESH_TOKEN
# Settle 600 s: one drain for the whole loss, no tries again.
ctl_start --remedy-settle 600

cat >"$A/policy.json" <<EOF
{
	"timers": { "hello_interval": 1, "dead_interval": 10,
		    "probe_interval": 0.1, "probe_miss": 10 },
	"remediation": {
		"budget_per_hour": 10,
		"rules": [
			{ "name": "drain-lossy", "when": "link-loss",
			  "threshold": 5, "for": 5, "action": "drain",
			  "max_per_hour": 10 }
		]
	}
}
EOF
check "the controller starts" ctl_wait
check_json "the policy with the drain rule is applied" \
	'.[0].version == 1' "$XM" -j policy apply "$A/policy.json"

# ------------------------------------------------------------ agents
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
declare -A links=([a]="ul1 ul3" [r1]="ul1 ul2" [r2]="ul3 ul4" [b]="ul2 ul4")
for name in "${NODES[@]}"; do
	lines=()
	for l in ${links[$name]}; do
		lines+=("link $l")
	done
	an_config "$name" "${common[@]}" "certificate $A/$name.cert" \
		"${lines[@]}" "controller $(ctl_agent_url "$name")"
	an_start "$name"
done

# ctl_via VIA: the controller's path a -> b (from the agents' telemetry
# routes, sent only when changed: routes_unchanged) goes through VIA.
# shellcheck disable=SC2317 # called through wait_for
ctl_via() {
	curl -sf -H "Authorization: Bearer $XMESH_TOKEN" \
		"$XMESH_CONTROLLER/api/v1/path?from=1&to=4" |
		jq -e ".complete and .hops[0].via == ${AN_ID[$1]}" >/dev/null
}
# policy_is JQ: the policy in force (xmesh -j policy history: newest
# first) satisfies JQ.
# shellcheck disable=SC2317 # called through check
policy_is() {
	"$XM" -j policy history | jq -e ".[0] | $1" >/dev/null
}

if wait_for 120 ctl_at_version 1 "${NODES[@]}"; then
	tap_ok "the policy reaches all four agents"
else
	tap_fail "the policy reaches all four agents" "$(ctl_all_logs)"
fi
if wait_for 120 an_path_is a b r1; then
	tap_ok "a's path to b goes over r1 (the fast path)"
else
	tap_fail "a's path to b goes over r1" "$(x a path show 4 2>&1)" \
		"$(an_logs a)"
fi
check "the controller's path a -> b too" wait_for 30 ctl_via r1
# The link a-r1 (either end's report) in the log with verdict V.
link_v() {
	echo "any(.[]; .rule == \"drain-lossy\" and .verdict == \"$1\" and" \
		"((.node == 1 and .peer == 2) or (.node == 2 and .peer == 1)))"
}
check_json "nothing decided while no link loses" 'length == 0' \
	"$XM" -j remediation log

# ------------------------------------------------------------ 20% loss
ping_log=$A/ping.log
# Not through n(): ip netns exec execs ping, so $! is ping's pid and
# SIGINT (its summary) reaches it.
ip netns exec xm-a ping -i 0.1 -W 2 -I "$(an_addr a)" "$(an_addr b)" \
	>"$ping_log" 2>&1 &
PING_PID=$!
at_exit "kill -KILL $PING_PID 2>/dev/null; true"
n a tc qdisc replace dev ul1 root netem loss 20%
if wait_for 90 ctl_log_has "$(link_v act)"; then
	tap_ok "20% loss on a-r1: the drain rule fires on the link"
else
	tap_fail "20% loss on a-r1: the drain rule fires" \
		"$("$XM" remediation log)" "$(x a -j -s link show 2>&1)" \
		"$(ctl_all_logs)"
fi
check "its outcome: a new policy version" ctl_log_has \
	"[.[] | select(.rule == \"drain-lossy\" and .verdict == \"act\" and (.outcome | startswith(\"ok: policy version 2\")))] | length == 1"
check "version 2 is authored by remediation and drains the link" policy_is \
	'.version == 2 and .author == "remediation"'
check_json "version 2 drains [1, 2] (or [2, 1])" \
	'.drain.links | length == 1 and (.[0] | sort) == [1, 2]' \
	"$XM" policy show
if wait_for 60 ctl_at_version 2 "${NODES[@]}"; then
	tap_ok "every agent applies version 2"
else
	tap_fail "every agent applies version 2" "$(ctl_all_logs)"
fi
if wait_for 60 an_path_is a b r2; then
	tap_ok "a's path to b moves off the drained link, over r2"
else
	tap_fail "a's path to b moves over r2" "$(x a path show 4 2>&1)" \
		"$(an_logs a)"
fi
check "the controller's path a -> b too (telemetry routes)" \
	wait_for 30 ctl_via r2
check "pings over the new path: at most 1 of 40 lost" \
	eval "n a ping -c 40 -i 0.1 -W 2 -I $(an_addr a) $(an_addr b) |
		grep -Eq ' (39|40) received'"
kill -INT "$PING_PID" 2>/dev/null || true
wait_for 10 eval "! kill -0 $PING_PID 2>/dev/null" ||
	kill -KILL "$PING_PID" 2>/dev/null || true
wait "$PING_PID" 2>/dev/null || true
sent=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$ping_log")
got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$ping_log")
echo "# the stream through loss and drain: ${got:-?} of ${sent:-?} answered"
if [[ -n $sent && -n $got ]] && ((sent > 0 && got * 10 >= sent * 7)); then
	tap_ok "the ping stream kept flowing through the drain ($got of $sent)"
else
	tap_fail "the ping stream kept flowing" "$(tail -n 5 "$ping_log")"
fi

# ------------------------------------------------------------ recovery
n a tc qdisc del dev ul1 root
if wait_for 90 ctl_log_has "$(link_v recovered)"; then
	tap_ok "the loss removed: the log shows the link recovered"
else
	tap_fail "the loss removed: recovered" "$("$XM" remediation log)"
fi
# Both ends report the link: the end whose action made version 2 lifts
# it when it recovers (the other's was "already so"), maybe a report
# after the first recovery.
if wait_for 60 ctl_log_has 'any(.[]; .rule == "drain-lossy" and .verdict == "recovered" and (.outcome | test("drain lifted: policy version 3")))'; then
	tap_ok "the recovery lifted the rule's drain: version 3"
else
	tap_fail "the recovery lifted the rule's drain" \
		"$("$XM" remediation log)" "$(tail -n 30 "$A/controller.log")"
fi
check "version 3 is authored by remediation" policy_is \
	'.version == 3 and .author == "remediation"'
check_json "version 3 drains nothing, keeps the rule" \
	'(has("drain") | not) and (.remediation.rules | length) == 1' \
	"$XM" policy show
if wait_for 60 ctl_at_version 3 "${NODES[@]}"; then
	tap_ok "every agent applies version 3"
else
	tap_fail "every agent applies version 3" "$(ctl_all_logs)"
fi
if wait_for 60 an_path_is a b r1; then
	tap_ok "a's path to b comes back over r1"
else
	tap_fail "a's path to b comes back over r1" \
		"$(x a path show 4 2>&1)" "$(an_logs a)"
fi
check "the controller's path a -> b too" wait_for 30 ctl_via r1
check "one drain, one lift: three versions in all" policy_is '.version == 3'
check_match "xmesh remediation log shows both" 0 "rule drain-lossy recovered drain" \
	"$XM" remediation log

kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
tap_done
