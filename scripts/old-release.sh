#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The agent and tool of an earlier release, for the mixed-version guest
# test (tests/guest/48-agent-mixed.sh): built once from the git history
# into $XMESH_CACHE/old-release/COMMIT/ (agent/xmeshd, agent/xmesh), whose
# path is printed.
#
#   scripts/old-release.sh [COMMIT]     default: XMESH_OLD_RELEASE, else
#                                       RELEASE below
#
# RELEASE is the tree sites run before this one: a rolling upgrade has it
# and this tree's agents side by side. Move it on when a release lands.
# Without the commit in the history (a shallow clone) it fails with status
# 1, and the test skips.
set -euo pipefail
# Session 7's landed tree: before unknown advert TLVs were kept, the probe
# rules of sessions 8 and 9, and the netlink version check.
RELEASE=30f4a30
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want=${1:-${XMESH_OLD_RELEASE:-$RELEASE}}
commit=$(git -C "$top" rev-parse --verify -q "$want^{commit}") || {
	echo "old-release.sh: no commit $want in this clone's history" >&2
	exit 1
}
dir=${XMESH_CACHE:-/var/cache/xmesh}/old-release/$commit
if [[ ! -x $dir/agent/xmeshd || ! -x $dir/agent/xmesh ]]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	git -C "$top" archive "$commit" agent uapi controller | tar -x -C "$dir.tmp"
	if ! nice -n 19 make -s -C "$dir.tmp/agent" xmeshd xmesh >"$dir.tmp/build.log" 2>&1; then
		echo "old-release.sh: building $commit's agent failed:" >&2
		tail -n 20 "$dir.tmp/build.log" >&2
		exit 1
	fi
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
echo "$dir"
