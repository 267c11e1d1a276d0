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
#   make demo       a demo mesh in the guest: routing, tracing, failover
#   make setup      install what a fresh Debian 12 machine needs
#   make check      static checks only (checkpatch, sparse, shellcheck, spec)
#   make install    the module (with depmod), the tool, xmeshd, their man
#                   pages, the agent's configuration (when none is there)
#                   and its systemd unit (agent/Makefile: PREFIX, SBINDIR...)

# The guest kernel's ABI (e.g. 6.1.0-56-amd64); its headers are what the
# module is built against.
KABI ?= $(shell scripts/guest-kernel.sh --abi 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KABI)

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

bench: setup
	$(MAKE) all
	scripts/bench.sh

demo: setup
	$(MAKE) all
	$(MAKE) -C controller web
	scripts/demo.sh

# The module into the modules tree of the kernel KDIR is for (depmod is run
# by the kernel's modules_install); agent/Makefile's install the rest.
install: all
	$(MAKE) -C kmod KDIR=$(KDIR) install
	$(MAKE) -C agent install
	$(MAKE) -C controller install

clean:
	$(MAKE) -C kmod KDIR=$(KDIR) clean
	$(MAKE) -C agent clean
	$(MAKE) -C controller clean

.PHONY: all kmod agent controller setup test check test-debug fuzz fuzz-kernel bench demo \
	install clean
