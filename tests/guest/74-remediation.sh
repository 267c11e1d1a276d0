#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Remediation (issue 8 part 5): xmesh-controller and four agents in a line,
# n1 --ul1-- n2 --ul2-- n3 --ul3-- n4, each reaching the controller over a
# management veth of its own (as in 70-controller.sh). The controller has
# a hook, restart, that starts a node's agent again (restart.sh: the node
# from XMESH_NODE_ID); the policy has three rules on unreachable nodes:
# restart (the hook, for 5 s), watch (notify, dry run), and a budget of 2
# actions an hour for all.
#
# - n3's agent is killed: the controller sees its long poll hang up, the
#   restart rule fires, the hook restarts it, the mesh reconverges (n1
#   routes to the three others again), the log shows the action, its
#   outcome and the recovery; the dry-run rule decided and did nothing.
# - A storm: n2, n3 and n4 are killed at once: the budget (2, one used)
#   lets one restart through; the two others are logged as stopped by the
#   budget, and their agents stay down.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/74-remediation.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

an_require
ctl_require
NODES=(n1 n2 n3 n4)
A=$AN_DIR

modprobe xmesh
# ------------------------------------------------------------ the network
for i in 1 2 3 4; do
	an_node "n$i" "$i"
done
for k in 1 2 3; do
	mesh_link "$k" "n$k" "n$((k + 1))"
done
ctl_site "${NODES[@]}"

# ------------------------------------------------------------ the hook
# restart.sh: the node's agent again, as an_start does, its pid in
# NAME.pid (for the kills below and the cleanup).
cat >"$A/restart.sh" <<EOF
#!/bin/sh
name=n\$XMESH_NODE_ID
echo "\$(date +%s) \$XMESH_EVENT \$XMESH_RULE \$name" >>"$A/hook.log"
ip netns exec "xm-\$name" "$XMESHD" -f -v -v -c "$A/\$name.conf" \\
	>>"$A/\$name.log" 2>&1 &
echo \$! >"$A/\$name.pid"
echo "restarted \$name"
EOF
chmod +x "$A/restart.sh"
at_exit "for f in $A/*.pid; do [ -f \"\$f\" ] && kill -KILL \"\$(cat \"\$f\")\"; done; true"
cat >"$A/controller.conf" <<EOF
# remediation hooks
hook-timeout 20
hook restart command $A/restart.sh
EOF

# ------------------------------------------------------------ controller
XMESH_TOKEN=$(ctl_token operator ops)
export XMESH_TOKEN
ctl_start --config "$A/controller.conf" --remedy-stale 3 --remedy-settle 60

cat >"$A/policy.json" <<EOF
{
	"timers": { "hello_interval": 1, "dead_interval": 10,
		    "probe_interval": 0.1, "probe_miss": 10 },
	"remediation": {
		"budget_per_hour": 2,
		"rules": [
			{ "name": "restart", "when": "unreachable", "for": 5,
			  "action": "hook", "hook": "restart",
			  "max_per_hour": 10 },
			{ "name": "watch", "when": "unreachable", "for": 5,
			  "action": "notify", "dry_run": true,
			  "max_per_hour": 10 }
		]
	}
}
EOF
check "the controller starts" ctl_wait
check_json "the policy with the remediation rules is applied" \
	'.[0].version == 1' "$XM" -j policy apply "$A/policy.json"

# ------------------------------------------------------------ agents
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
for i in 1 2 3 4; do
	links=()
	((i == 1)) || links+=("link ul$((i - 1))")
	((i == 4)) || links+=("link ul$i")
	an_config "n$i" "${common[@]}" "certificate $A/n$i.cert" \
		"${links[@]}" "controller $(ctl_agent_url "n$i")"
	an_start "n$i"
	echo "${AN_PID[n$i]}" >"$A/n$i.pid"
done

# kill_agent NAME: its agent, whoever started it last.
kill_agent() {
	local pid
	pid=$(cat "$A/$1.pid")
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
if wait_for 120 ctl_at_version 1 "${NODES[@]}"; then
	tap_ok "the policy reaches all four agents"
else
	tap_fail "the policy reaches all four agents" "$(ctl_all_logs)"
fi
if an_wait_routes 120 3 n1; then
	tap_ok "n1 routes to the three others"
else
	tap_fail "n1 routes to the three others" "$(an_logs n1)"
fi
check_json "nothing decided while all agents are up" 'length == 0' \
	"$XM" -j remediation log

# ------------------------------------------------------------ one agent dies
t0=$EPOCHREALTIME
kill_agent n3
if wait_for 90 ctl_log_has 'any(.[]; .rule == "restart" and .verdict == "act" and .node == 3)'; then
	t1=$EPOCHREALTIME
	tap_ok "n3 killed: the restart rule fires on node 3"
	echo "# killed to decided: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (stale 3 s + for 5 s)"
else
	tap_fail "n3 killed: the restart rule fires on node 3" "$(ctl_all_logs)"
fi
if wait_for 60 ctl_log_has 'any(.[]; .rule == "restart" and .node == 3 and (.outcome | startswith("ok: exit 0: restarted n3")))'; then
	tap_ok "the hook restarted n3's agent (its outcome logged)"
else
	tap_fail "the hook restarted n3's agent" "$("$XM" remediation log)" \
		"$(cat "$A/hook.log" 2>/dev/null)"
fi
check "the hook had the node in its environment" \
	grep -q "hook restart n3" "$A/hook.log"
if wait_for 120 ctl_at_version 1 n3 && an_wait_routes 120 3 n1; then
	tap_ok "n3 is back: the mesh reconverges, n1 routes to the three others"
else
	tap_fail "n3 is back: the mesh reconverges" "$(an_logs n3)" \
		"$(an_logs n1)"
fi
if wait_for 60 ctl_log_has 'any(.[]; .rule == "restart" and .verdict == "recovered" and .node == 3)'; then
	tap_ok "the log shows node 3 recovered after the action"
else
	tap_fail "the log shows node 3 recovered" "$("$XM" remediation log)"
fi
check "the dry-run rule decided on node 3 and did nothing" ctl_log_has \
	'any(.[]; .rule == "watch" and .verdict == "dry-run" and .node == 3 and .outcome == "none: dry run")'
check_json "the decisions are in the audit log, by remediation" \
	'any(.entries[]; .actor == "remediation" and .action == "remediation.act")' \
	ctl_api "audit?limit=1000"
check_match "xmesh remediation log shows it" 0 "rule restart act hook node 3" \
	"$XM" remediation log

# ------------------------------------------------------------ a storm
for name in n2 n3 n4; do
	kill_agent "$name"
done
# One restart left in the budget of 2: one act, two stopped.
# shellcheck disable=SC2317 # called through wait_for
storm_decided() {
	ctl_log_has '([.[] | select(.rule == "restart" and .verdict == "act")] | length) == 2 and ([.[] | select(.rule == "restart" and .verdict == "budget")] | length) == 2'
}
if wait_for 90 storm_decided; then
	tap_ok "a storm of three: the budget lets one restart through, stops two"
else
	tap_fail "a storm of three: the budget stops it" "$("$XM" remediation log)"
fi
sleep 5
check "no more than that: two restarts in all" ctl_log_has \
	'([.[] | select(.verdict == "act")] | length) == 2'
check_json "the budget is used up (/metrics)" '. == 2' \
	sh -c "curl -sf $XMESH_CONTROLLER/metrics | awk '/^xmesh_controller_remediation_budget_used/ { print \$2 }'"
check "the hook ran twice in all" test "$(wc -l <"$A/hook.log")" -eq 2

kill -TERM "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
tap_done
