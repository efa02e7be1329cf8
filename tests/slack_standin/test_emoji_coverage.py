"""Every emoji shortcode the bot writes is drawn as an emoji by the sandbox page, as Slack would."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_shortcode_the_bot_uses_is_in_the_emulators_table() -> None:
    script = (ROOT / "bot/sandbox/emulator/emulator.js").read_text()
    table = script[script.index("const EMOJI = {") : script.index("};", script.index("const EMOJI = {"))]
    known = set(re.findall(r'"?([a-z0-9_+]+)"?\s*:\s*"\\u', table))
    used = {
        name
        for path in (ROOT / "bot").rglob("*.py")
        for name in re.findall(r"(?<![\w:]):([a-z][a-z0-9_]+):(?![\w:])", path.read_text())
    }
    assert used, "the scan found no shortcodes at all"
    assert used <= known, sorted(used - known)
