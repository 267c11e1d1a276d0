#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the fault and soak test (tests/guest/78-soak.sh) for
# SOAK_MINUTES (30) in the guest, instead of the minute `make test` gives
# it; Documentation/soak.md.
#
#   scripts/soak.sh
#
# Environment: SOAK_MINUTES (30); XMESH_SOAK_KERNEL=debug runs it on the
# debug kernel (scripts/test-debug.sh: KASAN, lockdep, kmemleak after it);
# XMESH_SOAK_SEED replays a run's faults; the test's other XMESH_SOAK_*.
# The output is TAP ending in `N passed, N failed`, as make test's.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
minutes=${SOAK_MINUTES:-30}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || {
	echo "soak.sh: SOAK_MINUTES must be a whole number of minutes, not '$minutes'" >&2
	exit 2
}
export XMESH_SOAK_SECONDS=$((minutes * 60))
# Room for the set-up, the last fault and the checks; a debug kernel is
# several times slower.
export XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-$((minutes * 60 * 3 + 1800))}
test=tests/guest/78-soak.sh
if [[ ${XMESH_SOAK_KERNEL:-} == debug ]]; then
	# The debug guest is several times slower and stalls for longer: a
	# longer outage bound and a stream judged flowing again despite
	# gaps of its stalls; it drops a few packets under load whatever
	# the fault, a controller restart too (soak.md).
	export XMESH_SOAK_BOUND_MS=${XMESH_SOAK_BOUND_MS:-6000}
	export XMESH_SOAK_GAP_MS=${XMESH_SOAK_GAP_MS:-250}
	export XMESH_SOAK_RESTART_LOST=${XMESH_SOAK_RESTART_LOST:-20}
	exec scripts/test-debug.sh "$test"
fi
XMESH_GUEST_TESTS=$test exec scripts/run-tests.sh guest
