#!/usr/bin/env python3
"""Benchmarks of issue 6: prints one markdown report of figures and asserts nothing (goals are read off the tables).

  python3 bench/run.py [--runs N] [--dlq-messages N] [--only shell,overhead,scale,waiting,dlq] [--binary PATH]

Every AWS figure is taken against one moto server this script starts on a free port of 127.0.0.1 (and stops), seeded
by scripts/seed/seed.py before each run, so each run starts from the same world.

1. Against the shell procedure: bench/shell/rollback-lambda.sh and bench/shell/dlq-replay.sh (sections 1.1 and 6.1
   of the operations runbook as AWS CLI commands) and `runbook run rollback-lambda|dlq-replay`, alternately, each on
   a freshly seeded world; process wall time, medians, the ratio, and whether both left the same AWS state.
2. Engine overhead: each shipped runbook run against the emulator; wall time against the time inside actions on the
   critical path (the longest chain of `needs` weighted by each step's `busy` time), absolute and as a share.
3. Scale: generated runbooks of 1,000, 10,000 and 100,000 `core.noop` steps, chained and fanned out: validate, plan
   and run time (process start to exit) and peak resident memory (ru_maxrss of the child, through wait4).
4. Waiting: `cargo bench --bench waiting` (benches/waiting.rs): polls of the engine's own wait loop on tokio's paused
   clock for a resource ready after 1, 5 and 30 minutes, against a fixed 5 s poll.
5. DLQ throughput: messages a second moved by dlq-replay's move against a plain boto3 loop (receive 10,
   send_message_batch, delete_message_batch) on the same emulator with the same number of messages.

The script runs under the emulator's virtualenv (scripts/emulator; it re-executes itself there, for boto3). The AWS
CLI is pinned in a virtualenv of its own, RUNBOOK_BENCH_VENV (default ~/.cache/runbook-bench-venv): awscli 1.x pins
botocore exactly, to a release that the emulator virtualenv's boto3 refuses, so the two cannot share one.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_VENV = os.environ.get("RUNBOOK_BENCH_VENV", os.path.expanduser("~/.cache/runbook-bench-venv"))
# The one place the AWS CLI's version is pinned.
AWSCLI_REQUIREMENT = "awscli==1.46.2"

FUNCTION = "bg-remover-dev-s3TablesDataValidator"
DLQ = "bg-remover-dev-dlq"
MAIN_QUEUE = "bg-remover-dev-main"
SEEDED_TIMEOUT = 300
RAISED_TIMEOUT = 900


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Setup: the emulator's Python, the AWS CLI, the binary.


def emulator_python():
    subprocess.run(["bash", "scripts/emulator", "install"], cwd=ROOT, check=True)
    return subprocess.run(
        ["bash", "scripts/emulator", "python"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def reexec_in_emulator_venv():
    """Runs this script again under the emulator virtualenv's Python (boto3, moto_server beside it)."""
    python = emulator_python()
    if os.path.realpath(sys.prefix) != os.path.realpath(os.path.dirname(os.path.dirname(python))):
        os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


def install_awscli():
    """The AWS CLI's executable, installed pinned into BENCH_VENV when missing or at another version."""
    aws = os.path.join(BENCH_VENV, "bin", "aws")
    stamp = os.path.join(BENCH_VENV, ".runbook-bench")
    if os.access(aws, os.X_OK) and os.path.exists(stamp) and open(stamp).read().strip() == AWSCLI_REQUIREMENT:
        return aws
    say(f"installing {AWSCLI_REQUIREMENT} into {BENCH_VENV}")
    if not os.access(os.path.join(BENCH_VENV, "bin", "python"), os.X_OK):
        # The system's Python 3, not this one: this one runs inside the emulator's virtualenv.
        subprocess.run(["python3", "-m", "venv", BENCH_VENV], check=True)
    subprocess.run(
        [os.path.join(BENCH_VENV, "bin", "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         AWSCLI_REQUIREMENT],
        check=True,
    )
    with open(stamp, "w") as f:
        f.write(AWSCLI_REQUIREMENT + "\n")
    return aws


def build_binary(folder):
    """Builds the release binary and copies it into `folder`: other builds share the target directory and may
    replace it while the benchmark runs."""
    target = os.environ.setdefault("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/runbook-target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(folder, "runbook")
    shutil.copy2(os.path.join(target, "release", "runbook"), binary)
    return binary


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def source_state():
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "runbooks"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()
    return head.strip() + (" with uncommitted changes in src/, runbooks/ or Cargo.*" if dirty else "")


# ---------------------------------------------------------------------------------------------------------------
# Measuring a child process.


def run_measured(command, env=None, cwd=ROOT, keep_output=True):
    """One run: wall ms, peak RSS MB, exit code, stdout, stderr.

    The peak comes from wait4 (this child's own, where getrusage(RUSAGE_CHILDREN) gives the largest of all so
    far). Linux counts in it the memory the child had between fork and exec, which is this process's: a peak at or
    below `harness_floor_mb()` may be this process's, not the child's. So this process stays small: outputs it
    does not need go to /dev/null instead of through its memory.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out if keep_output else subprocess.DEVNULL,
                                 stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_maxrss / 1024, child.returncode, out.read().decode(), err.read().decode()


def harness_floor_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spawn_baseline_ms():
    """What starting a process costs this harness, measured with /bin/true."""
    return median([run_measured(["true"], keep_output=False)[0] for _ in range(21)])


def checked(result, what):
    wall, peak, code, stdout, stderr = result
    if code != 0:
        raise RuntimeError(f"{what} exited {code}: {stderr.strip()[-3000:]}")
    return result


def median(values):
    return statistics.median(values) if values else float("nan")


def critical_path(steps):
    """Longest chain of needs, weighted by busy seconds."""
    by_id = {s["id"]: s for s in steps}
    memo = {}

    def longest(step_id):
        if step_id not in memo:
            step = by_id[step_id]
            memo[step_id] = step.get("busy", 0) + max((longest(n) for n in step.get("needs") or []), default=0)
        return memo[step_id]

    return max((longest(s["id"]) for s in steps), default=0)


# ---------------------------------------------------------------------------------------------------------------
# The emulator.


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """moto's server on a free port, started and stopped by this script (its own pid only)."""

    def __init__(self, python, state_dir):
        import urllib.request

        self.python = python
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="eu-west-1",
            AWS_DEFAULT_REGION="eu-west-1",
            # Nothing from the caller's AWS configuration: fake credentials cannot reach a real account.
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            MOTO_ALLOW_NONEXISTENT_REGION="true",
            NO_COLOR="1",
            # Journals and locks of these runs stay out of the checkout and away from anyone else's runs.
            RUNBOOK_STATE_DIR=state_dir,
        )
        # Tethered (scripts/moto_tethered.py): the server ends with this script even when it is killed before
        # its `finally` can stop it.
        tether = os.path.join(ROOT, "scripts", "moto_tethered.py")
        self.process = subprocess.Popen(
            [python, tether, "-H", "127.0.0.1", "-p", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("moto_server did not answer within 30 s")
        # moto's simple Lambda backend (no Docker); functions belong to the backend active when they are created.
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/config", data=b'{"lambda": {"use_docker": false}}',
            headers={"Content-Type": "application/json"}, method="POST",
        )
        urllib.request.urlopen(request, timeout=5).read()
        for name, value in self.env.items():
            if name.startswith("AWS_"):
                os.environ[name] = value

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def seed(self, parts, dlq_messages=50):
        result = subprocess.run(
            [self.python, os.path.join(ROOT, "scripts/seed/seed.py"), "--only", parts, "--dlq-messages",
             str(dlq_messages)],
            env=self.env, check=True, capture_output=True, text=True,
        )
        return json.loads(result.stdout)

    def client(self, service):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="eu-west-1")


def reset_timeout(emulator):
    """dlq-replay raises the timeout; seeding the lambda part puts it back too, and this waits until the function
    has settled, so both contenders start from the same configuration."""
    lam = emulator.client("lambda")
    lam.update_function_configuration(FunctionName=FUNCTION, Timeout=SEEDED_TIMEOUT)
    lam.get_waiter("function_updated").wait(FunctionName=FUNCTION)


def queue_url(emulator, name):
    return emulator.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def take_all(sqs, url):
    """Every message in a queue, received and deleted: (body, attributes) pairs. Deleted, not just read, so that
    none is in flight when the next seeding drains the queues."""
    taken = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return taken
        for m in messages:
            attributes = {k: v.get("StringValue") for k, v in (m.get("MessageAttributes") or {}).items()}
            taken.append((m["Body"], json.dumps(attributes, sort_keys=True)))
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


def queue_depth(sqs, url):
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


# ---------------------------------------------------------------------------------------------------------------
# 1. Against the shell procedure.


def rollback_state(emulator):
    lam = emulator.client("lambda")
    return {"alias live": lam.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]}


def dlq_state(emulator):
    sqs = emulator.client("sqs")
    main = take_all(sqs, queue_url(emulator, MAIN_QUEUE))
    timeout = emulator.client("lambda").get_function_configuration(FunctionName=FUNCTION)["Timeout"]
    return {
        "function timeout": timeout,
        "DLQ messages": queue_depth(sqs, queue_url(emulator, DLQ)),
        "main queue messages": len(main),
        # Bodies and attributes as a sorted list: the order of arrival may differ, the content must not.
        "main queue content": sorted(main),
    }


def against_shell(emulator, binary, aws, runs, dlq_messages):
    env = dict(emulator.env, AWS_CLI=aws, PATH=os.path.dirname(aws) + os.pathsep + os.environ["PATH"],
               RAISE_TIMEOUT=str(RAISED_TIMEOUT))
    dlq_run = [binary, "run", "dlq-replay", "--raise-timeout", str(RAISED_TIMEOUT), "--yes", "--output", "json",
               "--quiet"]
    cases = [
        {
            "section": "1.1 Lambda alias rollback",
            "contenders": {
                "shell": ["bash", os.path.join(ROOT, "bench/shell/rollback-lambda.sh")],
                "`runbook run rollback-lambda --yes`": [binary, "run", "rollback-lambda", "--yes", "--output",
                                                        "json", "--quiet"],
            },
            "reset": lambda: emulator.seed("lambda,cloudformation"),
            "state": rollback_state,
        },
        {
            "section": f"6.1 DLQ replay, {dlq_messages} messages, Lambda timeout raised to {RAISED_TIMEOUT} s",
            "contenders": {
                "shell": ["bash", os.path.join(ROOT, "bench/shell/dlq-replay.sh")],
                f"`runbook run dlq-replay --raise-timeout {RAISED_TIMEOUT} --yes`": dlq_run,
                # The runbook's default rate (100 messages a second) protects the consumer; this shows the
                # engine without it.
                "the same with `--rate 100000`": [*dlq_run, "--rate", "100000"],
            },
            "reset": lambda: (emulator.seed("sqs,lambda", dlq_messages), reset_timeout(emulator)),
            "state": dlq_state,
        },
    ]
    rows = []
    for case in cases:
        names = list(case["contenders"])
        walls = {name: [] for name in names}
        states = {name: [] for name in names}
        for round_ in range(runs):
            # Rotate the order, so that none always runs first on a warmer (or busier) machine.
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                case["reset"]()
                wall, *_ = checked(run_measured(case["contenders"][name], env=env), f"{case['section']}: {name}")
                walls[name].append(wall)
                states[name].append(case["state"](emulator))
            say(f"{case['section']} round {round_ + 1}/{runs}: "
                + ", ".join(f"{name} {walls[name][-1]:,.0f} ms" for name in names))
        every = [state for name in names for state in states[name]]
        same = all(state == every[0] for state in every)
        final = every[0]
        if "main queue content" in final:
            right = (final["DLQ messages"] == 0 and final["main queue messages"] == dlq_messages
                     and final["function timeout"] == RAISED_TIMEOUT
                     and len(set(final["main queue content"])) == dlq_messages)
            shown = (f"function timeout {final['function timeout']} s; DLQ {final['DLQ messages']} messages; main "
                     f"queue {final['main queue messages']}, {len(set(final['main queue content']))} distinct "
                     "bodies with their attributes, as seeded")
        else:
            right = final == {"alias live": "2"}
            shown = f"alias live on version {final['alias live']} (seeded on 3)"
        rows.append((case, walls, same and right, shown))

    print("## Against the shell procedure (AWS CLI, same emulator, fresh world each run)\n")
    print(f"{runs} runs of each, in rotating order; process start to exit. The scripts are bench/shell/*.sh, with "
          f"the AWS CLI ({AWSCLI_REQUIREMENT}) and jq. After every run the AWS state is read back and compared "
          "across all runs of all contenders. Goal: runbook at least 20x faster.\n")
    print("| procedure | shell, median (ms) | runbook | runbook, median (ms) | faster by | goal ≥ 20x |")
    print("|---|---:|---|---:|---:|---|")
    for case, walls, _, _ in rows:
        shell = median(walls["shell"])
        for name, measured in walls.items():
            if name == "shell":
                continue
            book = median(measured)
            print(f"| {case['section']} | {shell:,.0f} | {name} | {book:,.0f} | {shell / book:,.1f}x | "
                  f"{'met' if shell / book >= 20 else 'missed'} |")
    print()
    for case, _, same, shown in rows:
        print(f"- {case['section']}: same AWS state after every run: {'yes' if same else 'NO'} ({shown}).")
    print()


# ---------------------------------------------------------------------------------------------------------------
# 2. Engine overhead.


def journal_edges(state_dir, run_id):
    """Wall-clock times (s) of the run's first and last journal records."""
    import datetime

    def at(record):
        parsed = datetime.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()

    with open(os.path.join(state_dir, "runs", run_id, "journal.jsonl")) as f:
        records = [json.loads(line) for line in f]
    return at(records[0]), at(records[-1])


def overhead(emulator, binary, runs, health, state_dir):
    world = emulator.seed("dynamodb,sqs,lambda,cloudformation,iceberg")
    snapshot = str(world["iceberg"]["snapshots"][1])
    # (runbook, its arguments from the world just seeded, parts seeded again before each run, DLQ messages
    # seeded). smoke-test reads (its DLQ sample, a receive, needs --yes but is skipped on an empty DLQ), and fails
    # (rightly) on a DLQ holding messages, so it gets an empty one, once.
    # pitr-restore's restore time comes from each seeding: moto's restorable window is the instant PITR was enabled.
    cases = [
        ("smoke-test", lambda world: ["--yes", "--health-url", health], None, 0),
        ("rollback-lambda", lambda world: ["--yes"], "lambda", 50),
        ("dlq-replay", lambda world: ["--yes"], "sqs", 50),
        ("iceberg-rollback", lambda world: ["--yes", "--snapshot-id", snapshot], "iceberg", 50),
        ("pitr-restore", lambda world: ["--yes", "--restore-time", world["dynamodb"]["latest_restorable"]],
         "dynamodb", 50),
    ]
    rows = {}
    for name, arguments, reseed, dlq_messages in cases:
        if not reseed:
            emulator.seed("sqs", dlq_messages)
        rows[name] = []
        for _ in range(runs):
            if reseed:
                world = emulator.seed(reseed, dlq_messages)
            args = arguments(world)
            began = time.time()
            wall, _, code, stdout, stderr = run_measured(
                [binary, "run", name, *args, "--output", "json", "--quiet"], env=emulator.env
            )
            ended = began + wall / 1000
            try:
                report = json.loads(stdout)
            except ValueError:
                report = None
            if code != 0 or report is None:
                failed = [f"{s['id']}: {s.get('error')}" for s in (report or {}).get("steps", []) if s.get("error")]
                rows[name] = f"exit {code}: {'; '.join(failed) or stderr.strip()[-300:]}"
                break
            first, last = journal_edges(state_dir, report["run_id"])
            ran = sum(1 for s in report["steps"] if s.get("status") not in ("skipped", "not_run"))
            rows[name].append((wall, report["duration"] * 1000, critical_path(report["steps"]) * 1000,
                               (first - began) * 1000, (ended - last) * 1000, ran))
        say(f"overhead {name}: done")
    print("## Engine overhead against the emulator (moto on 127.0.0.1)\n")
    print(f"Median of {runs} runs, each on a freshly seeded world. *Inside actions* is the critical path of the run's "
          "JSON report: the longest chain of `needs` weighted by each step's `busy` time (AWS calls, sleeps, waits; "
          "reported to the millisecond, so each step on the path carries up to 0.5 ms of rounding). *Engine* is the "
          "run's own `duration`, from its first step to its last. *Process* is from exec to exit: it adds the "
          "*start* (exec to the journal's first record: loading the binary and the AWS configuration, STS "
          "GetCallerIdentity for the journal, `id -un`, the lock, creating the journal) and the *end* (the "
          "journal's last record to exit: releasing the lock, printing the report). Goal: overhead at most "
          "10 ms + 2 % of the time inside actions; moto answers in a few milliseconds, so the share is taken "
          "against a far faster AWS than the real one.\n")
    print("| runbook | steps run | process (ms) | start (ms) | engine (ms) | end (ms) | inside actions (ms) | "
          "engine overhead (ms) | share | goal | process overhead (ms) | share | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for name, measured in rows.items():
        if isinstance(measured, str):
            print(f"| {name} | failed: {measured} |")
            continue
        wall, engine, busy, start, end = (median(r[i] for r in measured) for i in range(5))
        allowed = 10 + 0.02 * busy
        over_engine, over_process = engine - busy, wall - busy
        print(f"| {name} | {measured[0][5]} | {wall:,.1f} | {start:,.0f} | {engine:,.1f} | {end:,.0f} | {busy:,.1f} | "
              f"{over_engine:,.1f} | {over_engine / engine:.1%} | {'met' if over_engine <= allowed else 'missed'} | "
              f"{over_process:,.1f} | {over_process / wall:.1%} | {'met' if over_process <= allowed else 'missed'} |")
    print()


def health_server():
    """A health endpoint for smoke-test's http.request step, answering at once."""
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


# ---------------------------------------------------------------------------------------------------------------
# 3. Scale.


def generate(path, steps, shape):
    # Written line by line: a list of 100,000 steps' lines would grow this process, and with it (see run_measured)
    # every peak measured after.
    with open(path, "w") as f:
        f.write(f"name: {os.path.splitext(os.path.basename(path))[0]}\ndescription: {shape} of {steps} noop steps\n")
        f.write("steps:\n")
        for i in range(steps):
            f.write(f"  - id: s{i}\n    action: core.noop\n")
            if shape == "chain" and i:
                f.write(f"    needs: [s{i - 1}]\n")


def scale(binary, runs, state_dir):
    sizes = (1_000, 10_000, 100_000)
    env = dict(os.environ, NO_COLOR="1", RUNBOOK_STATE_DIR=state_dir)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for shape in ("chain", "wide"):
            for steps in sizes:
                name = f"{shape}{steps}"
                path = os.path.join(folder, f"{name}.yaml")
                generate(path, steps, shape)
                commands = {
                    "validate": [binary, "validate", path],
                    "plan": [binary, "--dir", folder, "plan", name, "--format", "json"],
                    "run": [binary, "--dir", folder, "run", name, "--quiet", "--output", "json"],
                }
                for verb, command in commands.items():
                    measured = [
                        checked(run_measured(command, env=env, cwd=folder, keep_output=False), f"{verb} {name}")
                        for _ in range(runs)
                    ]
                    results[shape, steps, verb] = (median(m[0] for m in measured), max(m[1] for m in measured))
                say(f"scale {name}: " + ", ".join(f"{v} {results[shape, steps, v][0]:,.0f} ms" for v in commands))
    print("## Scale: generated runbooks of core.noop steps\n")
    print(f"Median of {runs} runs, process start to exit (the run includes writing its journal); peak RSS is the "
          "largest of the runs. *chain*: each step needs the one before; *wide*: no needs at all.\n")
    print("| shape | steps | validate (ms) | MB | plan (ms) | MB | run (ms) | MB | run, µs per step |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape in ("chain", "wide"):
        for steps in sizes:
            cells = []
            for verb in ("validate", "plan", "run"):
                ms, mb = results[shape, steps, verb]
                cells += [f"{ms:,.0f}", f"{mb:,.1f}"]
            print(f"| {shape} | {steps:,} | {' | '.join(cells)} | {results[shape, steps, 'run'][0] * 1000 / steps:,.1f} |")
    print()
    print(f"This harness's own peak RSS is {harness_floor_mb():.1f} MB; Linux counts it in a child's peak (the "
          "memory between fork and exec), so a figure at or below it may be the harness's.\n")
    print("Linear growth: the cost of each step added, from 1,000 to 10,000 steps and from 10,000 to 100,000 "
          "(the difference in time or memory over the difference in steps, so start-up drops out). Linear means "
          "the two are about equal; a growing cost per step would mean worse than linear.\n")
    print("| shape | validate, µs per added step | plan, µs per added step | run, µs per added step | run, KB per "
          "added step | at 10,000 steps: each of validate, plan, run ≤ 1 s and ≤ 64 MB |")
    print("|---|---:|---:|---:|---:|---|")
    for shape in ("chain", "wide"):
        cells = []
        for verb in ("validate", "plan", "run"):
            low = (results[shape, 10_000, verb][0] - results[shape, 1_000, verb][0]) * 1000 / 9_000
            high = (results[shape, 100_000, verb][0] - results[shape, 10_000, verb][0]) * 1000 / 90_000
            cells.append(f"{low:,.1f} → {high:,.1f}")
        low = (results[shape, 10_000, "run"][1] - results[shape, 1_000, "run"][1]) * 1024 / 9_000
        high = (results[shape, 100_000, "run"][1] - results[shape, 10_000, "run"][1]) * 1024 / 90_000
        cells.append(f"{low:,.1f} → {high:,.1f}")
        at_10k = [results[shape, 10_000, v] for v in ("validate", "plan", "run")]
        worst_ms = max(ms for ms, _ in at_10k)
        worst_mb = max(mb for _, mb in at_10k)
        verdict = "met" if worst_ms <= 1000 and worst_mb <= 64 else "missed"
        print(f"| {shape} | {' | '.join(cells)} | {verdict} (slowest {worst_ms:,.0f} ms, largest {worst_mb:,.1f} MB) |")
    print()


# ---------------------------------------------------------------------------------------------------------------
# 4. Waiting.


def waiting():
    # The dev profile: see benches/waiting.rs for why.
    result = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "waiting", "--profile", "dev"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(f"## Waiting\n\n`cargo bench --bench waiting` failed: {result.stderr.strip()[-2000:]}\n")
        return
    print(result.stdout.strip())
    print("\nGoal: at most 40 polls for a 30 minute wait (the maximum over the runs is the figure to compare).\n")


# ---------------------------------------------------------------------------------------------------------------
# 5. DLQ throughput.


def boto3_loop(emulator, wait_seconds):
    """The plain loop: receive 10, send them as a batch, delete them as a batch, until a receive comes back empty.
    Clients are made before the clock starts, as the runbook's are before its move step."""
    sqs = emulator.client("sqs")
    source, destination = queue_url(emulator, DLQ), queue_url(emulator, MAIN_QUEUE)
    moved = 0
    start = time.perf_counter()
    while True:
        messages = sqs.receive_message(
            QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not messages:
            break
        entries = [{"Id": str(i), "MessageBody": m["Body"], **({"MessageAttributes": m["MessageAttributes"]}
                    if m.get("MessageAttributes") else {})} for i, m in enumerate(messages)]
        sqs.send_message_batch(QueueUrl=destination, Entries=entries)
        sqs.delete_message_batch(
            QueueUrl=source, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
        moved += len(messages)
    return moved, time.perf_counter() - start


def dlq_throughput(emulator, binary, runs, messages):
    def runbook(rate):
        def go():
            wall, _, _, stdout, _ = checked(
                run_measured([binary, "run", "dlq-replay", "--yes", "--rate", rate, "--output", "json", "--quiet"],
                             env=emulator.env),
                "dlq-replay",
            )
            replay = next(s for s in json.loads(stdout)["steps"] if s["id"] == "replay")
            return replay["output"]["Moved"], replay["duration"], wall / 1000
        return go

    contenders = {
        "dlq-replay, default `--rate 100`": runbook("100"),
        "dlq-replay, `--rate 100000` (no practical cap)": runbook("100000"),
        "boto3 loop, short polls (WaitTimeSeconds 0)": lambda: (*boto3_loop(emulator, 0), None),
        "boto3 loop, 1 s long poll (as the move ends)": lambda: (*boto3_loop(emulator, 1), None),
    }
    results = {name: [] for name in contenders}
    for round_ in range(runs):
        names = list(contenders)
        # Rotate the order each round, so that no contender always runs first.
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            emulator.seed("sqs", messages)
            moved, seconds, process = contenders[name]()
            if moved != messages:
                raise RuntimeError(f"{name} moved {moved} of {messages} messages")
            left = queue_depth(emulator.client("sqs"), queue_url(emulator, DLQ))
            if left:
                raise RuntimeError(f"{name} left {left} messages in the DLQ")
            results[name].append((seconds, process))
        say(f"dlq throughput round {round_ + 1}/{runs}")
    baseline = messages / median(s for s, _ in results["boto3 loop, short polls (WaitTimeSeconds 0)"])
    print(f"## DLQ throughput: {messages} messages from the DLQ to the main queue\n")
    print(f"Median of {runs} runs, each on a freshly seeded DLQ. For dlq-replay, the time is its `replay` step "
          "(`sqs.move_messages`: 4 pollers, batches of 10) from the run's report, and the whole process beside it; "
          "the boto3 loops run in this process with their client already made. Goal: dlq-replay at least as fast "
          "as the boto3 loop.\n")
    print("| mover | median time (s) | messages/s | whole process (s) | messages/s, whole process | against the "
          "boto3 loop |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs_of in results.items():
        seconds = median(s for s, _ in runs_of)
        processes = [p for _, p in runs_of if p is not None]
        process = median(processes) if processes else None
        rate = messages / seconds
        print(f"| {name} | {seconds:.2f} | {rate:,.0f} | {f'{process:.2f}' if process else '-'} | "
              f"{f'{messages / process:,.0f}' if process else '-'} | {rate / baseline:.2f}x |")
    print()


# ---------------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", help="a runbook binary (default: build the release binary of this checkout)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5; medians are shown)")
    parser.add_argument("--dlq-messages", type=int, default=300, help="messages replayed (default 300)")
    parser.add_argument("--only", default="shell,overhead,scale,waiting,dlq",
                        help="comma-separated sections (default all: shell,overhead,scale,waiting,dlq)")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    unknown = sections - {"shell", "overhead", "scale", "waiting", "dlq"}
    if unknown:
        sys.exit(f"unknown sections {sorted(unknown)}")
    reexec_in_emulator_venv()

    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as folder:
        binary = args.binary or build_binary(folder)
        state_dir = os.path.join(folder, "state")
        print("# runbook benchmarks\n")
        print(f"- machine: {machine()}")
        print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"- source: {source_state()}; release build")
        print(f"- starting a process from this harness (/bin/true): {spawn_baseline_ms():.1f} ms, included in every "
              "process time below")
        print(f"- load average at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1 / 5 / 15 min)\n")
        sys.stdout.flush()
        if "waiting" in sections:
            waiting()
        if "scale" in sections:
            scale(binary, args.runs, state_dir)
        if sections & {"shell", "overhead", "dlq"}:
            aws = install_awscli() if "shell" in sections else None
            emulator = Emulator(sys.executable, state_dir)
            try:
                if "shell" in sections:
                    against_shell(emulator, binary, aws, args.runs, args.dlq_messages)
                if "overhead" in sections:
                    overhead(emulator, binary, args.runs, health_server(), state_dir)
                if "dlq" in sections:
                    dlq_throughput(emulator, binary, args.runs, args.dlq_messages)
            finally:
                emulator.stop()
        print(f"Load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1 / 5 / 15 min).")


if __name__ == "__main__":
    main()
