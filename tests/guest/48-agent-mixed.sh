#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Mixed versions (issue 11, upgrade safety; Documentation/install.md): a
# ring of four where n2 runs the previous release's agent
# (scripts/old-release.sh builds it from the git history; the run passes
# its directory in XMESH_OLD_RELEASE_DIR) beside this tree's agents, all on
# this tree's module:
#
#   n1 --ul1-- n2 (old) --ul2-- n3 --ul3-- n4 --ul4-- n1
#
# - The ring converges, the old agent's neighbors and adverts accepted both
#   ways (no message refused as malformed, of another version or
#   unauthentic, on either side).
# - ul4 cut: n1 reaches n4 the long way, through the old agent.
# - n2 upgraded in place (the old agent stopped, this tree's started on its
#   configuration and state) under a stream n1 -> n3 that crosses it: the
#   stream flows on, the ring converges again; then rolled back the same
#   way.
#
# Run it with
#   make -C agent && make -C kmod && \
#       XMESH_OLD_RELEASE_DIR=$(scripts/old-release.sh) \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/48-agent-mixed.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true, stream_*, link_*

OLD=${XMESH_OLD_RELEASE_DIR:-}
if [[ -z $OLD || ! -x $OLD/agent/xmeshd || ! -x $OLD/agent/xmesh ]]; then
	echo "1..0 # SKIP no previous release built (scripts/old-release.sh: a clone without history?)"
	exit 0
fi
an_require
udpgap_build
NODES=(n1 n2 n3 n4)
NEW_XMESHD=$XMESHD
NEW_XM=$XM
BOUND_MS=3000

modprobe xmesh
for i in 1 2 3 4; do
	an_node "n$i" "$i"
done
for i in 1 2 3 4; do
	mesh_link "$i" "n$i" "n$((i % 4 + 1))"
done
# Lenient timers, as the other agent tests have them: the emulated guest
# stalls under load.
for i in 1 2 3 4; do
	an_config "n$i" "hello-interval 1" "dead-interval 10" "sync-hold 3" \
		"probe-interval 0.1" "probe-miss 10" \
		"link ul$i" "link ul$(((i + 2) % 4 + 1))"
done

# with_release old|new CMD...: CMD with that release's agent and tool.
with_release() {
	local rel=$1
	shift
	if [[ $rel == old ]]; then
		XMESHD=$OLD/agent/xmeshd XM=$OLD/agent/xmesh "$@"
	else
		XMESHD=$NEW_XMESHD XM=$NEW_XM "$@"
	fi
}

# release_config old|new NAME: NAME's configuration as that release's
# agent reads it, the way an operator upgrades a node without
# certificates (Documentation/install.md): this release wants
# "insecure-no-certificates yes", the old one knows no such line.
release_config() {
	local conf=$AN_DIR/$2.conf
	sed -i '/^insecure-no-certificates /d' "$conf"
	[[ $1 == old ]] || echo "insecure-no-certificates yes" >>"$conf"
}

for name in n1 n3 n4; do
	an_start "$name"
done
release_config old n2
with_release old an_start n2

# ring_whole: every node routes to the three others (this tree's tool
# reads each kernel).
# shellcheck disable=SC2317 # called through wait_for
ring_whole() {
	an_wait_routes 1 3 "${NODES[@]}"
}

if wait_for 120 ring_whole; then
	tap_ok "a ring with the previous release's agent on n2 converges"
else
	tap_fail "a ring with the previous release's agent on n2 converges" \
		"$(an_logs n2)" "$(an_logs n1)"
fi

# refusals REL NAME: NAME's agent's messages refused as malformed, of
# another version, or unauthentic (with REL's tool), one line.
# shellcheck disable=SC2317 # called through check_json
refusals() {
	with_release "$1" x "$2" -j -s agent show |
		jq -c '.stats | {rx_malformed, rx_bad_version, rx_bad_auth}'
}
none='.rx_malformed == 0 and .rx_bad_version == 0 and .rx_bad_auth == 0'
check_json "the old agent refused nothing of the new ones" "$none" \
	refusals old n2
for name in n1 n3; do
	check_json "$name refused nothing of the old agent" "$none" \
		refusals new "$name"
done
check "overlay ping n1 -> n3" n n1 ping -c 3 -i 0.2 -W 5 -I 10.99.0.1 10.99.0.3

# ul4 cut: n1's only way to n4 is through the old agent.
link_cut n1 ul4 silent
if wait_for 60 an_path_is n1 n4 n2 n3; then
	tap_ok "ul4 cut: n1 -> n4 through the old agent on n2"
else
	tap_fail "ul4 cut: n1 -> n4 through the old agent on n2" \
		"$(x n1 path show 4 2>&1)" "$(an_logs n2)"
fi
check "ul4 cut: overlay ping n1 -> n4" \
	n n1 ping -c 3 -i 0.2 -W 5 -I 10.99.0.1 10.99.0.4

# swap_n2 FROM TO: n2's agent of release FROM stopped and one of release TO
# started on its configuration and state, under a stream n1 -> n3 that
# crosses n2 (ul4 is cut); the stream must flow on.
swap_n2() {
	local from=$1 to=$2 rep
	stream_start n1 n3 10.99.0.3 10.99.0.1 -- -t 60 -H 1500
	sleep 0.3
	stream_mark
	an_stop n2
	release_config "$to" n2
	with_release "$to" an_start n2
	wait_for 30 with_release "$to" an_up n2 || true
	rep=$(stream_end 70)
	if jq -e ".recovered and .max_lost_ms <= $BOUND_MS" <<<"$rep" >/dev/null; then
		tap_ok "n2 from the $from release to the $to: the stream across it flows on ($(jq -r .max_lost_ms <<<"$rep") ms lost at most)"
	else
		tap_fail "n2 from the $from release to the $to: the stream across it flows on" \
			"$rep" "$(an_logs n2)"
	fi
	if wait_for 120 ring_whole; then
		tap_ok "n2 on the $to release: every node routes to the three others"
	else
		tap_fail "n2 on the $to release: every node routes to the three others" \
			"$(an_logs n2)"
	fi
	check_json "n2 on the $to release: its agent refused nothing" "$none" \
		refusals "$to" n2
}
swap_n2 old new
swap_n2 new old
link_restore n1 ul4 silent
if wait_for 120 an_path_is n1 n4; then
	tap_ok "ul4 restored: n1 -> n4 direct again"
else
	tap_fail "ul4 restored: n1 -> n4 direct again" "$(x n1 path show 4 2>&1)"
fi
tap_done
