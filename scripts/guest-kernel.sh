#!/bin/bash
# Resolve and fetch the Debian kernel the xmesh guest tests run on.
#
# The guest kernel is whatever Debian's linux-image-amd64 metapackage points
# at, so the module we build (against linux-headers-amd64) always matches the
# kernel we boot. The image .deb is unpacked (not installed: the host kernel is
# not replaced) into a cache directory outside the clone.
#
# Usage:
#   scripts/guest-kernel.sh          fetch if needed, print the cache directory
#   scripts/guest-kernel.sh --abi    print the ABI, e.g. 6.1.0-56-amd64 (no fetch)
#   scripts/guest-kernel.sh --dir    like no argument: fetch if needed, print dir
#
# Environment:
#   XMESH_CACHE      base cache directory (default /var/cache/xmesh); the kernel
#                    lands in $XMESH_CACHE/guest-<abi>
#   XMESH_GUEST_ABI  skip the apt lookup and use this ABI
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
XM_DIE_STATUS=1

# Print the ABIs that apt's candidate linux-image-amd64 and linux-headers-amd64
# depend on, in that order, one per line (empty when unresolved). One apt-cache
# call for both: it is the slow part of `--abi`, which the Makefile runs.
meta_abis() {
	local deps
	deps=$(apt-cache depends linux-image-amd64 linux-headers-amd64 2>/dev/null) ||
		die "apt-cache knows no linux-image-amd64/linux-headers-amd64 (run 'apt-get update' or scripts/setup.sh)"
	printf '%s\n' "$deps" | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
	printf '%s\n' "$deps" | sed -n 's/^ *Depends: linux-headers-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

resolve_abi() {
	if [[ -n ${XMESH_GUEST_ABI:-} ]]; then
		printf '%s\n' "$XMESH_GUEST_ABI"
		return
	fi
	# apt-cache takes most of a second; remember its answer until the apt
	# lists change (apt-get update renames files into the lists directory).
	local stamp cachefile=$BASE/abi.cache line
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
	if [[ -r $cachefile ]] && read -r line <"$cachefile" && [[ ${line% *} == "$stamp" ]]; then
		printf '%s\n' "${line##* }"
		return
	fi
	local img hdr abis
	abis=$(meta_abis)
	{ read -r img; read -r hdr; } <<<"$abis" || true
	[[ -n $img ]] || die "cannot resolve the ABI of linux-image-amd64 (apt-cache depends linux-image-amd64)"
	[[ -n $hdr ]] || die "cannot resolve the ABI of linux-headers-amd64 (apt-cache depends linux-headers-amd64)"
	[[ $img == "$hdr" ]] ||
		die "linux-image-amd64 wants $img but linux-headers-amd64 wants $hdr; apt lists are inconsistent, run 'apt-get update'"
	# Best effort: a cache we cannot write only costs time.
	{ mkdir -p "$BASE" && echo "$stamp $img" >"$cachefile.$$" && mv "$cachefile.$$" "$cachefile"; } 2>/dev/null || true
	printf '%s\n' "$img"
}

# Unpack the ELF kernel inside bzImage $1 into $2. qemu boots such a vmlinux
# directly through its PVH entry point, which saves the ~3 s the kernel would
# spend decompressing itself under emulation.
extract_vmlinux() {
	local img=$1 out=$2 setup_sects off len magic
	# Boot protocol: setup_sects at 0x1f1; payload_offset/length at 0x248/0x24c,
	# counted from the protected-mode code after the setup sectors.
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
	off=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
	[[ -n $setup_sects && -n $off && -n $len ]] || return 1
	off=$(((setup_sects + 1) * 512 + off))
	magic=$(od -An -tx1 -j "$off" -N4 "$img" | tr -d ' ')
	case $magic in
	fd377a58) tail -c +$((off + 1)) "$img" | head -c "$len" | xz -dcq --single-stream >"$out.tmp" ;;
	1f8b*) tail -c +$((off + 1)) "$img" | head -c "$len" | gzip -dcq >"$out.tmp" 2>/dev/null ;;
	28b52ffd) tail -c +$((off + 1)) "$img" | head -c "$len" | zstd -dcq >"$out.tmp" 2>/dev/null ;;
	*) return 1 ;;
	esac
	# gzip and zstd complain about the size word the kernel build appends,
	# so judge by the result instead: an ELF file.
	[[ $(od -An -tx1 -N4 "$out.tmp" | tr -d ' ') == 7f454c46 ]] || { rm -f "$out.tmp"; return 1; }
	mv "$out.tmp" "$out"
}

# Download and unpack linux-image-<abi> into $1 unless it is already there.
fetch() {
	local abi=$1 dir=$2 tmp
	# modules.dep is written last, so its presence marks a complete unpack.
	if [[ -f $dir/boot/vmlinuz-$abi && -f $dir/lib/modules/$abi/modules.dep ]]; then
		return
	fi
	mkdir -p "$BASE"
	# Two runs racing to fill the cache would corrupt it; serialise them.
	exec 9>"$BASE/.guest-kernel.lock"
	flock 9
	if [[ -f $dir/boot/vmlinuz-$abi && -f $dir/lib/modules/$abi/modules.dep ]]; then
		return
	fi
	echo "guest-kernel.sh: fetching linux-image-$abi into $dir" >&2
	tmp=$(mktemp -d "$BASE/.fetch.XXXXXX")
	# apt drops privileges to _apt for downloads; let it write here.
	chmod 0755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -q "linux-image-$abi" >&2) ||
		{ rm -rf "$tmp"; die "apt-get download linux-image-$abi failed"; }
	mkdir "$tmp/root"
	dpkg -x "$tmp"/linux-image-"$abi"_*.deb "$tmp/root"
	[[ -f $tmp/root/boot/vmlinuz-$abi ]] || { rm -rf "$tmp"; die "no boot/vmlinuz-$abi in the package"; }
	# Without CONFIG_PVH qemu could not boot the vmlinux.
	if ! grep -qx 'CONFIG_PVH=y' "$tmp/root/boot/config-$abi" 2>/dev/null ||
		! extract_vmlinux "$tmp/root/boot/vmlinuz-$abi" "$tmp/root/boot/vmlinux-$abi"; then
		echo "guest-kernel.sh: no PVH vmlinux; the guest boots the slower vmlinuz" >&2
	fi
	# The package's postinst would run depmod; we unpack only, so run it here.
	depmod -b "$tmp/root" "$abi"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
}

BASE=${XMESH_CACHE:-/var/cache/xmesh}

main() {
	local abi dir
	abi=$(resolve_abi)
	[[ -n $abi ]] || die "empty ABI"
	dir=$BASE/guest-$abi
	case ${1:-} in
	--abi)
		printf '%s\n' "$abi"
		;;
	'' | --dir)
		fetch "$abi" "$dir"
		printf '%s\n' "$dir"
		;;
	*)
		die "usage: $0 [--abi|--dir]"
		;;
	esac
}

main "$@"
