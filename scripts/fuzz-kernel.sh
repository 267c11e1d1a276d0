#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz-kernel: the module's input fuzzers run long. They are the
# random parts of two guest tests:
#   tests/guest/30-netlink-input.sh  random and mutated requests of every
#                                    command of the xmesh family, garbage
#                                    attribute trees, valid changes and
#                                    dumps in between (tests/guest/nlraw.py)
#   tests/guest/31-udp-input.sh      random and mutated frames on the
#                                    underlay UDP port (tests/guest/udpsend.py)
# and each test then checks that the fuzzed devices still work (pings).
#
# By default they run on the debug kernel (scripts/test-debug.sh: KASAN,
# lockdep, kmemleak and the other checks after each test); with
# XMESH_FUZZ_KERNEL=normal on the guest's own kernel (scripts/run-tests.sh
# guest), which is faster but only catches crashes and wrong answers.
# The output ends in `N passed, N failed` like the other test runners.
#
# Environment:
#   FUZZ_KERNEL_MINUTES  fuzzing time in minutes, shared by the two tests
#                        (default 10; the tests' setup comes on top)
#   XMESH_FUZZ_KERNEL    debug (default) or normal
#   XMESH_FUZZ_SEED      seed of both fuzzers (default: a random one,
#                        printed)
# Each fuzzer prints its seed and how many requests or frames it sent; to
# replay a failure, run that one test with both, e.g.
#   XMESH_FUZZ_SEED=S XMESH_FUZZ_COUNT=N \
#       scripts/test-debug.sh tests/guest/30-netlink-input.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"

minutes=${FUZZ_KERNEL_MINUTES:-10}
kernel=${XMESH_FUZZ_KERNEL:-debug}
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] ||
	die "FUZZ_KERNEL_MINUTES must be a number of minutes, not '$minutes'"
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60 / 2); if (s < 1) s = 1; print s }')
seed=${XMESH_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
[[ $seed =~ ^[0-9]+$ ]] || die "XMESH_FUZZ_SEED must be a number, not '$seed'"

tests=(tests/guest/30-netlink-input.sh tests/guest/31-udp-input.sh)
# Exported XMESH_* variables reach the test scripts in the guest.
export XMESH_FUZZ_SEED=$seed XMESH_FUZZ_SECONDS=$seconds
# The fuzzing comes on top of each test's usual run time.
export XMESH_GUEST_TIMEOUT=${XMESH_GUEST_TIMEOUT:-$((seconds + 3600))}
unset XMESH_FUZZ_COUNT

echo "# fuzz-kernel: $kernel kernel, $minutes min of fuzzing ($seconds s in each of ${tests[*]}), seed $seed"
case $kernel in
debug)
	exec scripts/test-debug.sh "${tests[@]}"
	;;
normal)
	XMESH_GUEST_TESTS="${tests[*]}" exec scripts/run-tests.sh guest
	;;
*)
	die "XMESH_FUZZ_KERNEL must be debug or normal, not '$kernel'"
	;;
esac
