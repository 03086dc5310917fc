#!/usr/bin/env python3
"""Compares the printed output of a data-parallel run with the single-process run's.

Usage: compare.py SINGLE.txt PARALLEL.txt [--rtol 1e-12]

Each line is taken as the terminal shows it (the text after its last carriage return, without
erase-line escapes: a run on a terminal redraws its status line), and training's status
lines (`step 20/60 · loss …`) are left out. Words that are not numbers
must be equal; the numbers of a line, as a vector a (single) and b (parallel), must satisfy
max|a - b| <= rtol * max|a|: the runs differ only in the order of additions, so the difference
is a few ulps of the line's largest value (a per-entry relative test would fail on entries that
are themselves rounding-level, such as SLQ nodes near zero). Standard library only.
"""
import re
import sys

ERASE = re.compile(r"\x1b\[K")
STATUS = re.compile(r"^step \d+/\d+ · ")


def lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for raw in f.read().split("\n"):
            shown = ERASE.sub("", raw.split("\r")[-1]).rstrip()
            # A run whose standard output is a terminal (mpirun gives ranks a pty) shows
            # training's status lines; they are progress, not results.
            if shown and not STATUS.match(shown):
                out.append(shown)
    return out


def number(word):
    try:
        return float(word)
    except ValueError:
        return None


def main():
    args = sys.argv[1:]
    rtol = 1e-12
    if "--rtol" in args:
        i = args.index("--rtol")
        rtol = float(args[i + 1])
        del args[i:i + 2]
    single, parallel = lines(args[0]), lines(args[1])
    if len(single) != len(parallel):
        print(f"different line counts: {len(single)} single, {len(parallel)} parallel")
        return 1
    worst = 0.0
    compared = 0
    for n, (a_line, b_line) in enumerate(zip(single, parallel), 1):
        a_words, b_words = a_line.split(), b_line.split()
        if len(a_words) != len(b_words):
            print(f"line {n}: different word counts\n  single:   {a_line[:120]}\n  parallel: {b_line[:120]}")
            return 1
        a_nums, b_nums = [], []
        for a, b in zip(a_words, b_words):
            x, y = number(a), number(b)
            if x is None or y is None:
                if a != b:
                    print(f"line {n}: '{a}' against '{b}'")
                    return 1
            else:
                a_nums.append(x)
                b_nums.append(y)
        if not a_nums:
            continue
        scale = max(abs(x) for x in a_nums)
        diff = max(abs(x - y) for x, y in zip(a_nums, b_nums))
        rel = diff / scale if scale > 0 else diff
        worst = max(worst, rel)
        compared += len(a_nums)
        if not rel <= rtol:
            print(f"line {n}: relative difference {rel:.3e} > {rtol:g}\n  single:   {a_line[:160]}\n  parallel: {b_line[:160]}")
            return 1
    print(f"{compared} numbers on {len(single)} lines agree: largest relative difference {worst:.2e} (rtol {rtol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
