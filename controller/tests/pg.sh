#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A throwaway PostgreSQL server for the controller's tests, from Debian's
# package (Documentation/controller.md, "Testing on both stores").
#
#   pg.sh start DIR   initdb in DIR/data, the server listening on a Unix
#                     socket in DIR only (no TCP; mode 0700: only the
#                     server's user and root reach it, trust
#                     authentication), its log in DIR/server.log; prints
#                     the URI of its maintenance database
#                     (postgresql:///postgres?host=DIR&user=xmesh)
#   pg.sh stop DIR    stop it at once; DIR is the caller's to remove
#
# Exit status of start: 0, 3 if PostgreSQL is not installed (the tests
# skip it), 1 if it failed (the log on stderr). PostgreSQL refuses to run
# as root: as root, the server runs as the user postgres (the package's),
# or nobody, and DIR is handed to it.
set -uo pipefail

cmd=${1:-} dir=${2:-}
[[ ($cmd == start || $cmd == stop) && -d $dir ]] ||
	{ echo "usage: pg.sh start|stop DIR" >&2; exit 2; }

# Its user may not enter the caller's directory (root's home, in CI).
dir=$(cd "$dir" && pwd) && cd "$dir" || exit 1

# The newest server Debian installed (postgresql pulls postgresql-NN).
bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner=()
if ((EUID == 0)); then
	user=postgres
	getent passwd "$user" >/dev/null || user=nobody
	as_owner=(runuser -u "$user" --)
fi

if [[ $cmd == stop ]]; then
	[[ -f $dir/data/postmaster.pid ]] || exit 0
	"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop \
		>/dev/null 2>&1
	exit $?
fi

if [[ -z $bin || ! -x $bin/initdb ]]; then
	echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)" >&2
	exit 3
fi
((EUID == 0)) && chown "$user" "$dir"
# UTF-8 and the C locale, as in production and the same on every machine;
# no durability (a test's data dies with it): nothing synced, no TCP.
if ! "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U xmesh -A trust \
	-E UTF8 --locale=C --no-sync --no-instructions >"$dir/setup.log" 2>&1 ||
   ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	-o "-c listen_addresses= -k $dir -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
	start >>"$dir/setup.log" 2>&1; then
	cat "$dir/setup.log" "$dir/server.log" >&2 2>/dev/null
	exit 1
fi
echo "postgresql:///postgres?host=$dir&user=xmesh"
