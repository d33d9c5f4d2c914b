"""Command-line arguments the benchmarks share."""

from __future__ import annotations

import argparse


def at_least(minimum: int):
    """An argparse type: a whole number of at least ``minimum``, or a one-line
    usage error naming the argument."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}")
        return value

    return parse


def under_load(doc: str) -> argparse.Namespace:
    """``--rows``, ``--writers``, ``--runs`` of a benchmark that changes a
    table while writers write (``doc``: its docstring, whose first paragraph
    is its description)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", type=at_least(1), default=1_000_000)
    parser.add_argument("--writers", type=at_least(1), default=4)
    parser.add_argument("--runs", type=at_least(1), default=3)
    return parser.parse_args()
