#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the test binaries given as arguments (agent/tests/run.sh),
# on each store, as one TAP stream: on SQLite, their tests named
# "sqlite: ...", then on PostgreSQL, named "postgresql: ...", with a
# server of Debian's package started for the run in a scratch directory
# (tests/pg.sh), stopped and removed at the end, however it ends. The two
# run at once (the tests mostly wait: the second costs little time), the
# PostgreSQL half's lines shown when the SQLite half is done. Without
# PostgreSQL installed, its half is one skipped test saying so; a server
# that does not start is a failure. Exit status 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/../../agent/tests/run.sh
n=0
status=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-check.XXXXXX") || exit 1
# The server's user (not root) goes through to its directory.
chmod 711 "$scratch"
mkdir "$scratch/pg"

# shellcheck disable=SC2317 # the trap's
cleanup() {
	[[ -z ${pg_job:-} ]] || kill "$pg_job" 2>/dev/null
	wait
	"$here/pg.sh" stop "$scratch/pg"
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# number LABEL: the TAP lines on stdin numbered on from the n printed,
# their names prefixed with LABEL, the plan dropped (there is one, at the
# end); the new n in $scratch/count.
number() {
	awk -v n="$n" -v label="$1" -v count="$scratch/count" '
		/^1\.\.[0-9]+$/ { next }
		/^ok [0-9]+/ {
			sub(/^ok [0-9]+( - )?/, "")
			print "ok " ++n " - " label $0
			next
		}
		/^not ok [0-9]+/ {
			sub(/^not ok [0-9]+( - )?/, "")
			print "not ok " ++n " - " label $0
			next
		}
		{ print }
		END { print n > count }'
}

# The PostgreSQL half, raw, in $scratch/pg.out; the server's start status
# in pg.start (pg.sh's), the tests' in pg.rc.
pg_half() {
	local uri start=$SECONDS
	uri=$("$here/pg.sh" start "$scratch/pg" 2>"$scratch/pg.err")
	echo $? >"$scratch/pg.start"
	[[ $(cat "$scratch/pg.start") == 0 ]] || return
	echo "# the test server started in $((SECONDS - start)) s: $uri" \
		>"$scratch/pg.out"
	XMESH_TEST_PG=$uri sh "$run" "$@" >>"$scratch/pg.out" 2>&1
	echo $? >"$scratch/pg.rc"
	echo "# store: postgresql took $((SECONDS - start)) s" >>"$scratch/pg.out"
}

pg_half "$@" &
pg_job=$!

echo "# store: sqlite"
sh "$run" "$@" | number "sqlite: "
[[ ${PIPESTATUS[0]} == 0 ]] || status=1
n=$(cat "$scratch/count")
echo "# store: sqlite took $SECONDS s"

wait "$pg_job"
pg_job=
echo "# store: postgresql"
case $(cat "$scratch/pg.start" 2>/dev/null) in
0)
	number "postgresql: " <"$scratch/pg.out"
	n=$(cat "$scratch/count")
	[[ $(cat "$scratch/pg.rc" 2>/dev/null) == 0 ]] || status=1
	;;
3)
	echo "ok $((++n)) - postgresql: the tests on PostgreSQL # SKIP $(head -n 1 "$scratch/pg.err")"
	;;
*)
	echo "not ok $((++n)) - postgresql: the test server did not start"
	sed 's/^/#   /' "$scratch/pg.err"
	status=1
	;;
esac
echo "1..$n"
exit "$status"
