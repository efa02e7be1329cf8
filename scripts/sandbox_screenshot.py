"""Take the README's picture of the sandbox: the headline demo's card, deployed, with its history in the thread.

Serves the sandbox as `pscale-bot sandbox` does, drives its page in Debian's chromium the way the browser tests do
(tests/support/sandbox_page.py), and writes a PNG.

Usage: .venv/bin/python -m scripts.sandbox_screenshot [--out docs/sandbox.png]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import expect

from tests.support.browser import chromium_page
from tests.support.sandbox_page import deploy_shop_1, link, serve_sandbox

REPO = Path(__file__).resolve().parent.parent


async def shoot(url: str, out: Path, profile: Path) -> None:
    async with chromium_page(profile, width=1280, height=760) as page:
        await page.goto(url + "/")
        await page.get_by_role("button", name="Got it").click()
        await link(page, "Alice Admin")
        shop_1 = await deploy_shop_1(page)
        await shop_1.locator(".thread-link").click()
        await expect(page.locator("#thread-pane")).to_contain_text("Now: Deployed")
        await shop_1.scroll_into_view_if_needed()
        # The thread's history, not its copy of the card, is what the picture is for.
        await page.locator("#thread-messages").evaluate("pane => { pane.scrollTop = pane.scrollHeight; }")
        await page.screenshot(path=str(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "sandbox.png")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, serve_sandbox(Path(scratch) / "sandbox") as url:
        asyncio.run(shoot(url, args.out, Path(scratch) / "chromium-profile"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
