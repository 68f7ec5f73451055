#!/usr/bin/env python3
"""Engine benchmark: prints figures, asserts nothing (goals are read off the tables).

  python3 bench/engine.py [--binary PATH] [--runs N] [--skip-aws]

1. Scale: generated runbooks of 1,000, 10,000 and 100,000 `core.noop` steps, as a chain (each step needs the one
   before) and as a wide fan-out (no needs), run with `runbook run --quiet`: wall time from process start to exit
   and peak resident memory (ru_maxrss of the child).
2. Overhead against the emulator: each shipped runbook run (writes included where the emulator implements them,
   else planned) against moto seeded by scripts/sandbox/seed.py. From the run's JSON report: wall time, the time
   inside actions on the critical path (the longest chain of `needs` weighted by each step's `busy` time: AWS
   calls, sleeps and wait intervals), and the difference, the engine's own overhead.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.environ.get("RUNBOOK_VENV", os.path.expanduser("~/.cache/runbook-venv"))


def generate(path, steps, shape):
    lines = [f"name: {os.path.splitext(os.path.basename(path))[0]}", f"description: {shape} of {steps} noop steps", "steps:"]
    for i in range(steps):
        lines += [f"  - id: s{i}", "    action: core.noop"]
        if shape == "chain" and i:
            lines.append(f"    needs: [s{i - 1}]")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


STATE = tempfile.mkdtemp(prefix="runbook-bench-state-")


def run_measured(command, env=None, cwd=ROOT):
    """One run: wall ms, peak RSS MB, stdout. Journals and locks go to a scratch state folder."""
    env = dict(env or os.environ, RUNBOOK_STATE_DIR=STATE)
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait4 gives this child's own peak RSS, not the maximum over every child so far.
    out_chunks = []
    while True:
        chunk = child.stdout.read(65536)
        if not chunk:
            break
        out_chunks.append(chunk)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, code, b"".join(out_chunks).decode(), stderr.decode()


def scale(binary, runs):
    print("## Scale: generated runbooks of core.noop steps\n")
    print("| shape | steps | validate (ms) | run, median wall (ms) | run, peak RSS (MB) | µs per step |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for shape in ("chain", "wide"):
            for steps in (1_000, 10_000, 100_000):
                name = f"{shape}{steps}"
                generate(os.path.join(folder, f"{name}.yaml"), steps, shape)
                validate = statistics.median(
                    run_measured([binary, "--dir", folder, "validate", os.path.join(folder, f"{name}.yaml")])[0]
                    for _ in range(runs)
                )
                walls, peaks = [], []
                for _ in range(runs):
                    wall, peak, code, _, stderr = run_measured([binary, "--dir", folder, "run", name, "--quiet"])
                    if code != 0:
                        sys.exit(f"run {name} failed ({code}): {stderr[-2000:]}")
                    walls.append(wall)
                    peaks.append(peak)
                wall = statistics.median(walls)
                print(
                    f"| {shape} | {steps:,} | {validate:,.0f} | {wall:,.0f} | {max(peaks):,.1f} | {wall * 1000 / steps:,.1f} |"
                )
    print()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def critical_path(steps):
    """Longest chain of needs, weighted by busy seconds."""
    by_id = {s["id"]: s for s in steps}
    memo = {}

    def longest(step_id):
        if step_id not in memo:
            step = by_id[step_id]
            memo[step_id] = step.get("busy", 0) + max((longest(n) for n in step.get("needs", [])), default=0)
        return memo[step_id]

    return max((longest(s["id"]) for s in steps), default=0)


def health_server():
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"status":"healthy"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/health"


def overhead(binary, runs):
    port = free_port()
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="eu-west-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        MOTO_ALLOW_NONEXISTENT_REGION="true",
        NO_COLOR="1",
    )
    moto = subprocess.Popen(
        [os.path.join(VENV, "bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        health = health_server()
        seed = [os.path.join(VENV, "bin/python"), os.path.join(ROOT, "scripts/seed/seed.py")]
        world = json.loads(subprocess.run(seed, env=env, check=True, capture_output=True, text=True).stdout)
        snapshot = str(world["iceberg"]["snapshots"][1])
        cases = [
            ("smoke-test", "run", ["--health-url", health]),
            ("rollback-lambda", "run", ["--yes"]),
            ("dlq-replay", "run", ["--yes"]),
            ("iceberg-rollback", "run", ["--yes", "--snapshot-id", snapshot]),
            ("pitr-restore", "plan", ["--restore-time", world["dynamodb"]["latest_restorable"]]),
        ]
        print("## Engine overhead against the emulator (moto on 127.0.0.1)\n")
        print("| runbook | mode | steps | process wall (ms) | engine wall (ms) | inside actions, critical path (ms) | overhead (ms) | overhead share |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for name, verb, args in cases:
            rows = []
            for _ in range(runs):
                subprocess.run(seed, env=env, check=True, capture_output=True)
                output = ["--output", "json"] if verb == "run" else ["--format", "json"]
                wall, _, code, stdout, stderr = run_measured([binary, verb, name, *args, *output, "--quiet"], env=env)
                if code != 0:
                    print(f"| {name} | {verb} | failed ({code}): {stderr.strip().splitlines()[-1] if stderr.strip() else ''} |")
                    break
                report = json.loads(stdout)
                engine_ms = report["duration"] * 1000
                busy_ms = critical_path(report["steps"]) * 1000
                rows.append((wall, engine_ms, busy_ms, len(report["steps"])))
            if rows:
                wall = statistics.median(r[0] for r in rows)
                engine_ms = statistics.median(r[1] for r in rows)
                busy_ms = statistics.median(r[2] for r in rows)
                over = engine_ms - busy_ms
                print(
                    f"| {name} | {verb} | {rows[0][3]} | {wall:,.0f} | {engine_ms:,.1f} | {busy_ms:,.1f} | {over:,.1f} | {over / engine_ms:.1%} |"
                )
        print()
    finally:
        moto.terminate()
        moto.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-aws", action="store_true")
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/runbook-target"))
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(target, "release", "runbook")
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; binary {binary}\n")
    scale(binary, args.runs)
    if not args.skip_aws:
        overhead(binary, args.runs)


if __name__ == "__main__":
    main()
