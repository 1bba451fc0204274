#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 150 lines, signature to
closing brace), longest first: `scripts/long-fns.py [--limit N] FILE|DIR...`.
A rough count by indentation: a `fn` line and the first line after it that
closes at the same indentation. Exit status 1 when any is over the limit."""
import os
import re
import sys

FN = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        indent = m.group(1)
        for j in range(i, len(lines)):
            if lines[j] == indent + "}" or (j == i and line.rstrip().endswith("}")):
                yield m.group(7), i + 1, j - i + 1
                break


def main(argv):
    limit = 150
    if argv[:1] == ["--limit"]:
        limit, argv = int(argv[1]), argv[2:]
    found = []
    for arg in argv or ["."]:
        paths = [arg] if os.path.isfile(arg) else [
            os.path.join(r, f) for r, _, fs in os.walk(arg) for f in fs if f.endswith(".rs")]
        for p in sorted(paths):
            found += [(n, p, name, line) for name, line, n in functions(p)]
    found.sort(reverse=True)
    for n, p, name, line in found[:10]:
        print(f"{n:5} {p}:{line} {name}")
    over = [f for f in found if f[0] > limit]
    print(f"{len(found)} functions, {len(over)} over {limit} lines")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
