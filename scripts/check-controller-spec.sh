#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Cross-check the controller's two hand-written descriptions against its
# source, so that neither drifts from what the server does:
#
#   ok 1 - every route of the server is in the OpenAPI file
#   ok 2 - every operation of the OpenAPI file is a route of the server
#          (the routes are controller/server.c's routes[] table: a method
#          and a path, a .prefix route being the path and one parameter,
#          "/api/v1/tokens/" and "/api/v1/tokens/{name}"; the operations
#          are Documentation/controller-openapi.yaml's paths and methods)
#   ok 3 - every metric the Grafana dashboard queries is exported
#          (every xmesh_* name in controller/grafana/xmesh.json, in each
#          panel's queries and in the variables, must be a family of the
#          controller's FAM() tables, or a histogram's _bucket, _sum or
#          _count; and every panel with queries queries one)
#
# Full OpenAPI schema validation is not done: Debian 12 has no validator
# package (openapi-spec-validator), and the file is YAML checked here.
#
# Environment (to check other copies, e.g. to see a mismatch fail):
#   XMESH_CHECK_SERVER   default controller/server.c
#   XMESH_CHECK_OPENAPI  default Documentation/controller-openapi.yaml
#   XMESH_CHECK_GRAFANA  default controller/grafana/xmesh.json
#   XMESH_CHECK_METRICS  the files of the FAM() tables (space-separated;
#                        default controller/*.c)
# Exit status 0 when every test passed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
xm_install_missing check-controller-spec python3 python3-yaml

export XMESH_CHECK_SERVER=${XMESH_CHECK_SERVER:-$ROOT/controller/server.c}
export XMESH_CHECK_OPENAPI=${XMESH_CHECK_OPENAPI:-$ROOT/Documentation/controller-openapi.yaml}
export XMESH_CHECK_GRAFANA=${XMESH_CHECK_GRAFANA:-$ROOT/controller/grafana/xmesh.json}
export XMESH_CHECK_METRICS=${XMESH_CHECK_METRICS:-$(echo "$ROOT"/controller/*.c)}

exec /usr/bin/python3 - <<'EOF'
import json, os, re, sys
import yaml

failed = 0
n = 0


def tap(name, problems):
    global failed, n
    n += 1
    if problems:
        failed += 1
        print(f"not ok {n} - {name}")
        for p in problems[:40]:
            print(f"#   {p}")
    else:
        print(f"ok {n} - {name}")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


# ---- the server's routes
src = strip_comments(open(os.environ["XMESH_CHECK_SERVER"]).read())
m = re.search(r"static const struct route routes\[\] = \{(.*?)\n\};", src,
              re.S)
routes = set()
bad = []
if not m:
    bad.append("no routes[] table in " + os.environ["XMESH_CHECK_SERVER"])
else:
    for entry in re.findall(r"\{(.*?)\}\s*,", m.group(1), re.S):
        g = re.search(r'\bGET\("([^"]+)"\)', entry)
        if g:
            path, method = g.group(1), "GET"
        else:
            p = re.search(r'\.path\s*=\s*"([^"]+)"', entry)
            q = re.search(r'\.method\s*=\s*"([^"]+)"', entry)
            if not p or not q:
                bad.append("a route without a path and method: "
                           + " ".join(entry.split()))
                continue
            path, method = p.group(1), q.group(1)
        if re.search(r"\.prefix\s*=\s*true", entry):
            path += "{}"
        routes.add((method.upper(), path))

# ---- the OpenAPI file's operations
doc = yaml.safe_load(open(os.environ["XMESH_CHECK_OPENAPI"]))
ops = set()
methods = {"get", "put", "post", "delete", "patch", "head", "options"}
for path, item in (doc.get("paths") or {}).items():
    norm = re.sub(r"\{[^}]*\}", "{}", path)
    for k in item or {}:
        if k in methods:
            ops.add((k.upper(), norm))


def show(op):
    return f"{op[0]} {op[1].replace('{}', '{param}')}"


if not routes:
    bad.append("no route found in the server's source")
if not ops:
    bad.append("no operation found in the OpenAPI file")
tap("every route of the server is in the OpenAPI file",
    bad + [f"{show(r)}: a route, not in the OpenAPI file"
           for r in sorted(routes - ops)])
tap("every operation of the OpenAPI file is a route of the server",
    bad + [f"{show(o)}: in the OpenAPI file, no such route"
           for o in sorted(ops - routes)])

# ---- the metrics the controller exports
families = {}
for f in os.environ["XMESH_CHECK_METRICS"].split():
    text = strip_comments(open(f).read())
    for name, kind in re.findall(
            r'\bFAM\(\s*\w+\s*,\s*"(xmesh_\w+)"\s*,\s*"(\w+)"', text):
        families[name] = kind


def exported(name):
    if name in families:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and families.get(base) in (
                "histogram", "summary"):
            return True
    return False


board = json.load(open(os.environ["XMESH_CHECK_GRAFANA"]))
problems = []
if not families:
    problems.append("no metric family (FAM) found in the controller's source")
metric_re = re.compile(r"\bxmesh_[a-z0-9_]+\b")


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


def panels(ps):
    for p in ps or []:
        yield p
        yield from panels(p.get("panels"))


queried = 0
for p in panels(board.get("panels")):
    targets = p.get("targets") or []
    if not targets:
        continue
    names = set()
    for t in targets:
        for s in strings(t):
            names.update(metric_re.findall(s))
    title = p.get("title", f"panel {p.get('id')}")
    if not names:
        problems.append(f"panel \"{title}\" queries no xmesh_ metric")
    for name in sorted(names):
        queried += 1
        if not exported(name):
            problems.append(f"panel \"{title}\": {name} is not exported")
for v in (board.get("templating") or {}).get("list") or []:
    for s in strings(v):
        for name in metric_re.findall(s):
            queried += 1
            if not exported(name):
                problems.append(f"variable \"{v.get('name')}\": {name} "
                                "is not exported")
if not queried:
    problems.append("the dashboard queries no metric")
tap("every metric the Grafana dashboard queries is exported", problems)
print(f"# {len(routes)} routes, {len(ops)} operations, {len(families)} "
      f"metric families, {queried} metric uses in the dashboard")
sys.exit(1 if failed else 0)
EOF
