#!/bin/bash
# Smoke test of the guest itself: namespaces, veth, IPv4/IPv6 ping, module
# autoloading and the modules the xmesh tests rely on. Run it with
#   scripts/guest.sh run tests/guest/00-smoke.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check "kernel is the guest's ($(uname -r))" test -d "/lib/modules/$(uname -r)/kernel"

# Three namespaces in a line: two veth links, so the middle one has two ends.
topology_line a b c
check "veth link 1 is up" n a ip link show ul1 up
check "ping 10.99.1.1 -> 10.99.1.2" n a ping -c1 -W5 10.99.1.2
check "ping 10.99.2.2 -> 10.99.2.1" n c ping -c1 -W5 10.99.2.1
check "ping fd99:1::2 -> fd99:1::1" n b ping -6 -c1 -W5 fd99:1::1
check "ping fd99:2::1 -> fd99:2::2" n b ping -6 -c1 -W5 fd99:2::2
ll=$(link_local b ul1)
if [[ -n $ll ]]; then
	check "ping link-local $ll%ul1" n a ping -6 -c1 -W5 "$ll%ul1"
else
	tap_fail "ping link-local" "b has no link-local address on ul1"
fi
# shellcheck disable=SC2317 # called through check
no_route() { ! n a ping -c1 -W1 10.99.2.2; }
check "no route between the ends without forwarding" no_route

# The kernel's module autoloader runs modprobe through the harness's
# wrapper; creating these needs it.
check "autoload sch_netem (tc qdisc add ... netem)" n a tc qdisc add dev ul1 root netem delay 1ms
check "autoload wireguard (ip link add type wireguard)" n a ip link add wg0 type wireguard

for m in sch_netem vxlan wireguard batman-adv udp_tunnel ip6_udp_tunnel; do
	check "modprobe $m" modprobe "$m"
done
check "vxlan device" n a ip link add vx0 type vxlan id 42 dstport 4789 local 10.99.1.1 remote 10.99.1.2
check "batman-adv interface" n b ip link add bat0 type batadv

if [[ -n ${XMESH_GUEST_MODULES:-} ]]; then
	check "modprobe xmesh" modprobe xmesh
	check "xmesh is loaded" grep -q '^xmesh ' /proc/modules
	check "modprobe -r xmesh" modprobe -r xmesh
else
	for t in "modprobe xmesh" "xmesh is loaded" "modprobe -r xmesh"; do
		tap_skip "$t" "XMESH_GUEST_MODULES not set"
	done
fi

check "wait_for sees a condition come true" wait_for 10 test -d /proc/self
# shellcheck disable=SC2317 # called through check
gives_up() { ! wait_for 1 false; }
check "wait_for gives up" gives_up

tap_done
