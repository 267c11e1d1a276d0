#!/bin/bash
# The xmesh demo: boots the test guest and, inside it, builds a five-node
# mesh, shows its tables, traces a path, then cuts a link under traffic and
# shows the traffic moving to the backup path, with the outage measured.
#
#   scripts/demo.sh        (make demo builds first)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec env XMESH_GUEST_MODULES="$top/kmod/xmesh.ko" \
	"$top/scripts/guest.sh" run "$top/scripts/demo-guest.sh"
