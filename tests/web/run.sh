#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dashboard's browser tests (Documentation/dashboard.md), TAP: builds
# xmesh-controller, its web directory (make -C controller web), the
# feeder (a simulated site of signed agents) and playwright-core (npm ci,
# tests/web/package-lock.json), then runs tests/web/dashboard.mjs in
# Debian's chromium (/usr/bin/chromium, or $CHROMIUM): no browser is
# downloaded. XMESH_WEB_SHOTS=DIR writes the screenshots there too.
#
#   tests/web/run.sh          the tests
#   tests/web/run.sh scale    a measurement at XMESH_WEB_NODES (1000)
#                             agents: time to first render, frame rate
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
chromium=${CHROMIUM:-/usr/bin/chromium}
for need in "$chromium" node npm; do
	if ! command -v "$need" >/dev/null; then
		echo "not ok - web: $need is missing (scripts/setup.sh installs it)"
		exit 1
	fi
done
make -s -C controller -j2 xmesh-controller web
mkdir -p tests/web/out
# shellcheck disable=SC2046 # pkg-config's words
cc -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -O1 -g \
	-Icontroller -Iagent/core -Iagent/lib -Iuapi \
	-o tests/web/out/feeder tests/web/feeder.c controller/agent_auth.c \
	agent/core/cert.c agent/lib/xmesh_file.c agent/lib/xmesh_parse.c \
	$(pkg-config --cflags --libs libsodium libcurl)
(cd tests/web && npm ci --silent --no-audit --no-fund --ignore-scripts)
if [[ ${1:-} == scale ]]; then
	CHROMIUM=$chromium exec node tests/web/scale.mjs
fi
CHROMIUM=$chromium exec node tests/web/dashboard.mjs
