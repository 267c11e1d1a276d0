# SPDX-License-Identifier: GPL-2.0
#
# xmesh: top-level build.
#   make            build the module (for the guest kernel) and the tools
#   make test       every test: static checks, unit, KUnit and guest tests
#   make bench      the data-plane benchmark (in the guest)
#   make test-debug the tests on a debug kernel (KASAN, lockdep, kmemleak)
#   make fuzz       every libFuzzer target (agent, controller, the module's
#                   wire parsing in userspace) for FUZZ_SECONDS each
#                   (default 60): Documentation/fuzzing.md
#   make fuzz-kernel the module's netlink and UDP fuzzers, long, on the debug
#                   kernel (FUZZ_KERNEL_MINUTES, default 10)
#   make soak       the fault and soak test in the guest for SOAK_MINUTES
#                   (30; XMESH_SOAK_KERNEL=debug on the debug kernel)
#   make demo       a demo mesh in the guest: routing, tracing, failover
#   make setup      install what a fresh Debian 12 machine needs
#   make check      static checks only (checkpatch, sparse, shellcheck, spec)
#   make install    the module (with depmod), its DKMS source, the tools,
#                   their man pages, the agent's configuration (when none is
#                   there) and the systemd units (DESTDIR, PREFIX, SBINDIR...:
#                   Documentation/install.md)
#   make dkms-install  the module's source to /usr/src/xmesh-VERSION, then
#                   dkms add and install it for the running kernel
#   make test-packaging  only the tests of make install, DKMS and the units
#   make deb        the Debian packages xmesh, xmesh-controller, xmesh-dkms,
#                   built from a copy of the tree, into DEB_DIR (build/deb)
#   make deb-test   make deb, then the packages' checks (make test runs it)
#   make deb-test-guest  the packages installed with dpkg under systemd in
#                   the guest (long: 10 to 15 minutes, not in make test)

# The guest kernel's ABI (e.g. 6.1.0-56-amd64); its headers are what the
# module is built against.
KABI ?= $(shell scripts/guest-kernel.sh --abi 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KABI)
SOAK_MINUTES ?= 30

all: kmod agent controller

kmod:
	$(MAKE) -C kmod KDIR=$(KDIR)

agent:
	$(MAKE) -C agent

controller:
	$(MAKE) -C controller

setup:
	scripts/setup.sh

test: setup
	$(MAKE) all
	scripts/run-tests.sh

check: setup
	$(MAKE) all
	scripts/run-tests.sh static

# The module's KUnit suites and the guest tests on a debug kernel (KASAN,
# lockdep, kmemleak): Documentation/debug-kernel.md.
test-debug: setup
	$(MAKE) all
	scripts/test-debug.sh

# Every libFuzzer target on a copy of its seed corpus, TAP per part; all
# parts run even if one finds a crash (Documentation/fuzzing.md).
FUZZ_SECONDS ?= 60
fuzz: setup
	@rc=0; \
	$(MAKE) -s -C agent fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || rc=1; \
	$(MAKE) -s -C controller fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || rc=1; \
	$(MAKE) -s -C kmod fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || rc=1; \
	exit $$rc

# The netlink and UDP fuzzers of the guest tests 30 and 31 for
# FUZZ_KERNEL_MINUTES (default 10) on the debug kernel, or on the guest's
# own with XMESH_FUZZ_KERNEL=normal (scripts/fuzz-kernel.sh).
fuzz-kernel: setup
	$(MAKE) all
	scripts/fuzz-kernel.sh

# tests/guest/78-soak.sh for SOAK_MINUTES (Documentation/soak.md); make
# test runs it for one minute.
soak: setup
	$(MAKE) all
	SOAK_MINUTES=$(SOAK_MINUTES) scripts/soak.sh

bench: setup
	$(MAKE) all
	scripts/bench.sh

demo: setup
	$(MAKE) all
	$(MAKE) -C controller web
	scripts/demo.sh

# The module into the modules tree of the kernel KDIR is for (then depmod,
# kmod/Makefile; refused where DKMS installed it: one of the two owns the
# module), the tools, their man pages, the agent's configuration and the
# systemd units (agent/ and controller/Makefile). The DKMS source is
# install-dkms's, apart. DESTDIR, PREFIX, SBINDIR, MANDIR and UNITDIR are
# honoured everywhere: nothing is written outside DESTDIR when it is set
# (Documentation/install.md). For the running kernel:
#   make install KDIR=/lib/modules/$(uname -r)/build
install: all
	$(MAKE) -C kmod KDIR=$(KDIR) install
	$(MAKE) -C agent install
	$(MAKE) -C controller install

# The one version of the project: libxmesh's header (dkms.conf's
# PACKAGE_VERSION is written from it).
VERSION := $(shell sed -n 's/^\#define XMESH_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	     agent/libxmesh/xmesh.h)
DKMS_SRC := /usr/src/xmesh-$(VERSION)
DKMS_FILES := $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/tests/*.c)) \
	      kmod/*.h kmod/Kbuild kmod/Makefile uapi/linux/*.h COPYING

# The module's source and dkms.conf in /usr/src/xmesh-VERSION, where DKMS
# looks for them (dkms.conf).
install-dkms:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	install -d $(DESTDIR)$(DKMS_SRC)
	tar -cf - $(DKMS_FILES) | tar -C $(DESTDIR)$(DKMS_SRC) -xf - \
		--no-same-owner --no-same-permissions
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf \
		>$(DESTDIR)$(DKMS_SRC)/dkms.conf
	chmod -R u=rwX,go=rX $(DESTDIR)$(DKMS_SRC)

# The source into /usr/src, then DKMS builds and installs the module for
# the running kernel (and, AUTOINSTALL, for each kernel installed later).
dkms-install: install-dkms
	dkms remove xmesh/$(VERSION) --all 2>/dev/null || true
	dkms add xmesh/$(VERSION)
	dkms install xmesh/$(VERSION)

# The packaging tests alone (make test runs them too): make install
# DESTDIR on the host, DKMS's build here and install in the guest, the
# systemd units under systemd in the guest.
test-packaging: setup
	$(MAKE) all
	scripts/test-install.sh install
	XMESH_GUEST_TESTS="tests/guest/80-packaging.sh tests/guest/81-systemd.sh" \
		scripts/run-tests.sh guest

# The Debian packages (debian/, Documentation/install.md): dpkg-buildpackage
# -b on a copy of the tracked files, so debian/rules clean never cleans this
# tree; the .debs, .buildinfo and .changes go to DEB_DIR.
DEB_DIR ?= build/deb
deb: setup
	scripts/deb.sh build $(DEB_DIR)

deb-test: setup
	scripts/deb.sh test $(DEB_DIR)

# dpkg -i, upgrade, remove and purge under systemd as PID 1 in the guest
# (tests/guest/deb-systemd.sh): dpkg alone takes minutes under emulation.
deb-test-guest: setup
	$(MAKE) all
	scripts/deb.sh build $(DEB_DIR)
	XMESH_DEB_DIR=$(abspath $(DEB_DIR)) XMESH_GUEST_INIT=systemd \
		XMESH_GUEST_MODULES=$(CURDIR)/kmod/xmesh.ko \
		scripts/guest.sh run tests/guest/deb-systemd.sh

clean:
	$(MAKE) -C kmod KDIR=$(KDIR) clean
	$(MAKE) -C agent clean
	$(MAKE) -C controller clean

.PHONY: all kmod agent controller setup test check test-debug fuzz fuzz-kernel soak \
	bench demo install install-dkms dkms-install test-packaging deb deb-test deb-test-guest clean
