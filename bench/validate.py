#!/usr/bin/env python3
"""Validation benchmark: prints figures, asserts nothing (goals are read off the table).

  python3 bench/validate.py [--binary PATH] [--runs N]

Measures, from process start to exit, `runbook validate` on every shipped runbook, and on generated runbooks of
1,000, 10,000 and 100,000 steps (a chain in which every step reads the one before it through a template, so
template analysis and the upstream check are on the measured path). Reports median wall time and peak resident
memory of the process (ru_maxrss of the child).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(path, steps):
    lines = [
        f"name: {os.path.splitext(os.path.basename(path))[0]}",
        f"description: generated chain of {steps} steps",
        "params:",
        "  table: {type: string, default: bg-remover-dev-sales-intelligence}",
        "steps:",
        "  - id: s0",
        "    action: core.log",
        "    with: {message: \"start {{ params.table }}\"}",
    ]
    for i in range(1, steps):
        lines += [
            f"  - id: s{i}",
            f"    needs: [s{i - 1}]",
            "    action: core.log",
            f"    with: {{message: \"after {{{{ steps.s{i - 1}.status }}}} of {{{{ params.table }}}}\"}}",
        ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def measure(command, runs, cwd=ROOT):
    """Median wall time (ms) and the largest peak RSS (MB) over `runs` runs, each process measured on its own."""
    walls, peak = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - start)
        stderr = child.stderr.read().decode()
        child.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(command)} failed:\n{stderr}")
        peak = max(peak, usage.ru_maxrss)
    return statistics.median(walls) * 1000, peak / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(target, "release", "runbook")

    print("| case | steps | median wall (ms) | peak RSS (MB) | ms per 1,000 steps |")
    print("|---|---:|---:|---:|---:|")
    wall, rss = measure([binary, "validate"], args.runs * 4, ROOT)
    print(f"| every shipped runbook (process start to exit) | - | {wall:.1f} | {rss:.1f} | - |")
    with tempfile.TemporaryDirectory() as tmp:
        for steps in (1_000, 10_000, 100_000):
            path = os.path.join(tmp, f"chain-{steps}.yaml")
            generate(path, steps)
            wall, rss = measure([binary, "validate", path], args.runs)
            print(f"| generated chain | {steps:,} | {wall:.1f} | {rss:.1f} | {wall / steps * 1000:.2f} |")


if __name__ == "__main__":
    main()
