#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two controllers on one PostgreSQL (issue 12 part 2; Documentation/
# controller.md, "Two controllers"): a scratch PostgreSQL server started
# in the guest (tests/pg.sh: initdb into the test's tmpfs directory, a Unix
# socket only; PostgreSQL's binaries are the host's, read-only), c1 and c2
# on it, three agents in a line listing both (`controller URL1 URL2`):
#
#   n1 [1] --ul1-- n2 [2] --ul2-- n3 [3]
#
# c1 started first runs the remediation rules (an unreachable rule with a
# hook). n3's agent killed: c1 acts once. Then c1 is killed (-KILL) while
# a new version is applied through c2 and the agents report telemetry:
# n1 and n2 fail over to c2 and apply the version (each version once in
# the history), c2 takes the rules over and does not act on node 3 again
# (the hook ran once), the agents' telemetry goes on to c2 with nothing
# dropped, and one more version applied through c2 reaches them.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/76-controller-ha.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true
CTL_PORT=7682
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

an_require
ctl_require
NODES=(n1 n2 n3)
A=$AN_DIR
PORT2=7683
PG=$AN_TOP/controller/tests/pg.sh

# ------------------------------------------------------------ PostgreSQL
# The server's user (postgres, not root) goes through to its directory.
chmod 711 "$A"
mkdir "$A/pg"
set +e
DB=$("$PG" start "$A/pg" 2>"$A/pg.err")
st=$?
set -e
if ((st == 3)); then
	echo "1..0 # SKIP PostgreSQL is not installed"
	exit 0
fi
if ((st != 0)); then
	echo "Bail out! PostgreSQL does not start: $(tail -n 5 "$A/pg.err")"
	exit 1
fi
at_exit "$PG stop $A/pg"
tap_ok "a scratch PostgreSQL server in the guest"

modprobe xmesh
# ------------------------------------------------------------ the network
for i in 1 2 3; do
	an_node "n$i" "$i"
done
mesh_link 1 n1 n2
mesh_link 2 n2 n3
ctl_site "${NODES[@]}"

# ------------------------------------------------------------ controllers
cat >"$A/hook.sh" <<EOF
#!/bin/sh
echo "\$XMESH_RULE \$XMESH_NODE_ID" >>"$A/hook.log"
echo "noted n\$XMESH_NODE_ID"
EOF
chmod +x "$A/hook.sh"
cat >"$A/controller.conf" <<EOF
hook restart command $A/hook.sh
EOF
XMESH_TOKEN=$("$CTL" --db "$DB" token add operator ops)
export XMESH_TOKEN
C1=http://127.0.0.1:$CTL_PORT
C2=http://127.0.0.1:$PORT2

# ctl_run PORT LOG: a controller on the shared store; its pid printed.
ctl_run() {
	"$CTL" --db "$DB" --authority "$A/authority.cert" \
		--policy-key "$A/policy.key" --policy-cert "$A/policy.cert" \
		--listen 0.0.0.0 --port "$1" --config "$A/controller.conf" \
		--remedy-stale 5 --remedy-settle 600 >>"$2" 2>&1 &
	echo $!
}
# leader URL: that controller runs the remediation rules (/metrics).
# shellcheck disable=SC2317 # called through wait_for
leader() {
	curl -sf "$1/metrics" |
		awk '/^xmesh_controller_remediation_leader[{]site="default"[}] / { ok = $2 == 1 } END { exit !ok }'
}
# on URL CMD...: CMD with the tool pointed at that controller.
# shellcheck disable=SC2317 # called through check and wait_for
on() {
	local url=$1
	shift
	XMESH_CONTROLLER=$url "$@"
}

C1_PID=$(ctl_run "$CTL_PORT" "$A/c1.log")
at_exit "kill -KILL $C1_PID"
check "c1 starts" wait_for 30 curl -sf "$C1/metrics"
check "c1 runs the rules (the first started)" wait_for 30 leader "$C1"
C2_PID=$(ctl_run "$PORT2" "$A/c2.log")
at_exit "kill -KILL $C2_PID"
check "c2 starts" wait_for 30 curl -sf "$C2/metrics"

policy() {
	cat <<EOF
{
	"timers": { "hello_interval": 1, "dead_interval": 10 },
	"max_hops": $1,
	"remediation": {
		"budget_per_hour": 10,
		"rules": [
			{ "name": "restart", "when": "unreachable", "for": 3,
			  "action": "hook", "hook": "restart",
			  "max_per_hour": 10 }
		]
	}
}
EOF
}
policy 8 >"$A/p1.json"
check_json "version 1 applied through c1" '.[0].version == 1' \
	on "$C1" "$XM" -j policy apply "$A/p1.json"
if leader "$C2"; then
	tap_fail "c2 does not run the rules while c1 does" "$(tail -n 5 "$A/c2.log")"
else
	tap_ok "c2 does not run the rules while c1 does"
fi

# ------------------------------------------------------------ agents
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"authority $A/authority.cert")
for i in 1 2 3; do
	links=()
	((i == 1)) || links+=("link ul$((i - 1))")
	((i == 3)) || links+=("link ul$i")
	url1=$(ctl_agent_url "n$i")
	an_config "n$i" "${common[@]}" "certificate $A/n$i.cert" \
		"${links[@]}" "controller $url1 ${url1%:*}:$PORT2"
	an_start "n$i"
done
if wait_for 120 ctl_at_version 1 "${NODES[@]}"; then
	tap_ok "version 1 reaches the three agents"
else
	tap_fail "version 1 reaches the three agents" "$(ctl_all_logs)"
fi

# ------------------------------------------------------------ n3 dies
an_stop n3 KILL
# acts NODE N: the log (either controller: one store) has N actions on
# NODE.
# shellcheck disable=SC2317 # called through wait_for
acts() {
	on "$C2" "$XM" -j remediation log limit 1000 |
		jq -e "[.[] | select(.verdict == \"act\" and .node == $1)] | length == $2" >/dev/null
}
if wait_for 90 acts 3 1 && wait_for 30 test -s "$A/hook.log"; then
	tap_ok "n3 killed: c1 acts on node 3 (the hook ran)"
else
	tap_fail "n3 killed: c1 acts on node 3" "$(tail -n 20 "$A/c1.log")"
fi

# ------------------------------------------------------------ c1 dies
sent_before=$(an_stat n1 .agent.telemetry_reports)
kill -KILL "$C1_PID"
t0=$EPOCHREALTIME
policy 9 >"$A/p2.json"
check_json "c1 killed: version 2 applied through c2" '.[0].version == 2' \
	on "$C2" "$XM" -j policy apply "$A/p2.json"
if wait_for 90 ctl_at_version 2 n1 n2; then
	tap_ok "n1 and n2 fail over to c2 and apply version 2"
	echo "# c1 killed to version 2 on n1 and n2: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
else
	tap_fail "n1 and n2 fail over to c2" "$(an_logs n1)" "$(an_logs n2)"
fi
if wait_for 30 leader "$C2"; then
	tap_ok "c2 takes the rules over"
else
	tap_fail "c2 takes the rules over" "$(tail -n 20 "$A/c2.log")"
fi
# more_reports NAME N: NAME's agent had more than N + 2 reports taken.
# shellcheck disable=SC2317 # called through wait_for
more_reports() {
	(($(an_stat "$1" .agent.telemetry_reports) > $2 + 2))
}
check "n1's telemetry goes on to c2" wait_for 60 more_reports n1 "$sent_before"
check_json "nothing of n1's telemetry dropped over the failover" \
	'.agent.telemetry_dropped == 0' x n1 -j -s agent show
sleep 5		# ticks of c2's engine on the dead node 3
check "no action on node 3 twice: one in the log" acts 3 1
check "the hook ran once" test "$(grep -c '^restart 3$' "$A/hook.log")" -eq 1
check_json "the history: versions 1 and 2, each once" \
	'[.[].version] | sort == [1, 2]' on "$C2" "$XM" -j policy history

policy 10 >"$A/p3.json"
check_json "version 3 applied through c2" '.[0].version == 3' \
	on "$C2" "$XM" -j policy apply "$A/p3.json"
if wait_for 90 ctl_at_version 3 n1 n2; then
	tap_ok "version 3 reaches n1 and n2"
else
	tap_fail "version 3 reaches n1 and n2" "$(an_logs n1)"
fi
kill -TERM "$C2_PID"
wait "$C2_PID" 2>/dev/null || true
echo "# $SECONDS s in all"
tap_done
