"""Cut the part of PlanetScale's OpenAPI spec that the bot uses into `tests/data/planetscale/openapi.subset.json`.

The stand-in's conformance check validates every response against this subset (plus the labelled overlay beside
it), so the subset must stay a faithful copy: operations are copied verbatim, only unused operations and unused
components are dropped. Output is deterministic (sorted keys, fixed indentation) so a re-run shows no diff unless the
source changed.

Usage: python scripts/vendor_planetscale_spec.py SOURCE_SPEC [--out PATH] [--date YYYY-MM-DD]

SOURCE_SPEC is PlanetScale's published spec as JSON (it serves YAML at https://planetscale.com/docs/openapi.yaml;
convert it first, e.g. with `python -c "import json,sys,yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "data" / "planetscale" / "openapi.subset.json"
# Where PlanetScale's spec was taken from (see docs/reference/planetscale-api.md, source key [SPEC]).
UPSTREAM = (
    "https://planetscale.com/docs/openapi.yaml as mirrored in planetscale/terraform-provider-planetscale "
    "schemas/openapi.yaml at commit fed5e89f74b0ea950907cf98de4eabc9a9f8430c (copied 2026-08-18)"
)
UPSTREAM_DATE = "2026-08-18"

B = "/organizations/{organization}/databases/{database}"
DR = B + "/deploy-requests/{number}"
# path -> the methods the bot calls on it
OPERATIONS: dict[str, tuple[str, ...]] = {
    "/user": ("get",),
    "/organizations": ("get",),
    "/organizations/{organization}": ("get",),
    "/organizations/{organization}/members": ("get",),
    "/organizations/{organization}/databases": ("get",),
    B: ("get",),
    B + "/branches": ("get", "post"),
    B + "/branches/{branch}": ("get", "delete"),
    B + "/branches/{branch}/schema": ("get",),
    B + "/branches/{branch}/schema/lint": ("get",),
    B + "/branches/{branch}/passwords": ("get", "post"),
    B + "/branches/{branch}/passwords/{id}": ("delete",),
    B + "/deploy-queue": ("get",),
    B + "/deploy-requests": ("get", "post"),
    DR: ("get", "patch"),
    DR + "/reviews": ("get", "post"),
    DR + "/deploy": ("post",),
    DR + "/auto-apply": ("put",),
    DR + "/force-cutover": ("post",),
    DR + "/apply-deploy": ("post",),
    DR + "/cancel": ("post",),
    DR + "/revert": ("post",),
    DR + "/skip-revert": ("post",),
    DR + "/complete-deploy": ("post",),
    DR + "/operations": ("get",),
    DR + "/deployment": ("get",),
    B + "/webhooks": ("get", "post"),
    B + "/webhooks/{id}": ("delete",),
    B + "/webhooks/{id}/test": ("post",),
}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise SystemExit(f"external $ref not supported: {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def cut(spec: dict[str, Any], *, source_sha256: str, date: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in OPERATIONS.items():
        if path not in spec["paths"]:
            raise SystemExit(f"path missing from source spec: {path}")
        item = spec["paths"][path]
        kept = {key: value for key, value in item.items() if key not in {"get", "post", "put", "patch", "delete"}}
        for method in methods:
            if method not in item:
                raise SystemExit(f"operation missing from source spec: {method.upper()} {path}")
            kept[method] = item[method]
        paths[path] = kept

    # Copy every component reachable from the kept operations (transitively), nothing else.
    components: dict[str, dict[str, Any]] = {}
    pending = sorted(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = _resolve(spec, ref)
        components.setdefault(kind, {})[name] = target
        pending.extend(sorted(_refs(target) - seen))
    components["securitySchemes"] = spec["components"]["securitySchemes"]

    info = dict(spec["info"])
    info["x-source"] = {
        "upstream": UPSTREAM,
        "upstream_date": UPSTREAM_DATE,
        "cut_on": date,
        "source_sha256": source_sha256,
        "generator": "scripts/vendor_planetscale_spec.py",
        "note": "Subset of the operations pscale-bot calls; operations and components copied verbatim.",
    }
    return {
        "openapi": spec["openapi"],
        "info": info,
        "servers": spec["servers"],
        "security": spec["security"],
        "paths": paths,
        "components": components,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="PlanetScale's OpenAPI spec as a JSON file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--date", default=UPSTREAM_DATE, help="the date recorded as cut_on (default: upstream date)")
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    subset = cut(json.loads(raw), source_sha256=hashlib.sha256(raw).hexdigest(), date=args.date)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    count = sum(len(methods) for methods in OPERATIONS.values())
    print(f"wrote {args.out} ({count} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
