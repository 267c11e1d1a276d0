#!/bin/bash
# Check Documentation/netlink/specs/xmesh.yaml with the kernel's own ynl
# tooling and prove it agrees with the hand-written uapi/linux/xmesh.h.
#
# The schemas (Documentation/netlink/*.yaml) and the generator
# (tools/net/ynl) come from Debian's linux-source-6.12 tarball; only those
# two parts are unpacked, once, into a cache outside the clone.
#
# Output is TAP:
#   ok 1 - spec validates against genetlink schema
#          (jsonschema, draft 7, against the schema its "protocol" names)
#   ok 2 - spec matches uapi/linux/xmesh.h
#          (ynl-gen-c.py --mode uapi renders a header from the spec; both
#          headers are compiled and every enum value, define and enum tag
#          must be present in both with the same value; definitions the
#          spec takes from another header, e.g. enum xmesh_tclass from
#          linux/xmesh_packet.h, are checked against that header)
#   ok 3 - ynl generates user code from the spec
#          (ynl-gen-c.py --mode user, header and source: every operation,
#          request, reply and notification of the spec resolves. Kernel
#          mode is not run: 6.12's generator cannot render the 4..16 byte
#          address policy, and the module's policy is hand-written.)
# Exit status 0 when every test passed.
#
# Missing Debian packages are installed with apt-get (root, or sudo).
#
# Environment:
#   XMESH_CACHE   base cache directory (default /var/cache/xmesh); the
#                 tools land in $XMESH_CACHE/ynl-6.12
set -euo pipefail

KVER=6.12
PKGS=("linux-source-$KVER" python3 python3-yaml python3-jsonschema gcc libc6-dev xz-utils)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
SPEC=$ROOT/Documentation/netlink/specs/xmesh.yaml
UAPI_DIR=$ROOT/uapi
CACHE=${XMESH_CACHE:-/var/cache/xmesh}/ynl-$KVER
TARBALL=/usr/src/linux-source-$KVER.tar.xz
# Debian's interpreter: the one the python3-* packages above install into
# (a python3 earlier in PATH, e.g. pyenv's, may lack them).
PY=/usr/bin/python3


TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- dependencies -----------------------------------------------------------


# Unpack the schemas and ynl from the tarball unless the cache already holds
# the ones of the installed package version.
unpack_ynl() {
	local ver stamp=$CACHE/.source-version new
	ver=$(dpkg-query -W -f='${Version}' "linux-source-$KVER")
	[[ -f $stamp && $(<"$stamp") == "$ver" ]] && return 0
	[[ -f $TARBALL ]] || die "$TARBALL missing (reinstall linux-source-$KVER)"

	mkdir -p "$(dirname "$CACHE")"
	# Serialise concurrent runs; re-check once we hold the lock.
	exec 9>"$CACHE.lock"
	flock 9
	if [[ -f $stamp && $(<"$stamp") == "$ver" ]]; then
		exec 9>&-
		return 0
	fi
	echo "# unpacking ynl and schemas of linux-source-$KVER $ver into $CACHE"
	new=$(mktemp -d "$CACHE.new.XXXXXX")
	tar -xJf "$TARBALL" -C "$new" --strip-components=1 --wildcards \
		"linux-source-$KVER/Documentation/netlink/*.yaml" \
		"linux-source-$KVER/tools/net/ynl" ||
		{ rm -rf "$new"; die "cannot unpack $TARBALL"; }
	echo "$ver" >"$new/.source-version"
	rm -rf "$CACHE"
	mv "$new" "$CACHE"
	exec 9>&-
}

xm_install_missing "$(basename "$0")" "${PKGS[@]}" || exit 2
unpack_ynl

YNL=$CACHE/tools/net/ynl
[[ -f $YNL/ynl-gen-c.py ]] || die "$YNL/ynl-gen-c.py missing; remove $CACHE and rerun"
[[ -f $SPEC ]] || die "$SPEC missing"

# ynl-gen-c.py finds the schema at ../<protocol>.yaml next to the spec's
# directory and the tree root by a MAINTAINERS file: give it a small tree.
PROTO=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get("protocol", "genetlink"))' "$SPEC") ||
	die "cannot parse $SPEC"
SCHEMA=$CACHE/Documentation/netlink/$PROTO.yaml
[[ -f $SCHEMA ]] || die "no schema for protocol '$PROTO' ($SCHEMA)"
mkdir -p "$TMP/tree/Documentation/netlink/specs" "$TMP/gen/linux"
: >"$TMP/tree/MAINTAINERS"
cp "$SCHEMA" "$TMP/tree/Documentation/netlink/"
cp "$SPEC" "$TMP/tree/Documentation/netlink/specs/xmesh.yaml"

# Run ynl-gen-c.py on the spec. On failure print only its error: a schema
# failure would otherwise dump the whole schema (test 1 has the details).
ynl_gen() {
	if ! (cd "$YNL" && "$PY" ynl-gen-c.py "$@" \
		--spec "$TMP/tree/Documentation/netlink/specs/xmesh.yaml") \
		>"$TMP/ynl.log" 2>&1; then
		echo "ynl-gen-c.py $* failed:"
		grep -m1 -E '^[A-Za-z_.]*(Error|Exception)\b' "$TMP/ynl.log" ||
			tail -n 5 "$TMP/ynl.log"
		return 1
	fi
}

echo "1..3"
fail=0

# --- 1: schema ------------------------------------------------------------

if "$PY" - "$SPEC" "$SCHEMA" >"$TMP/t1.log" 2>&1 <<'EOF'
import sys
import jsonschema
import yaml

spec_path, schema_path = sys.argv[1:3]
with open(spec_path) as f:
    first = f.readline()
    f.seek(0)
    spec = yaml.safe_load(f)
with open(schema_path) as f:
    schema = yaml.safe_load(f)

ok = True
if not first.startswith('# SPDX-License-Identifier: '):
    print('first line must be the SPDX license tag')
    ok = False
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
for err in sorted(validator.iter_errors(spec), key=lambda e: list(map(str, e.absolute_path))):
    where = '/'.join(str(p) for p in err.absolute_path) or '(top)'
    print(f'{where}: {err.message}')
    ok = False
sys.exit(0 if ok else 1)
EOF
then
	echo "ok 1 - spec validates against genetlink schema"
	echo "# schema: Documentation/netlink/$PROTO.yaml of linux-source-$KVER"
else
	echo "not ok 1 - spec validates against genetlink schema"
	sed 's/^/# /' "$TMP/t1.log"
	fail=1
fi

# --- 2: generated header vs uapi/linux/xmesh.h ----------------------------

t2() {
	ynl_gen --mode uapi --header -o "$TMP/gen/linux/xmesh.h" || return 1
	"$PY" - "$YNL" "$TMP/tree/Documentation/netlink/specs/xmesh.yaml" \
		"$TMP/gen" "$UAPI_DIR" "$TMP" <<'EOF'
import importlib.util
import os
import re
import subprocess
import sys

ynl_dir, spec_path, gen_dir, uapi_dir, tmp = sys.argv[1:6]
HEADER = 'linux/xmesh.h'


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def scan(path):
    """Enum constants, object-like defines (name -> is_string) and enum tags."""
    text = strip_comments(open(path).read())
    names, tags = {}, set()
    for m in re.finditer(r'\benum\s+(\w+)?\s*\{(.*?)\}', text, flags=re.S):
        if m.group(1):
            tags.add(m.group(1))
        for item in m.group(2).split(','):
            n = re.match(r'\s*([A-Za-z_]\w*)', item)
            if n:
                names[n.group(1)] = False
    for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*(.*)$', text, flags=re.M):
        if m.group(2).strip():          # skip include guards
            names[m.group(1)] = m.group(2).strip().startswith('"')
    return names, tags


def evaluate(incdir, headers, names, tags, label):
    """Compile a program that prints every name's value as the compiler sees it."""
    src = os.path.join(tmp, 'dump-' + label + '.c')
    exe = os.path.join(tmp, 'dump-' + label)
    with open(src, 'w') as f:
        f.write('#include <stdio.h>\n')
        for h in headers:
            f.write(f'#include <{h}>\n')
        f.write('int main(void)\n{\n')
        for t in sorted(tags):
            f.write(f'\t{{ enum {t} v = (enum {t})0; (void)v; }}\n')
        for n, is_str in sorted(names.items()):
            if is_str:
                f.write(f'\tprintf("%s \\"%s\\"\\n", "{n}", {n});\n')
            else:
                f.write(f'\tprintf("%s %lld\\n", "{n}", (long long)({n}));\n')
        f.write('\treturn 0;\n}\n')
    cc = subprocess.run(['gcc', '-std=gnu11', '-Wall', '-Wextra', '-Werror',
                         '-I', incdir, '-o', exe, src],
                        capture_output=True, text=True)
    if cc.returncode:
        print(f'{label}: compiling {", ".join(headers)} failed:')
        print(cc.stderr)
        sys.exit(1)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return dict(line.split(' ', 1) for line in out.splitlines())


problems = []

# The generated header against the hand-written one: same names, same values.
gen_names, gen_tags = scan(os.path.join(gen_dir, HEADER))
hand_names, hand_tags = scan(os.path.join(uapi_dir, HEADER))
for n in sorted(set(hand_names) - set(gen_names)):
    problems.append(f'{n}: in uapi/{HEADER}, not produced by the spec')
for n in sorted(set(gen_names) - set(hand_names)):
    problems.append(f'{n}: produced by the spec, not in uapi/{HEADER}')
for t in sorted(hand_tags ^ gen_tags):
    problems.append(f'enum {t}: only in ' + ('uapi' if t in hand_tags else 'the spec'))
common = {n: hand_names[n] for n in set(hand_names) & set(gen_names)}
gen_val = evaluate(gen_dir, [HEADER], common, gen_tags & hand_tags, 'gen')
hand_val = evaluate(uapi_dir, [HEADER], common, gen_tags & hand_tags, 'hand')
for n in sorted(common):
    if gen_val[n] != hand_val[n]:
        problems.append(f'{n}: spec gives {gen_val[n]}, uapi/{HEADER} has {hand_val[n]}')
checked = len(common)

# Definitions the spec takes from another header ("header:") are not
# rendered by the generator: compare them with that header using the
# generator's own naming (its Family class), as C code would see them.
sys.path.insert(0, ynl_dir)
loader = importlib.util.spec_from_file_location('ynl_gen_c', os.path.join(ynl_dir, 'ynl-gen-c.py'))
gen = importlib.util.module_from_spec(loader)
loader.loader.exec_module(gen)
family = gen.Family(spec_path, [])
by_header = {}
for d in family['definitions']:
    if 'header' not in d:
        continue
    want = by_header.setdefault(d['header'], ({}, set()))
    const = family.consts[d['name']]
    if d['type'] == 'const':
        want[0][gen.c_upper(f"{family.ident_name}-{d['name']}")] = str(d['value'])
    elif d['type'] in ('enum', 'flags'):
        for e in const.entries.values():
            want[0][e.c_name] = str(e.user_value())
        if const.enum_name:
            want[1].add(const.enum_name.split()[1])
for h, (want, tags) in sorted(by_header.items()):
    path = os.path.join(uapi_dir, h)
    if not os.path.exists(path):
        problems.append(f'{h}: named by the spec, not in uapi/')
        continue
    have_names, have_tags = scan(path)
    for n in sorted(set(want) - set(have_names)):
        problems.append(f'{n}: in the spec, not in uapi/{h}')
    for t in sorted(tags - have_tags):
        problems.append(f'enum {t}: in the spec, not in uapi/{h}')
    present = {n: False for n in want if n in have_names}
    have = evaluate(uapi_dir, [h], present, tags & have_tags, 'other')
    for n in sorted(present):
        if have[n] != want[n]:
            problems.append(f'{n}: spec gives {want[n]}, uapi/{h} has {have[n]}')
    checked += len(present)

for p in problems:
    print(p)
print(f'{checked} names compared, {len(problems)} problems')
sys.exit(1 if problems else 0)
EOF
}

if t2 >"$TMP/t2.log" 2>&1; then
	echo "ok 2 - spec matches uapi/linux/xmesh.h"
	sed 's/^/# /' "$TMP/t2.log"
else
	echo "not ok 2 - spec matches uapi/linux/xmesh.h"
	sed 's/^/# /' "$TMP/t2.log"
	fail=1
fi

# --- 3: the rest of ynl can use the spec ---------------------------------

t3() {
	ynl_gen --mode user --header -o "$TMP/gen/xmesh-user.h" &&
		ynl_gen --mode user --source -o "$TMP/gen/xmesh-user.c"
}

if t3 >"$TMP/t3.log" 2>&1; then
	echo "ok 3 - ynl generates user code from the spec"
else
	echo "not ok 3 - ynl generates user code from the spec"
	sed 's/^/# /' "$TMP/t3.log"
	fail=1
fi

exit $fail
