#!/bin/bash
# Boot the xmesh test guest (Debian's kernel in qemu TCG) and run a script in it.
#
#   scripts/guest.sh run SCRIPT [ARGS...]   run SCRIPT in the guest, its output
#                                           live on stdout; exit with its status
#   scripts/guest.sh shell                  interactive shell in the guest
#                                           (Ctrl-A x quits qemu)
#
# The guest sees the host's / read-only under a RAM overlay (so it may write
# anywhere, and nothing reaches the host), at the same paths: SCRIPT, the
# working directory and files given as arguments are used as on the host.
# After SCRIPT, the guest's kernel log is checked for warnings and oopses (an
# extra TAP line `ok - dmesg clean after NAME`); a dirty log fails the run.
#
# Environment:
#   XMESH_GUEST_MODULES  space-separated .ko files to install into
#                        /lib/modules/<abi>/extra in the guest, with module
#                        indexes made by depmod on the host, so `modprobe NAME`
#                        (and autoloading by alias) finds them
#   XMESH_GUEST_TIMEOUT  seconds before qemu is killed and the run fails (900)
#   XMESH_GUEST_MEM      guest memory in MiB (1024)
#   XMESH_GUEST_SMP      guest CPUs (2)
#   XMESH_GUEST_APPEND   extra kernel command line
#   XMESH_GUEST_CPU      qemu -cpu model (max)
#   XMESH_GUEST_9P_CACHE 9p cache mode of the host root (loose: files read
#                        once are kept; the host must not change them mid-run)
#   XMESH_GUEST_VERBOSE  non-empty: show the kernel boot log and timings
#   XMESH_GUEST_HOSTFWD  space-separated HOSTPORT:GUESTPORT pairs: the guest
#                        gets a NIC (virtio_net, not loaded) on qemu's user
#                        network, 10.0.2.15/24 for SCRIPT to set, with
#                        127.0.0.1:HOSTPORT on the host forwarded to its
#                        GUESTPORT (TCP) and no other way out (restrict=on);
#                        none by default
#   XMESH_GUEST_INIT     systemd: systemd runs as PID 1 in the guest's root
#                        and SCRIPT as a service after basic.target (for
#                        tests of systemd units); default: /init runs SCRIPT
#                        in a chroot, without systemd (faster)
#   XMESH_CACHE          cache directory (/var/cache/xmesh): kernel, initramfs
#   XMESH_GUEST_KERNEL_DIR  boot another kernel instead of Debian's: a directory
#                        with vmlinux (PVH) or bzImage and lib/modules/<release>
#                        (e.g. scripts/debug-kernel.sh's); the boot modules
#                        may be built in
#   XMESH_*              all exported XMESH_ variables are passed to SCRIPT
#
# Exit status: SCRIPT's (1 if it passed but the kernel log is dirty), 124 on
# timeout, 125 when the guest broke before reporting a status.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${XMESH_CACHE:-/var/cache/xmesh}
QBOOT=/usr/share/qemu/qboot.rom
# Modules /init needs to reach the host root: virtio PCI, 9p, overlayfs.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
XM_DIE_STATUS=125
say() { [[ -z ${XMESH_GUEST_VERBOSE:-} ]] || echo "# guest.sh: $*" >&2; }

usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# Quote $1 for a POSIX shell (init.conf is read by busybox sh).
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Build (or reuse) the initramfs for kernel $ABI in $KDIR; print its path.
# It is cached under $CACHE and named by a hash of everything it holds, so it
# is rebuilt exactly when /init, busybox or the boot modules change.
initramfs() {
	local busybox=/bin/busybox mods hash out stage m i=0
	[[ -x $busybox ]] || die "$busybox missing (apt-get install busybox-static)"
	# A dynamic busybox would need its libraries in the initramfs.
	if readelf -l "$busybox" 2>/dev/null | grep -q 'program interpreter'; then
		die "$busybox is dynamically linked; install busybox-static"
	fi
	# Dependencies in load order, from the image's modules.dep.
	mods=$(modprobe -d "$KDIR" -S "$ABI" -a --show-depends "${BOOT_MODULES[@]}" |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	# (A kernel of XMESH_GUEST_KERNEL_DIR may have them all built in.)
	[[ -n $mods || -n ${XMESH_GUEST_KERNEL_DIR:-} ]] || die "cannot resolve ${BOOT_MODULES[*]} in $KDIR"
	# shellcheck disable=SC2086 # one path per word
	hash=$( { echo "$ABI"; cat "$HERE/guest-init" "$busybox" $mods; } | sha256sum | cut -c1-16)
	out=$CACHE/initramfs/$ABI-$hash.cpio
	if [[ -f $out ]]; then
		printf '%s\n' "$out"
		return
	fi
	say "building $out"
	mkdir -p "$CACHE/initramfs"
	stage=$(mktemp -d "$CACHE/initramfs/.stage.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,modules,newroot}
	cp "$busybox" "$stage/bin/busybox"
	cp "$HERE/guest-init" "$stage/init"
	chmod 0755 "$stage/init"
	for m in $mods; do
		# busybox insmod cannot decompress; store plain .ko files.
		i=$((i + 1))
		local name
		name=$(printf '%02d-%s' "$i" "$(basename "${m%.*z*}")")
		case $m in
		*.ko.xz) xz -dc "$m" >"$stage/modules/$name" ;;
		*.ko.gz) gzip -dc "$m" >"$stage/modules/$name" ;;
		*.ko.zst) zstd -qdc "$m" >"$stage/modules/$name" ;;
		*) cp "$m" "$stage/modules/$name" ;;
		esac
		echo "$name" >>"$stage/modules/order"
	done
	[[ -e $stage/modules/order ]] || : >"$stage/modules/order"
	# Uncompressed: the kernel unpacks it faster than it would inflate it
	# under emulation, and it is small.
	# Other runs may build the same image at once: write privately, then
	# rename into place atomically.
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$stage.cpio"
	mv "$stage.cpio" "$out"
	rm -rf "$stage"
	# Drop images made from older inputs, once no run can still be starting
	# with them.
	find "$CACHE/initramfs" -maxdepth 1 -name "$ABI-*.cpio" ! -path "$out" -mmin +60 -delete
	printf '%s\n' "$out"
}

# Prepare the module indexes for the image's modules plus the .ko files in
# XMESH_GUEST_MODULES (installed as extra/); print the directory, which holds
# extra/ and the modules.* files. depmod runs here on the host: in the guest
# it would read all ~4000 modules over 9p under emulation, which takes minutes.
# Cached by content, so runs with the same modules share it.
prepare_modules() {
	local -a kos=() ko
	local hash out tree mods
	for ko in ${XMESH_GUEST_MODULES:-}; do
		[[ -f $ko ]] || die "XMESH_GUEST_MODULES: no file $ko"
		kos+=("$ko")
	done
	((${#kos[@]})) || return 0
	hash=$( { echo "$ABI"; for ko in "${kos[@]}"; do basename "$ko"; cat "$ko"; done; } |
		sha256sum | cut -c1-16)
	out=$CACHE/modules/$ABI-$hash
	if [[ ! -d $out ]]; then
		mkdir -p "$CACHE/modules"
		tree=$(mktemp -d "$CACHE/modules/.tree.XXXXXX")
		mods=$tree/lib/modules/$ABI
		mkdir -p "$tree/lib/modules"
		# Hard links (or symlinks across filesystems) make the image's tree
		# available to depmod for free; the old indexes are unlinked, so the
		# cached image is never written.
		cp -al "$KDIR/lib/modules/$ABI" "$mods" 2>/dev/null ||
			{ rm -rf "$mods"; cp -as "$KDIR/lib/modules/$ABI" "$mods"; }
		find "$mods" -maxdepth 1 -name 'modules.*' ! -name modules.order \
			! -name modules.builtin ! -name modules.builtin.modinfo -delete
		mkdir -p "$mods/extra"
		cp "${kos[@]}" "$mods/extra/"
		depmod -b "$tree" "$ABI" || { rm -rf "$tree"; die "depmod failed for ${kos[*]}"; }
		# Keep what depmod wrote and the new modules; the rest is the image's.
		mkdir "$tree/out"
		rm "$mods/modules.order" "$mods/modules.builtin" "$mods/modules.builtin.modinfo"
		mv "$mods/extra" "$mods"/modules.* "$tree/out/"
		# Another run may have made the same directory meanwhile.
		mv -T "$tree/out" "$out" 2>/dev/null || true
		rm -rf "$tree"
		find "$CACHE/modules" -mindepth 1 -maxdepth 1 -name "$ABI-*" ! -path "$out" \
			-mmin +60 -exec rm -rf {} +
	fi
	printf '%s\n' "$out"
}

# Write the files the guest reads from the run share: init.conf for /init,
# run.conf (bash) for scripts/guest/inner.sh.
write_conf() {
	local share=$1 mode=$2 script=$3
	shift 3
	local -a ARGS=("$@")
	local v moddir
	moddir=$(prepare_modules)
	{
		echo "ABI=$(shq "$ABI")"
		echo "KDIR=$(shq "$KDIR")"
		echo "INNER=$(shq "$HERE/guest/inner.sh")"
		echo "HOST_CACHE=$(shq "${XMESH_GUEST_9P_CACHE:-loose}")"
		echo "VERBOSE=$(shq "${XMESH_GUEST_VERBOSE:-}")"
		echo "INIT=$(shq "${XMESH_GUEST_INIT:-}")"
	} >"$share/init.conf"
	{
		printf 'MODE=%q\nSCRIPT=%q\nCWD=%q\nMODDIR=%q\n' "$mode" "$script" "$PWD" "$moddir"
		# Plain output for logs; the interactive shell gets the real terminal.
		if [[ $mode == shell ]]; then
			printf 'GUEST_TERM=%q\n' "${TERM:-dumb}"
		else
			echo GUEST_TERM=dumb
		fi
		declare -p ARGS | sed 's/^declare -a/declare -ga/'
		for v in $(compgen -e); do
			[[ $v == XMESH_* ]] && declare -p "$v"
		done
		true
	} >"$share/run.conf"
}

# Set KDIR, ABI and (main's) kernel from XMESH_GUEST_KERNEL_DIR. The guest
# sees KDIR at the same path through the host root, so make it absolute. A
# vmlinux is preferred, as above; it must have a PVH entry (CONFIG_PVH).
kernel_dir() {
	local -a rel
	local f
	KDIR=$(realpath -e "$XMESH_GUEST_KERNEL_DIR") ||
		die "XMESH_GUEST_KERNEL_DIR: no directory $XMESH_GUEST_KERNEL_DIR"
	rel=("$KDIR"/lib/modules/*/)
	[[ ${#rel[@]} -eq 1 && -d ${rel[0]} ]] ||
		die "XMESH_GUEST_KERNEL_DIR: want exactly one $KDIR/lib/modules/<release>"
	ABI=${rel[0]%/}
	ABI=${ABI##*/}
	kernel=
	for f in "$KDIR/vmlinux" "$KDIR/boot/vmlinux-$ABI" "$KDIR/bzImage" \
		"$KDIR/boot/vmlinuz-$ABI"; do
		[[ -f $f ]] && { kernel=$f; break; }
	done
	[[ -n $kernel ]] || die "XMESH_GUEST_KERNEL_DIR: no vmlinux or bzImage in $KDIR"
}

main() {
	[[ $# -ge 1 ]] || usage
	local mode=$1 script=""
	shift
	case ${XMESH_GUEST_INIT:-} in
	"" | systemd) ;;
	*) die "XMESH_GUEST_INIT: systemd or empty, not $XMESH_GUEST_INIT" ;;
	esac
	case $mode in
	run)
		[[ $# -ge 1 ]] || usage
		script=$(realpath -e "$1") || die "no script $1"
		shift
		;;
	shell) ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/setup.sh)"
	[[ -f $QBOOT ]] || die "$QBOOT missing (apt-get install qemu-system-data)"

	local t0 kernel initrd
	t0=$(date +%s.%N)
	if [[ -n ${XMESH_GUEST_KERNEL_DIR:-} ]]; then
		kernel_dir
	else
		KDIR=$("$HERE/guest-kernel.sh" --dir)
		ABI=${KDIR##*/guest-}
		# Prefer the uncompressed PVH kernel guest-kernel.sh unpacks:
		# decompressing vmlinuz under emulation costs seconds per boot.
		kernel=$KDIR/boot/vmlinux-$ABI
		[[ -f $kernel ]] || kernel=$KDIR/boot/vmlinuz-$ABI
	fi
	initrd=$(initramfs)

	# work: host-only scratch; work/share: the guest's writable run share.
	work=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-guest.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	mkdir "$work/share"
	write_conf "$work/share" "$mode" "$script" "$@"

	# A soft lockup panics: the run fails at once, with the stuck CPU's
	# stack on the console (a panic prints at every level), instead of
	# hanging until the timeout with nothing to show.
	local append="console=ttyS0 panic=-1 8250.nr_uarts=1 softlockup_panic=1"
	# Only emerg/alert/crit on the console (panics, oopses): the test output
	# stays readable, and the dmesg check reports warnings anyway.
	[[ -n ${XMESH_GUEST_VERBOSE:-} ]] || append+=" loglevel=3"
	# systemd: no status lines on the console but failures; the host's
	# fstab is not the guest's; no tmpfiles at boot: they would empty /tmp,
	# the host's files the tests use, and walk it over 9p for minutes.
	[[ ${XMESH_GUEST_INIT:-} != systemd ]] ||
		append+=" systemd.show_status=error fstab=0 systemd.mask=systemd-tmpfiles-setup.service systemd.mask=systemd-tmpfiles-clean.timer"
	append+=" ${XMESH_GUEST_APPEND:-}"
	local -a qemu=(
		qemu-system-x86_64 -nodefaults -no-user-config -no-reboot
		-accel "tcg,thread=multi" -cpu "${XMESH_GUEST_CPU:-max}"
		-smp "${XMESH_GUEST_SMP:-2}" -m "${XMESH_GUEST_MEM:-1024}"
		-bios "$QBOOT" -display none
		-kernel "$kernel" -initrd "$initrd" -append "$append"
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
		# (qemu option values escape commas by doubling them.)
		-virtfs "local,path=${work//,/,,}/share,mount_tag=xmeshrun,security_model=none"
	)
	# A NIC only when asked for: the tests' guests have no network.
	local fwd net=""
	for fwd in ${XMESH_GUEST_HOSTFWD:-}; do
		[[ $fwd =~ ^([0-9]+):([0-9]+)$ ]] ||
			die "XMESH_GUEST_HOSTFWD: HOSTPORT:GUESTPORT, not $fwd"
		net+=",hostfwd=tcp:127.0.0.1:${BASH_REMATCH[1]}-:${BASH_REMATCH[2]}"
	done
	[[ -z $net ]] || qemu+=(-netdev "user,id=hostfwd,restrict=on$net"
		-device "virtio-net-pci,netdev=hostfwd")
	say "prepared in $(echo "$(date +%s.%N) - $t0" | bc)s; booting $ABI"

	if [[ $mode == shell ]]; then
		# Serial and monitor share the terminal; Ctrl-A x quits.
		"${qemu[@]}" -serial mon:stdio || true
		return 0
	fi

	local timeout=${XMESH_GUEST_TIMEOUT:-900} rc status
	# qemu's console goes through a FIFO to a filter that drops the CRs the
	# serial line adds; both run in the background so that a signal to us
	# can be forwarded to qemu.
	mkfifo "$work/console"
	sed -u 's/\r//g' <"$work/console" &
	local filter=$!
	# No stdin: CI has none, and qemu must not read a terminal.
	timeout -k 10 "$timeout" "${qemu[@]}" -serial stdio -monitor none \
		</dev/null >"$work/console" 2>&1 &
	qpid=$!
	trap 'kill -TERM "$qpid" 2>/dev/null; wait "$qpid"; wait "$filter"; exit 130' INT TERM HUP
	rc=0
	wait "$qpid" || rc=$?
	wait "$filter" || true
	trap - INT TERM HUP
	say "qemu exited $rc after $(echo "$(date +%s.%N) - $t0" | bc)s"

	if ((rc == 124 || rc == 137)); then
		echo "guest.sh: timed out after ${timeout}s (XMESH_GUEST_TIMEOUT), killed qemu" >&2
		echo "not ok - guest run of ${script##*/} finished in time"
		exit 124
	fi
	if ! status=$(cat "$work/share/status" 2>/dev/null) || [[ ! $status =~ ^[0-9]+$ ]]; then
		echo "guest.sh: the guest stopped without reporting a status (qemu exit $rc)" >&2
		echo "not ok - guest kernel survived ${script##*/}"
		exit 125
	fi
	exit "$status"
}

main "$@"
