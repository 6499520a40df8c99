"""Where an app's CPU time went, from the collapsed stacks `python -m bench.run --profile DIR` writes.

`python -m bench.profile_summary DIR/profile-sqlite.txt [--top 30] [--match handoff_slack/]`

Prints the share of samples spent in each function itself (self) and in it or what it called
(inclusive), and the inclusive share of the functions whose file matches `--match` (by default
our own code), so a slow path can be named by its function and line.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*):(?P<line>\d+)\)$")


def parse(path: str) -> list[tuple[list[str], int]]:
    stacks = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            frames, _, count = line.rpartition(" ")
            stacks.append((frames.split(";"), int(count)))
    return stacks


def function_of(frame: str, with_line: bool = False) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    where = f"{match['file']}:{match['line']}" if with_line else match["file"]
    return f"{match['func']} ({where})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="handoff_slack/")
    parser.add_argument("--exclude-startup", action="store_true", default=True)
    args = parser.parse_args(argv[1:])
    stacks = parse(args.profile)
    if args.exclude_startup:
        stacks = [(s, n) for s, n in stacks if not any("_find_and_load" in f or "create_app" in f for f in s)]
    total = sum(n for _, n in stacks)
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for frames, n in stacks:
        own[function_of(frames[-1])] += n
        for name in {function_of(f) for f in frames}:
            inclusive[name] += n
        for name in {function_of(f, with_line=True) for f in frames if args.match in f}:
            ours[name] += n
    print(f"{total} samples (start-up excluded)\n\nself:")
    for name, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\ninclusive:")
    for name, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print(f"\ninclusive, {args.match} lines:")
    for name, n in ours.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
