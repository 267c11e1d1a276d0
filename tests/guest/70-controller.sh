#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The controller and its agents (issue 8, distribution): xmesh-controller
# in the guest's root namespace, six agents with certificates (all in zone
# web) in a line, n1 --ul1-- n2 --ul2-- ... --ul5-- n6, with a shortcut
# n2 --ul6-- n4, each reaching the controller over a management veth of
# its own (mgI, 10.98.I.0/24), never over the mesh. n5 has a local filter
# file.
#
# - Version 1 (no hop limit) reaches every agent; the controller shows all
#   six at it; n1 routes to the five others.
# - Version 2 (max hops 2) reaches all six within the deadline (the time
#   taken is printed) and is applied: n1 routes to three nodes, n6 to two,
#   n3 to four; a reload (SIGHUP) keeps it.
# - A bad policy is refused with its location and changes nothing.
# - The controller is killed: the agents keep version 2, count their failed
#   fetches, and an agent restarted meanwhile applies it from its cache.
# - The controller restarts on its store: no version, history or agent
#   lost; version 3 (no limit again) reaches every agent, n1 routes to all.
# - Version 4 has a filter, a QoS rate and a drained link: on all six, the
#   filter's table inet xmesh (n5's file is not used while a policy has a
#   filter, from version 1 on); a UDP flow n1 -> n6
#   to a denied port is dropped and counted by its line at n6 (in), not at
#   n1; pings pass; bulk is capped at 50 Mbit/s; n1's path to n4 leaves
#   the drained n2-n4 for n2-n3-n4. The controller killed again: n6 keeps
#   version 4, and its filter still drops and counts the denied flow; the
#   controller restarts on its store and version 5 reaches all six.
# - Version 5 has neither filter nor drain: the path comes back, the
#   policy's table goes, n5 is back to its file. SIGHUP on n5 with a bad
#   file keeps its rules; with a good one, installs the new ones.
# - Version 6 cannot be applied on n6 (an nftables table xmesh another
#   process owns): the five others apply it, n6 keeps version 5 and its
#   QoS rate, says why, and the controller shows it behind and keeps the
#   error in its audit log; version 7, once the table is gone, applies on
#   all six.
# - Version 8 sets the site's security mode to auth: every node's device
#   takes it, the nodes pair again in it, route and carry pings; version
#   9 puts encrypt back the same way.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/70-controller.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, fails_with
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

an_require
ctl_require
NODES=(n1 n2 n3 n4 n5 n6)
A=$AN_DIR

modprobe xmesh
# ------------------------------------------------------------ the network
for i in 1 2 3 4 5 6; do
	an_node "n$i" "$i"
done
for k in 1 2 3 4 5; do
	mesh_link "$k" "n$k" "n$((k + 1))"
done
mesh_link 6 n2 n4
ctl_site "${NODES[@]}"

# ------------------------------------------------------------ controller
XMESH_TOKEN=$(ctl_token operator ops)
export XMESH_TOKEN

# policy HOPS FILE: the site policy with max_hops HOPS. The emulated guest
# stalls for hundreds of ms under load: lenient timers, the agents' own.
policy() {
	cat >"$2" <<-EOF
	{
		"max_hops": $1,
		"timers": { "hello_interval": 1, "dead_interval": 10,
			    "probe_interval": 0.1, "probe_miss": 10 },
		"filter": ["zone web 10", "policy allow"],
		"tests": ["zone web can reach zone web on tcp/22"]
	}
	EOF
}

ctl_start
check "the controller starts" ctl_wait
policy 0 "$A/v1.json"
check_json "version 1 (no hop limit) is applied" '.[0].version == 1' \
	"$XM" -j policy apply "$A/v1.json"

# ------------------------------------------------------------ agents
printf 'zone web 10\ndeny dir in proto udp dport 7777\n' >"$A/n5.rules"
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
for i in 1 2 3 4 5 6; do
	links=("link ul$i")
	((i == 1)) || links+=("link ul$((i - 1))")
	((i < 6)) || links=("link ul5")
	((i != 2 && i != 4)) || links+=("link ul6")
	extra=()
	((i != 5)) || extra=("filter $A/n5.rules")
	an_config "n$i" "${common[@]}" "certificate $A/n$i.cert" \
		"${links[@]}" "${extra[@]}" "controller $(ctl_agent_url "n$i")"
	an_start "n$i"
done

if wait_for 120 ctl_at_version 1 "${NODES[@]}"; then
	tap_ok "version 1 reaches all six agents"
else
	tap_fail "version 1 reaches all six agents" "$(ctl_all_logs)"
fi
if an_wait_routes 120 5 n1 n6; then
	tap_ok "n1 and n6 route to the five others"
else
	tap_fail "n1 and n6 route to the five others" "$(an_logs n1)"
fi
check_json "the controller shows six agents current at version 1" \
	'(.agents | length) == 6 and all(.agents[]; .policy_version == 1 and .current)' \
	ctl_api agents

# ------------------------------------------------------------ a new version
# applied_after T0 VERSION: from T0 ($EPOCHREALTIME, before the apply) to
# each agent's "policy version VERSION applied" log line, in seconds, one
# line per agent ("-" for one without it). The agents log the guest's one
# clock, as time of day.
applied_after() {
	local t0=$1 v=$2 name midnight
	midnight=$(date -d "$(date -d "@${t0%.*}" +%F)" +%s)
	for name in "${NODES[@]}"; do
		sed -n "s/^\([0-9]*\):\([0-9]*\):\([0-9.]*\) info: policy version $v applied (from the controller).*/\1 \2 \3/p" \
			"$A/$name.log" | head -1 |
			awk -v t0="$t0" -v m="$midnight" -v name="$name" '
				{ d = $1 * 3600 + $2 * 60 + $3 - (t0 - m)
				  if (d < -43200) d += 86400
				  printf "%s %.3f\n", name, d; found = 1 }
				END { if (!found) print name, "-" }'
	done
}

policy 2 "$A/v2.json"
t0=$EPOCHREALTIME
check_json "version 2 (max hops 2) is applied" '.[0].version == 2' \
	"$XM" -j policy apply "$A/v2.json"
if wait_for 60 ctl_at_version 2 "${NODES[@]}"; then
	t1=$EPOCHREALTIME
	tap_ok "version 2 reaches all six agents"
	echo "# propagation to 6 agents: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s (apply to the last agent's show)"
	applied_after "$t0" 2 | sort -k2 -n | awk '
		{ t[NR] = $2; s = s sep $1 " " $2 " s"; sep = ", " }
		END { printf "# propagation to 6 agents, apply to each agent'"'"'s applied log line: first %s s, median %s s, last %s s (%s)\n",
			t[1], t[int((NR + 1) / 2)], t[NR], s }'
	if [[ $(applied_after "$t0" 2 | awk '$2 == "-" || $2 < 0 || $2 > 60' | wc -l) == 0 ]]; then
		tap_ok "each agent logged version 2 applied, after the apply"
	else
		tap_fail "each agent logged version 2 applied, after the apply" \
			"$(applied_after "$t0" 2)"
	fi
else
	tap_fail "version 2 reaches all six agents" "$(ctl_all_logs)"
fi
if wait_for 60 an_routes_to n1 3 && wait_for 60 an_routes_to n6 2 &&
	wait_for 60 an_routes_to n3 4; then
	tap_ok "max hops 2 in force: n1 routes to three nodes, n6 to two, n3 to four"
else
	tap_fail "max hops 2 in force" "$(n n1 "$XM" route show)" \
		"$(n n3 "$XM" route show)" "$(an_logs n1)"
fi
check_json "the controller shows all six at version 2" \
	'all(.agents[]; .policy_version == 2 and .current)' ctl_api agents
check_json "n3 counts one version applied per version, no error" \
	'.agent.policy_applied == 2 and .agent.policy_refused == 0 and .agent.policy_reports >= 2' \
	x n3 -j -s agent show

kill -HUP "${AN_PID[n3]}"
check "n3 reloads" wait_for 30 grep -q "configuration reloaded" "$A/n3.log"
sleep 2
check "after the reload n3 still routes to four nodes (max hops 2)" \
	an_routes_to n3 4

# ------------------------------------------------------------ a bad policy
printf '{ "max_hop": 3 }\n' >"$A/bad.json"
check_match "a bad policy is refused with its location" 1 "/max_hop" \
	"$XM" policy apply "$A/bad.json"
check_json "also when put through the API: 400 at /max_hop" \
	'.error.status == 400 and .error.location == "/max_hop"' \
	curl -s -X PUT -H "Authorization: Bearer $XMESH_TOKEN" \
	--data-binary "@$A/bad.json" "$XMESH_CONTROLLER/api/v1/policy"
check_json "and the controller stays at version 2" '.version == 2' \
	ctl_api policy
sleep 3
check "no agent moved" ctl_at_version 2 "${NODES[@]}"

# ------------------------------------------------------------ controller down
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
# shellcheck disable=SC2317 # called through wait_for
fetch_errors() {
	jq_true '.agent.policy_fetch_errors >= 1' x "$1" -j -s agent show
}
if wait_for 60 fetch_errors n1 && wait_for 60 fetch_errors n6; then
	tap_ok "with the controller killed, the agents count failed fetches"
else
	tap_fail "with the controller killed, the agents count failed fetches" \
		"$(an_logs n1)"
fi
check "and keep version 2" ctl_at_version 2 "${NODES[@]}"
check "n1 still routes to three nodes" an_routes_to n1 3
an_stop n1
an_start n1
if wait_for 60 ctl_at_version 2 n1; then
	tap_ok "n1 restarted meanwhile applies version 2 from its cache"
else
	tap_fail "n1 restarted meanwhile applies version 2 from its cache" \
		"$(an_logs n1)"
fi
check "its log says so" grep -q "policy version 2 applied (from the cache)" \
	"$A/n1.log"
if an_wait_routes 120 3 n1; then
	tap_ok "and routes to three nodes again"
else
	tap_fail "and routes to three nodes again" "$(an_logs n1)"
fi

# ------------------------------------------------------------ it returns
ctl_start
check "the controller restarts on its store" ctl_wait
check_json "it kept every version" \
	'(.versions | map(.version)) == [2, 1]' ctl_api policy/history
check_json "and every agent" \
	'(.agents | length) == 6 and all(.agents[]; .policy_version == 2)' \
	ctl_api agents
policy 0 "$A/v3.json"
check_json "version 3 (no hop limit) is applied" '.[0].version == 3' \
	"$XM" -j policy apply "$A/v3.json"
if wait_for 120 ctl_at_version 3 "${NODES[@]}"; then
	tap_ok "version 3 reaches all six agents after the controller returned"
else
	tap_fail "version 3 reaches all six agents after the controller returned" \
		"$(ctl_all_logs)"
fi
if an_wait_routes 120 5 n1 n6; then
	tap_ok "n1 and n6 route to the five others again"
else
	tap_fail "n1 and n6 route to the five others again" "$(an_logs n1)"
fi
check_json "the controller shows all six current at version 3" \
	'all(.agents[]; .policy_version == 3 and .current)' ctl_api agents
check_json "no agent refused anything" \
	'.agent.policy_refused == 0' x n6 -j -s agent show

# ------------------------------------------------------------ filter, QoS, drain
# line_count NAME LINE: packets table inet xmesh on NAME counted for LINE.
# shellcheck disable=SC2317 # called through wait_for and check
line_count() {
	n "$1" nft -j list table inet xmesh |
		jq -er --arg c "xmesh line $2" \
			'[.nftables[] | .rule? // empty | select(.comment == $c) |
			  .expr[] | .counter? // empty | .packets] | add // 0'
}
# udp_to NAME PORT: five datagrams from n1 to NAME's overlay address.
udp_to() {
	local i
	for i in 1 2 3 4 5; do
		n n1 socat -u - "UDP:$(an_addr "$1"):$2,bind=$(an_addr n1)" \
			<<<"x$i" 2>/dev/null || true
	done
}
# has_rule NAME PORT: NAME has table inet xmesh with a rule of dport PORT.
# shellcheck disable=SC2317 # called through wait_for and check
has_rule() {
	n "$1" nft list table inet xmesh 2>/dev/null | grep "dport $2" >/dev/null
}
# all_have_rule PORT: every node has it.
# shellcheck disable=SC2317 # called through wait_for
all_have_rule() {
	local name
	for name in "${NODES[@]}"; do
		has_rule "$name" "$1" || return 1
	done
}
# bulk_of NAME RATE: bulk is capped at RATE bytes/s on NAME.
# shellcheck disable=SC2317 # called through check
bulk_of() {
	jq_true ".[0].tclasses[] | select(.tclass == \"bulk\") | .rate == $2" \
		n "$1" "$XM" -j qos show
}
# all_bulk_rate RATE: bulk is capped at RATE bytes/s on every node.
# shellcheck disable=SC2317 # called through check
all_bulk_rate() {
	local name
	for name in "${NODES[@]}"; do
		bulk_of "$name" "$1" || return 1
	done
}
# counted NAME LINE AT_LEAST: LINE's counter on NAME is at least AT_LEAST.
# shellcheck disable=SC2317 # called through wait_for and check
counted() {
	local c
	c=$(line_count "$1" "$2") && ((c >= $3))
}

cat >"$A/v4.json" <<-EOF
{
	"filter": [ "zone web 10", "policy allow",
		    "deny dir in proto udp dport 9999" ],
	"qos": { "bulk": { "rate": "50mbit" } },
	"drain": { "links": [[2, 4]] },
	"tests": [ "zone web cannot reach zone web on udp/9999",
		   "zone web can reach zone web on tcp/22" ]
}
EOF
check "n1's path to n4 is the shortcut n2-n4" wait_for 60 an_path_is n1 n4 n2
check "n5 runs version 3's filter (no rules, no table), not its file's" \
	fails has_rule n5 7777
check "n5's log says so" grep -q "its filter is in force in place of" \
	"$A/n5.log"
check_json "version 4 (a filter, a QoS rate, a drain) is applied" \
	'.[0].version == 4' "$XM" -j policy apply "$A/v4.json"
if wait_for 60 ctl_at_version 4 "${NODES[@]}"; then
	tap_ok "version 4 reaches all six agents"
else
	tap_fail "version 4 reaches all six agents" "$(ctl_all_logs)"
fi
check "its filter is table inet xmesh on all six" wait_for 30 all_have_rule 9999
check "on n5 too, in place of its file's rules" fails has_rule n5 7777
c1=$(line_count n1 3)
c6=$(line_count n6 3)
udp_to n6 9999
check "a denied UDP flow n1 -> n6 is dropped and counted by its line at n6" \
	wait_for 10 counted n6 3 $((c6 + 5))
check "and not at n1 (the rule is dir in)" \
	eval "(( \$(line_count n1 3) == $c1 ))"
check "pings n1 -> n6 pass" \
	n n1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr n1)" "$(an_addr n6)"
check "bulk is capped at 50 Mbit/s on all six" all_bulk_rate 6250000
if wait_for 60 an_path_is n1 n4 n2 n3; then
	tap_ok "the drained link n2-n4 is left: n1 -> n2 -> n3 -> n4"
else
	tap_fail "the drained link n2-n4 is left" "$(x n1 path show 4)" \
		"$(an_logs n2)"
fi
check "n2 still reaches n4" \
	n n2 ping -c 2 -i 0.2 -W 5 -I "$(an_addr n2)" "$(an_addr n4)"

# The controller down again: version 4's filter stays in n6's kernel (the
# agent holds what it verified; nothing is lifted while it cannot fetch).
kill -KILL "$CTL_PID"
wait "$CTL_PID" 2>/dev/null || true
f6=$(x n6 -j -s agent show | jq -r '.agent.policy_fetch_errors')
check "with the controller killed again, n6 counts failed fetches" \
	wait_for 60 jq_true ".agent.policy_fetch_errors > $f6" \
	x n6 -j -s agent show
check "n6 keeps version 4" ctl_at_version 4 n6
check "and its filter, table inet xmesh" has_rule n6 9999
c6=$(line_count n6 3)
udp_to n6 9999
check "the denied UDP flow n1 -> n6 is still dropped and counted at n6" \
	wait_for 10 counted n6 3 $((c6 + 5))
ctl_start
check "the controller restarts" ctl_wait
check "and shows all six current at version 4" wait_for 60 jq_true \
	'(.agents | length) == 6 and all(.agents[]; .policy_version == 4 and .current)' \
	ctl_api agents

printf '{ "tests": [] }\n' >"$A/v5.json"
check_json "version 5 (no filter, no drain) is applied" \
	'.[0].version == 5' "$XM" -j policy apply "$A/v5.json"
check "version 5 reaches all six agents" \
	wait_for 60 ctl_at_version 5 "${NODES[@]}"
if wait_for 60 an_path_is n1 n4 n2; then
	tap_ok "undrained: n1's path to n4 takes n2-n4 again"
else
	tap_fail "undrained: n1's path to n4 takes n2-n4 again" \
		"$(x n1 path show 4)"
fi
check "the policy's table is gone from n6" wait_for 30 fails has_rule n6 9999
check "n5 is back to its file's rules" wait_for 30 has_rule n5 7777
check "n5's log says so" grep -q "has no filter: back to $A/n5.rules" \
	"$A/n5.log"

printf 'zone web 10\ndeny dir in proto udp dprt 7778\n' >"$A/n5.rules"
kill -HUP "${AN_PID[n5]}"
check "SIGHUP with a bad file: n5 says so" \
	wait_for 30 grep -q "line 2: unknown word \"dprt\"; keeping the rules in use" \
	"$A/n5.log"
check "and keeps its rules" has_rule n5 7777
printf 'zone web 10\ndeny dir in proto udp dport 7778\n' >"$A/n5.rules"
kill -HUP "${AN_PID[n5]}"
check "SIGHUP with a good file: n5 installs it" wait_for 30 has_rule n5 7778
check "in place of the old rules" fails has_rule n5 7777
check_json "the controller shows all six at version 5" \
	'all(.agents[]; .policy_version == 5 and .current)' ctl_api agents

# ------------------------------------------------------------ not applicable
# An nftables table "xmesh" owned by another process (flags owner) in n6's
# namespace: n6's agent cannot replace it, so version 6 fails there.
mkfifo "$A/n6.nft"
ip netns exec xm-n6 nft -i <"$A/n6.nft" >/dev/null 2>&1 &
OWNER_PID=$!
exec 7>"$A/n6.nft"
at_exit "kill $OWNER_PID"
echo "add table inet xmesh { flags owner; }" >&7
check "a table xmesh owned by another process on n6" \
	wait_for 10 eval "n n6 nft list table inet xmesh | grep owner >/dev/null"
cat >"$A/v6.json" <<-EOF
{
	"filter": [ "zone web 10", "deny dir in proto udp dport 9998" ],
	"qos": { "bulk": { "rate": "20mbit" } }
}
EOF
check_json "version 6 (a filter, bulk at 20 Mbit/s) is applied" \
	'.[0].version == 6' "$XM" -j policy apply "$A/v6.json"
check "it reaches the five others" \
	wait_for 60 ctl_at_version 6 n1 n2 n3 n4 n5
check "n1 caps bulk at 20 Mbit/s" bulk_of n1 2500000
check "n6 cannot apply it and says why" wait_for 30 grep -q \
	"policy version 6 (from the controller) cannot be applied: table inet xmesh" \
	"$A/n6.log"
check "n6 keeps version 5" ctl_at_version 5 n6
check "and its QoS rate of version 4 (put back)" bulk_of n6 6250000
check "the controller shows n6 at version 5, not current" \
	wait_for 30 jq_true \
	'any(.agents[]; .node == 6 and .policy_version == 5 and (.current | not))' \
	ctl_api agents
check "and keeps n6's error in its audit log" wait_for 30 jq_true \
	'any(.entries[]; .actor == "node 6" and .action == "agent.policy_error" and (.detail | test("version 6 not applied")))' \
	ctl_api audit
exec 7>&-
wait "$OWNER_PID" 2>/dev/null || true
check "the owned table goes with its process" \
	fails n n6 nft list table inet xmesh
printf '{ "qos": { "bulk": { "rate": "30mbit" } } }\n' >"$A/v7.json"
check_json "version 7 is applied" '.[0].version == 7' \
	"$XM" -j policy apply "$A/v7.json"
check "and reaches all six, n6 too" wait_for 60 ctl_at_version 7 "${NODES[@]}"
check "n6 caps bulk at 30 Mbit/s" bulk_of n6 3750000

# ------------------------------------------------------------ security mode
# The site's security mode: a version sets it for every node (encrypt
# by default with certificates); each puts it in force with a new key
# exchange with every neighbor, and the mesh carries traffic again in
# that mode; then back to encrypt.
# shellcheck disable=SC2317 # called through wait_for
security_is() {
	local mode=$1 name
	shift
	for name; do
		n "$name" "$XM" -j dev show xmesh0 |
			jq -e --arg m "$mode" '.[0].security == $m' >/dev/null ||
			return 1
	done
}
for step in "8 auth" "9 encrypt"; do
	v=${step% *} mode=${step#* }
	printf '{ "security": "%s" }\n' "$mode" >"$A/v$v.json"
	check_json "version $v (security $mode) is applied" \
		".[0].version == $v" "$XM" -j policy apply "$A/v$v.json"
	check "it reaches all six" wait_for 60 ctl_at_version "$v" "${NODES[@]}"
	check "every node's device is in mode $mode" \
		wait_for 60 security_is "$mode" "${NODES[@]}"
	if an_wait_routes 120 5 n1 n6; then
		tap_ok "in mode $mode n1 and n6 route to the five others again"
	else
		tap_fail "in mode $mode n1 and n6 route again" "$(an_logs n1)"
	fi
	check "in mode $mode n1 reaches n4 over the mesh" wait_for 30 \
		n n1 ping -c 2 -i 0.2 -W 2 -I "$(an_addr n1)" "$(an_addr n4)"
done

tap_done
