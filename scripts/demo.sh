#!/bin/bash
# The xmesh demo: boots the test guest and, inside it, starts xmeshd on five
# instances that find each other and program the kernel, shows what they
# learnt, traces a path, then cuts a link silently under a UDP stream and
# shows the traffic moving to the other path, with the outage measured.
#
#   scripts/demo.sh        (make demo builds first)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec env XMESH_GUEST_MODULES="$top/kmod/xmesh.ko" \
	"$top/scripts/guest.sh" run "$top/scripts/demo-guest.sh"
