#!/usr/bin/env python3
"""Runs uvmapi's benchmark programs and publishes the results (make bench).

Each benchmark program (tests/bench/bench_<case>.cpp) measures its case once,
with its floor or peer in the same process, and prints one line of JSON:
{"case": ..., "metrics": {name: number}, "info": {name: text}}. This driver
runs every program several times, takes per row the median and the spread
(min-max) over the runs, pairs each run's uvmapi number with the same run's
floor (a ratio or a difference), checks the goals, records the machine, and
writes docs/performance.json and the results part of docs/performance.md
(between the bench:results markers; the hand-written parts stay).

Adding a case: write tests/bench/bench_<case>.cpp, add <case> to
UVMAPI_BENCH_CASES in tests/bench/CMakeLists.txt, and append a Case to
CASES below, with the rows to show and their goals.

usage: run_bench.py --bin BUILD/bin [--out docs] [--repeats N] [--only CASE ...]
Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


@dataclass
class Goal:
    """What the row's compared number must satisfy: 'at most' or 'at least'."""

    text: str
    at_most: Optional[float] = None
    at_least: Optional[float] = None

    def check(self, value: float):
        """Returns (met, how far off as a sentence)."""
        if self.at_most is not None and value > self.at_most:
            return False, (f"missed: {fmt(value)} against at most {fmt(self.at_most)}, "
                           f"{fmt(100 * (value / self.at_most - 1))}% over")
        if self.at_least is not None and value < self.at_least:
            return False, (f"missed: {fmt(value)} against at least {fmt(self.at_least)}, "
                           f"{fmt(100 * (1 - value / self.at_least))}% short")
        return True, "met"


@dataclass
class Row:
    """One line of a case's table.

    uvmapi and reference name metrics of one run. compare says how a run's
    pair is combined into the number the goal looks at: 'ratio' (uvmapi /
    reference; for a rate, more than 1 means uvmapi is faster), 'difference'
    (uvmapi - reference), or None (the uvmapi number itself).
    """

    label: str
    unit: str
    uvmapi: str
    reference: Optional[str] = None
    reference_label: str = ""
    compare: Optional[str] = None
    goal: Optional[Goal] = None


@dataclass
class Case:
    name: str
    title: str
    program: str
    repeats: int
    timeout: int  # Seconds one run of the program may take.
    args: List[str] = field(default_factory=list)
    rows: List[Row] = field(default_factory=list)


CASES = [
    Case(
        name="latency",
        title="Logoff latency of an idle store",
        program="uvmapi_bench_latency",
        repeats=5,
        timeout=120,
        args=["2000"],
        rows=[
            Row("ORDERLY logoff, C ABI (uvmapi_store_logoff_wait)", "µs", "abi_us", "floor_us",
                "uv_async_send round trip", "ratio", Goal("median ≤ 1.5× the floor", at_most=1.5)),
            Row("ORDERLY logoff, C++ core (release + wait_finished)", "µs", "core_us", "floor_us",
                "uv_async_send round trip", "ratio", Goal("median ≤ 1.5× the floor", at_most=1.5)),
            Row("90th percentile, C ABI", "µs", "abi_p90_us", "floor_p90_us",
                "uv_async_send round trip", "ratio"),
        ],
    ),
    Case(
        name="scale",
        title="Scale: many stores on one runtime, one queued message each, ORDERLY logoff of all",
        program="uvmapi_bench_scale",
        repeats=5,
        timeout=300,
        args=["5"],
        rows=[
            Row("logoff of 1 store", "ms", "logoff_ms_1"),
            Row("logoff of 100 stores", "ms", "logoff_ms_100"),
            Row("logoff of 1,000 stores", "ms", "logoff_ms_1000"),
            Row("logoff of 10,000 stores", "ms", "logoff_ms_10000", "logoff_ms_1000",
                "1,000 stores", "ratio", Goal("≤ 11× the time of 1,000 (linear)", at_most=11)),
            Row("opening 10,000 stores and queueing a message each", "ms", "open_ms_10000",
                "open_ms_1000", "1,000 stores", "ratio"),
            Row("memory per idle in-memory store, C++ core", "bytes", "idle_store_bytes_core",
                goal=Goal("≤ 2 KiB (2048 bytes)", at_most=2048)),
            Row("memory per idle in-memory store, C ABI", "bytes", "idle_store_bytes_abi",
                goal=Goal("≤ 2 KiB (2048 bytes)", at_most=2048)),
        ],
    ),
    Case(
        name="purge",
        title="Durable PURGE: 2,000 messages of 4 KiB through the shared-directory transport",
        program="uvmapi_bench_purge",
        repeats=3,
        timeout=400,
        args=["2000"],
        rows=[
            Row("sender's PURGE to the receiver's Inbox", "msg/s", "uvmapi_msgs_per_s",
                "floor_msgs_per_s", "write + fsync + rename loop", "ratio",
                Goal("≥ 1.0× the floor's messages per second", at_least=1.0)),
            Row("sender's PURGE alone (delivered to the mailbox)", "msg/s",
                "uvmapi_send_msgs_per_s", "floor_msgs_per_s", "write + fsync + rename loop",
                "ratio"),
        ],
    ),
    Case(
        name="smtp",
        title="SMTP PURGE: queued messages of 4 KiB to Postfix's smtp-sink on loopback",
        program="uvmapi_bench_smtp",
        repeats=5,
        timeout=300,
        args=["5000"],
        rows=[
            Row("1 connection (pipelined)", "msg/s", "uvmapi_1_msgs_per_s",
                "source_1_msgs_per_s", "smtp-source -d -s 1", "ratio",
                Goal("≥ 1.5× smtp-source's messages per second", at_least=1.5)),
            Row("10 connections", "msg/s", "uvmapi_10_msgs_per_s", "source_10_msgs_per_s",
                "smtp-source -d -s 10", "ratio",
                Goal("≥ 1.0× smtp-source's messages per second", at_least=1.0)),
        ],
    ),
    Case(
        name="abi",
        title="ABI overhead of a trivial call (GetActivity of an idle store)",
        program="uvmapi_bench_abi",
        repeats=5,
        timeout=120,
        rows=[
            Row("uvmapi_store_activity vs Opener::activity", "ns", "abi_ns", "core_ns",
                "the C++ call", "difference", Goal("≤ 2 ns more than the C++ call", at_most=2)),
        ],
    ),
]


def fmt(value: float) -> str:
    """A number with three significant digits, without exponent for ordinary sizes."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def summary(values: List[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def run_program(path: str, case: Case):
    """One run: the metrics and info it printed, or raises with why not."""
    started = time.monotonic()
    done = subprocess.run([path] + case.args, capture_output=True, text=True,
                          timeout=case.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{case.program} exited with {done.returncode}: "
                           f"{done.stderr.strip()[-500:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{case.program} printed no result")
    result = json.loads(lines[-1])
    result["seconds"] = time.monotonic() - started
    return result


def combine(row: Row, metrics: dict) -> Optional[float]:
    u = metrics[row.uvmapi]
    if row.compare is None:
        return u
    r = metrics[row.reference]
    if row.compare == "ratio":
        return u / r if r else float("inf")
    if row.compare == "difference":
        return u - r
    raise ValueError(f"unknown comparison {row.compare}")


def aggregate(case: Case, runs: List[dict]) -> List[dict]:
    rows = []
    for row in case.rows:
        metrics = [run["metrics"] for run in runs if row.uvmapi in run["metrics"]]
        if not metrics:
            rows.append({"label": row.label, "missing": True})
            continue
        entry = {"label": row.label, "unit": row.unit,
                 "uvmapi": summary([m[row.uvmapi] for m in metrics])}
        if row.reference:
            entry["reference_label"] = row.reference_label
            entry["reference"] = summary([m[row.reference] for m in metrics])
        if row.compare:
            entry["compare"] = row.compare
            entry["compared"] = summary([combine(row, m) for m in metrics])
        if row.goal:
            value = (entry["compared"] if row.compare else entry["uvmapi"])["median"]
            met, how = row.goal.check(value)
            entry["goal"] = {"text": row.goal.text, "met": met, "verdict": how,
                             "value": value}
        rows.append(entry)
    return rows


def first_line(command: List[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
        return out.strip().splitlines()[0] if out.strip() else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return first_line(["sysctl", "-n", "machdep.cpu.brand_string"]) or platform.processor()


def filesystem_of(path: str) -> str:
    """The file-system type that holds path (Linux: /proc/mounts; macOS: mount)."""
    real = os.path.realpath(path)
    best, kind, device = "", "unknown", ""
    try:
        with open("/proc/mounts") as mounts:
            entries = [line.split()[0:3] for line in mounts]
        entries = [(point.replace("\\040", " "), fs, dev) for dev, point, fs in entries]
    except OSError:
        entries = []
        out = subprocess.run(["mount"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            match = re.match(r".+ on (.+) \(([^,)]+)", line)
            if match:
                entries.append((match.group(1), match.group(2), ""))
    for point, fs, dev in entries:
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind, device = point, fs, dev
    # Whether ext4 keeps a journal changes what a flush and a file creation
    # cost; Linux names the journal's thread here, or "<none>" without one.
    journal = f"/sys/fs/ext4/{os.path.basename(device)}/journal_task"
    if kind == "ext4" and os.path.exists(journal):
        with open(journal) as task:
            none = task.read().strip() in ("", "<none>")
        kind += " without a journal" if none else " with a journal"
    return f"{kind} (mounted on {best})" if best else kind


def machine(runs_info: dict) -> dict:
    temp = os.environ.get("TMPDIR") or "/tmp"
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "compiler": runs_info.get("compiler", "unknown"),
        "build_type": runs_info.get("build_type", "unknown"),
        "temp_dir": temp,
        "temp_dir_filesystem": filesystem_of(temp),
        "python": platform.python_version(),
    }


def cell(stats: dict, unit: str) -> str:
    return f"{fmt(stats['median'])} {unit} ({fmt(stats['min'])}–{fmt(stats['max'])})"


def compared_cell(entry: dict) -> str:
    stats = entry["compared"]
    if entry["compare"] == "difference":
        return f"{fmt(stats['median'])} {entry['unit']} more ({fmt(stats['min'])}–{fmt(stats['max'])})"
    return f"{fmt(stats['median'])}× ({fmt(stats['min'])}–{fmt(stats['max'])})"


def markdown(report: dict) -> str:
    m = report["machine"]
    out = [
        f"Generated by `make bench` on {report['generated']} in {fmt(report['seconds'])} s "
        "(programs only; the build comes first).",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['kernel']}; {m['compiler']}, "
        f"{m['build_type']}; temp dir {m['temp_dir']} on {m['temp_dir_filesystem']}.",
        "",
        "Each cell: the median over the runs, then the spread (min–max). A ratio is taken "
        "per run, between uvmapi and the floor measured in that same run, and then its "
        "median and spread over the runs.",
        "",
    ]
    for case in report["cases"]:
        out.append(f"### {case['title']}")
        out.append("")
        if case.get("error"):
            out += [f"**Failed:** {case['error']}", ""]
            continue
        command = " ".join([case["program"]] + case["args"])
        out.append(f"{case['runs_done']} runs of `{command}`.")
        out.append("")
        out.append("| measurement | uvmapi | floor or peer | uvmapi vs floor | goal |")
        out.append("|---|---|---|---|---|")
        for entry in case["rows"]:
            if entry.get("missing"):
                out.append(f"| {entry['label']} | not measured | | | |")
                continue
            reference = "—"
            if "reference" in entry:
                reference = f"{entry['reference_label']}: {cell(entry['reference'], entry['unit'])}"
            compared = compared_cell(entry) if "compared" in entry else "—"
            goal = "—"
            if "goal" in entry:
                mark = "**met**" if entry["goal"]["met"] else "**MISSED**"
                verdict = "" if entry["goal"]["met"] else f": {entry['goal']['verdict']}"
                goal = f"{entry['goal']['text']}: {mark}{verdict}"
            out.append(f"| {entry['label']} | {cell(entry['uvmapi'], entry['unit'])} | "
                       f"{reference} | {compared} | {goal} |")
        out.append("")
    return "\n".join(out)


def publish_page(path: str, results: str):
    """Replaces the results between the markers; creates the page if needed."""
    try:
        with open(path) as page:
            text = page.read()
    except FileNotFoundError:
        text = f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Results\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as page:
        page.write(f"{head}{BEGIN}\n{results}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="directory of the benchmark programs")
    parser.add_argument("--out", default="docs", help="where performance.md/.json go")
    parser.add_argument("--repeats", type=int, help="runs per case (default: per case)")
    parser.add_argument("--only", nargs="*", help="run only these cases")
    options = parser.parse_args()

    started = time.monotonic()
    report = {"generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "cases": []}
    info = {}
    failed = False
    for case in CASES:
        if options.only and case.name not in options.only:
            continue
        path = os.path.join(options.bin, case.program)
        repeats = options.repeats or case.repeats
        entry = {"name": case.name, "title": case.title, "program": case.program,
                 "args": case.args, "runs": []}
        try:
            for i in range(repeats):
                print(f"bench: {case.name} run {i + 1}/{repeats} "
                      f"({fmt(time.monotonic() - started)} s so far)", file=sys.stderr)
                entry["runs"].append(run_program(path, case))
            info.update(entry["runs"][-1].get("info", {}))
            entry["runs_done"] = len(entry["runs"])
            entry["rows"] = aggregate(case, entry["runs"])
            for row in entry["rows"]:
                if "goal" in row:
                    print(f"bench:   {row['label']}: {row['goal']['text']}: "
                          f"{row['goal']['verdict']} ({fmt(row['goal']['value'])})",
                          file=sys.stderr)
        except (OSError, RuntimeError, subprocess.SubprocessError, KeyError,
                json.JSONDecodeError) as error:
            entry["error"] = str(error)
            failed = True
            print(f"bench: {case.name} failed: {error}", file=sys.stderr)
        report["cases"].append(entry)
    report["seconds"] = time.monotonic() - started
    report["machine"] = machine(info)

    os.makedirs(options.out, exist_ok=True)
    with open(os.path.join(options.out, "performance.json"), "w") as out:
        json.dump(report, out, indent=2, ensure_ascii=False)
        out.write("\n")
    publish_page(os.path.join(options.out, "performance.md"), markdown(report))
    print(f"bench: wrote {options.out}/performance.md and performance.json in "
          f"{fmt(report['seconds'])} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
