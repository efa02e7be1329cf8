"""Copy the scopes of Slack's Web API methods into `bot/sandbox/slack/web_api_scopes.json`.

The Slack stand-in refuses a call with `missing_scope` unless the token holds one of the scopes this file names for
the method, so the copy must stay faithful: methods and scopes are copied unchanged, and the file's own `source` and
`meaning` fields travel with it (the stand-in reads the scopes as `meaning` says). Output is deterministic (sorted
keys, fixed indentation) so a re-run shows no diff unless the source changed.

The source is a table cut from Slack's published OpenAPI spec (slackapi/slack-api-specs,
https://github.com/slackapi/slack-api-specs): for each method, the OAuth scopes of its `security` entry.

Usage: python scripts/vendor_slack_scopes.py SOURCE_JSON [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "bot" / "sandbox" / "slack" / "web_api_scopes.json"


def checked(table: Any) -> dict[str, Any]:
    """The table as given, after making sure it has the shape the stand-in reads."""
    if not isinstance(table, dict) or not {"source", "meaning", "methods"} <= table.keys():
        raise SystemExit("the source must be an object with `source`, `meaning` and `methods`")
    methods = table["methods"]
    if not isinstance(methods, dict) or not methods:
        raise SystemExit("`methods` must map method names to lists of scopes")
    for method, scopes in methods.items():
        if not isinstance(scopes, list) or not all(isinstance(scope, str) and scope for scope in scopes):
            raise SystemExit(f"{method}: the scopes must be a list of names, not {scopes!r}")
    return {"source": table["source"], "meaning": table["meaning"], "methods": methods}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the scopes table (JSON: source, meaning, methods)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    table = checked(json.loads(raw))
    table["source_sha256"] = hashlib.sha256(raw).hexdigest()
    table["generator"] = "scripts/vendor_slack_scopes.py"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(table['methods'])} methods)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
