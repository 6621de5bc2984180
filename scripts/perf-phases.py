#!/usr/bin/env python3
"""Where a `ward check` spends its CPU, by phase, from perf's call stacks.

perf's own report attributes a sample to the function it landed in; this
script reads each sample's whole stack and puts it in the phase the stack
is in (reading, the inventory, evaluation and the parts of it, the report),
so that the shares add up to the run. It needs stacks: build with frame
pointers, in a target directory of its own so that the release build is
left as it is, and record with them:

    CARGO_TARGET_DIR=target/fp RUSTFLAGS="-C force-frame-pointers=yes" \\
        cargo build --release -p ward-cli
    perf record -F 4000 --call-graph fp -o perf.data target/fp/release/ward \\
        check --pack pss-restricted --pack checklist --pack cis-k8s \\
        --format json -o /tmp/report.json target/bench/export-100000.json
    perf script -i perf.data -F ip,sym | scripts/perf-phases.py

It prints each phase's share of the samples (evaluation split into its
control runs, pod views, findings and the rest) and, with `--leaves
PHASE`, the functions most samples of a phase ended in.
"""

import argparse
import collections
import re
import sys

# A sample's phase: the first rule, in this order, that one of its frames
# matches. Evaluation is split by what, under it, the sample was doing.
PHASES = [
    ("evaluation: control runs", ["Evaluator::run_control"]),
    ("evaluation: pod views", ["pod_view::", "PodViews::"]),
    ("evaluation: findings", ["Engine::finding", "finding::fingerprint", "secrets_under"]),
    ("inventory", ["Inventory::new"]),
    ("evaluation: the rest", ["Engine::evaluate"]),
    ("reading", ["input::stream", "input::json", "input::yaml", "Reader::", "Scanner::",
                 "DocBuilder", "read_full", "Inputs::merge"]),
    ("report", ["report::", "write_findings", "output::write"]),
]

SYMBOL = re.compile(r"^\s*[0-9a-f]+\s+(.*?)(\+0x[0-9a-f]+)?$")


def samples(lines):
    """Each sample's frames, innermost first."""
    frames = []
    for line in lines:
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        m = SYMBOL.match(line)
        if m:
            frames.append(m.group(1))
    if frames:
        yield frames


def phase_of(frames):
    for name, patterns in PHASES:
        if any(p in f for f in frames for p in patterns):
            return name
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leaves", metavar="PHASE", help="list the functions samples of PHASE ended in")
    ap.add_argument("--top", type=int, default=20, help="how many functions --leaves lists")
    args = ap.parse_args()

    phases = collections.Counter()
    leaves = collections.Counter()
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        p = phase_of(frames)
        phases[p] += 1
        if args.leaves and args.leaves in p:
            leaves[frames[0]] += 1
    if total == 0:
        sys.exit("no samples read: pipe in `perf script -F ip,sym` of a run recorded with stacks")

    print(f"{total} samples")
    order = [name for name, _ in PHASES] + ["other"]
    for name in order:
        if phases[name]:
            print(f"{100 * phases[name] / total:6.1f}%  {name}")
    if args.leaves:
        print(f"\nwhere the samples of `{args.leaves}` ended:")
        for f, n in leaves.most_common(args.top):
            print(f"{100 * n / total:6.2f}%  {f[:120]}")


if __name__ == "__main__":
    main()
