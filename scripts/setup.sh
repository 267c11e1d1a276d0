#!/bin/bash
# Install every Debian package xmesh needs (build, static checks, tests, the
# qemu guest) on a Debian 12 machine, then fetch the guest kernel
# (scripts/guest-kernel.sh). Idempotent: when everything is installed it asks
# dpkg only, touches no network, and takes well under a second or two.
#
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PACKAGES=(
	# building the module and the tools
	build-essential make gcc libc6-dev binutils pkg-config
	linux-headers-amd64 linux-source-6.1 bc flex bison libelf-dev libssl-dev
	libmnl-dev libjson-c-dev libsodium-dev libnl-route-3-dev
	# fuzz targets (libFuzzer)
	clang libclang-rt-dev
	# the agent's XDP first gate (agent/bpf/): libbpf, its skeleton
	libbpf-dev bpftool
	# the agent's nftables table for the filter rules (libnftnl); nft to
	# inspect it in the tests
	libnftnl-dev nftables
	# xmesh-controller: HTTP server and client, its stores (SQLite; the
	# PostgreSQL client library, and the server its tests start)
	libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
	libpq-dev postgresql
	# a TLS key and certificate for the controller in the agent's tests;
	# curl for the API in the guest tests and the demo's dashboard check
	openssl curl
	# DKMS: dkms.conf and its test (scripts/test-install.sh dkms); it pulls
	# no kernel image with --no-install-recommends
	dkms
	# the Debian packages (make deb, debian/): debhelper and dh_dkms
	debhelper dh-dkms
	# the module must also build against Debian's newest kernel (a check)
	linux-headers-6.12-amd64
	# static checks (sparse, shellcheck, checkpatch, the netlink spec)
	sparse shellcheck perl git python3 python3-yaml python3-jsonschema jq
	python3-docutils
	# the test guest: qemu, its firmware, the initramfs, the kernel fetch
	qemu-system-x86 qemu-system-data busybox-static cpio kmod xz-utils zstd
	gzip util-linux procps coreutils
	# networking tools the tests use in the guest (it runs the host's binaries)
	iproute2 iputils-ping ethtool socat tcpdump netcat-openbsd iperf3
	wireguard-tools batctl babeld
	# frames sealed from the wire format alone (tests/guest/xmframes.py)
	python3-cryptography
	# the dashboard's browser tests (tests/web/run.sh): Debian's chromium,
	# driven by playwright-core (Node.js 20 and npm come with the machine)
	chromium
)

say() { echo "setup.sh: $*" >&2; }

SUDO=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || { say "run as root (or install sudo)"; exit 1; }
	SUDO=(sudo)
fi

updated=
apt_update() {
	[[ -z $updated ]] || return 0
	say "apt-get update"
	"${SUDO[@]}" apt-get update -q
	updated=1
}

apt_install() {
	say "installing: $*"
	apt_update
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "$@"
}

# Print the packages among "$@" that are not installed.
missing() {
	local installed
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null |
		awk '$2 == "ii" { print $1 }') || true
	comm -23 <(printf '%s\n' "$@" | sort -u) <(printf '%s\n' "$installed" | sort -u)
}

# apt-cache (guest-kernel.sh resolves the kernel ABI with it) needs lists.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	apt_update
fi

mapfile -t need < <(missing "${PACKAGES[@]}")
((${#need[@]} == 0)) || apt_install "${need[@]}"

# The headers metapackage may be installed yet older than the kernel the guest
# boots (apt lists moved on); the module must be built for the guest's ABI.
abi=$("$HERE/guest-kernel.sh" --abi)
mapfile -t need < <(missing "linux-headers-$abi")
((${#need[@]} == 0)) || apt_install "${need[@]}"
[[ -d /usr/src/linux-headers-$abi ]] || { say "no /usr/src/linux-headers-$abi after install"; exit 1; }

# The guest kernel cache under /var/cache needs root when first filled.
"${SUDO[@]}" "$HERE/guest-kernel.sh" >/dev/null
say "ready: guest kernel $abi"
