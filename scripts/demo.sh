#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The xmesh demo: boots the test guest and, inside it, starts xmeshd on five
# instances that find each other and program the kernel, shows what they
# learnt, traces a path, then cuts a link silently under a UDP stream and
# shows the traffic moving to the other path, with the outage measured;
# then a multicast broadcast to three nodes over the agents' tree, and an
# IoT stage placed by capability (libxmesh) moving off a node that gets busy.
# xmesh-controller runs in the guest too, the agents report to it, and its
# dashboard is forwarded to http://localhost:PORT on this host while the
# mesh runs; after the scripted part the mesh is kept running for it.
#
#   scripts/demo.sh        (make demo builds first, the dashboard too)
#
# Environment:
#   XMESH_DEMO_PORT  the host port of the dashboard (8080); it must be free
#   XMESH_DEMO_HOLD  seconds the mesh is kept running after the scripted
#                    part; 0: not at all. Default: until Enter when stdin is
#                    a terminal, 0 otherwise (scripted runs end). Enter ends
#                    a hold early, Ctrl-C stops the guest at any time.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

GUEST_WEB_PORT=7680	# the controller's own, in the guest
GUEST_STOP_PORT=7681	# a connection there ends the hold (demo-guest.sh)

port_taken() {
	[[ -n $(ss -Htln "sport = :$1") ]]
}

port=${XMESH_DEMO_PORT:-8080}
if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
	die "XMESH_DEMO_PORT: a TCP port, not '$port'"
fi
! port_taken "$port" ||
	die "port $port is taken on this host; choose another with XMESH_DEMO_PORT=PORT"
[[ -f $top/controller/build/web/index.html ]] ||
	die "the dashboard is not built: make -C controller web (make demo does it)"
# The hold's stop request: any free port, on the host's loopback only.
for _ in {1..50}; do
	stop_port=$((20000 + RANDOM % 40000))
	port_taken "$stop_port" || break
done

interactive=
[[ -t 0 ]] && interactive=1
hold=${XMESH_DEMO_HOLD:-}
if [[ -z $hold ]]; then
	hold=0
	[[ -z $interactive ]] || hold=forever
fi
[[ $hold == forever || $hold =~ ^[0-9]+$ ]] ||
	die "XMESH_DEMO_HOLD: seconds, not '$hold'"
# The guest's own deadline must leave room for the hold.
if [[ $hold == forever ]]; then
	export XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-0}
else
	export XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-$((900 + hold))}
fi
export XMESH_DEMO_PORT=$port XMESH_DEMO_HOLD=$hold
export XMESH_DEMO_ENTER=$interactive
export XMESH_GUEST_HOSTFWD="$port:$GUEST_WEB_PORT $stop_port:$GUEST_STOP_PORT"
export XMESH_GUEST_MODULES="$top/kmod/xmesh.ko"
run=("$top/scripts/guest.sh" run "$top/scripts/demo-guest.sh")

# dashboard_check: once the forwarded dashboard answers on this host,
# say so (from the host's side: the forwarding works, not only the
# controller in the guest); quietly gives up when the guest is gone.
dashboard_check() {
	local url="http://127.0.0.1:$port/"
	while sleep 2; do
		if curl -sf -o /dev/null --max-time 5 "$url"; then
			echo "demo: checked from this host: $url answers (the dashboard)"
			return 0
		fi
	done
}
dashboard_check &
checker=$!
trap 'kill "$checker" 2>/dev/null || true' EXIT

if [[ -z $interactive ]]; then
	rc=0
	"${run[@]}" || rc=$?
	exit "$rc"
fi

# On a terminal: the guest in the background (it ignores SIGINT there, so
# Ctrl-C is passed on as SIGTERM, which stops qemu), Enter read here.
"${run[@]}" &
guest=$!
trap 'kill -TERM "$guest" 2>/dev/null; wait "$guest"; echo "demo: stopped"; exit 130' INT TERM
while kill -0 "$guest" 2>/dev/null; do
	rc=0
	read -r -t 1 || rc=$?
	if ((rc == 0)); then
		# Ends the hold; before it (nothing listens yet) it does nothing.
		socat -T 5 - "TCP:127.0.0.1:$stop_port" </dev/null >/dev/null 2>&1 || true
	elif ((rc <= 128)); then
		break	# end of input: just wait
	fi
done
rc=0
wait "$guest" || rc=$?
exit "$rc"
