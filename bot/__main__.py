"""`python -m bot` and the `pscale-bot` console script: the same program."""

from __future__ import annotations

import gc


def main() -> int:
    # Importing the program makes about 130,000 objects that live as long as the process, and the cyclic garbage
    # collector scanned them some 190 times while they were made: a tenth of the imports' CPU time, measured with
    # gc.callbacks. Paused for the imports, then frozen (gc.freeze: moved where no later collection scans them, so
    # no full collection while serving walks them either; they are still freed when nothing refers to them), then
    # on again for all the program does.
    gc.disable()
    try:
        from bot.cli import main as run  # noqa: PLC0415 - imported with the collector paused
    finally:
        gc.freeze()
        gc.enable()
    return run()


if __name__ == "__main__":
    raise SystemExit(main())
