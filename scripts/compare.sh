#!/usr/bin/env bash
# Compares two builds of `ward` on the same generated export: each runs
# `ward check --pack pss-restricted --pack checklist --pack cis-k8s --format
# json` in turn, several times, and the table shows the medians of wall
# time, CPU time and peak RSS; a second run of each with --profile gives the
# evaluation phase (`evaluated in`, which moves less from run to run than
# the whole wall time, but includes what --profile itself costs, which
# differs between builds whose profiler differs). Then it says whether the
# two builds wrote the same report, byte for byte.
#
#   scripts/compare.sh OLD NEW                # 9 runs each on 100,000 resources
#   scripts/compare.sh -n 5 -s 10000 OLD NEW  # 5 runs each on 10,000
#
# OLD and NEW are paths to `ward` binaries (copy target/release/ward aside
# before rebuilding). On a shared machine one run of either can be off by a
# tenth or more; alternating the two and taking medians keeps the
# comparison fair, and instruction counts (callgrind, see
# docs/performance.md) settle what the clock cannot.
#
# Needs python3 and GNU time (/usr/bin/time). Exports are cached in
# target/bench (WARD_BENCH_DIR), as scripts/bench.sh makes them.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=9
size=100000
while getopts "n:s:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    s) size=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
  echo "usage: scripts/compare.sh [-n runs] [-s resources] OLD_WARD NEW_WARD" >&2
  exit 2
fi
builds=("$1" "$2")
for b in "${builds[@]}"; do
  [ -x "$b" ] || { echo "compare: $b is not an executable" >&2; exit 2; }
done

dir=${WARD_BENCH_DIR:-target/bench}
mkdir -p "$dir"
export_file="$dir/export-$size.json"
[ -s "$export_file" ] || python3 scripts/gen-export.py --resources "$size" --seed 1 -o "$export_file"

out="$dir/compare.tsv"
: >"$out"
for ((r = 0; r < runs; r++)); do
  for i in 0 1; do
    t="$dir/compare-time.txt"
    err="$dir/compare-profile.txt"
    # Exit code 1 (findings) is what these runs are expected to give.
    /usr/bin/time -f '%e %U %S %M' -o "$t" "${builds[$i]}" check \
      --pack pss-restricted --pack checklist --pack cis-k8s --format json \
      -o "$dir/compare-report-$i.json" "$export_file" >/dev/null 2>&1 || true
    "${builds[$i]}" check --pack pss-restricted --pack checklist --pack cis-k8s \
      --format json --profile -o "$dir/compare-profiled-$i.json" "$export_file" \
      2>"$err" >/dev/null || true
    evaluated=$(sed -n 's/.*evaluated in \([0-9.]*\) ms.*/\1/p' "$err" | head -1)
    printf '%s\t%s\t%s\n' "$i" "$(tail -1 "$t")" "${evaluated:-nan}" >>"$out"
  done
done

python3 - "$out" "${builds[@]}" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print(f"{len(rows) // 2} runs each, alternating; medians (evaluated, with --profile: fastest–slowest)")
print()
print("| build | wall s | cpu s | peak RSS MB | evaluated ms |")
print("|---|---:|---:|---:|---:|")
for i, name in enumerate(sys.argv[2:]):
    mine = [r for r in rows if r[0] == str(i)]
    wall, user, sys_, rss = zip(*[map(float, r[1].split()) for r in mine])
    cpu = [u + s for u, s in zip(user, sys_)]
    ev = [float(r[2]) for r in mine if r[2] != "nan"]
    evs = f"{statistics.median(ev):.0f} ({min(ev):.0f}–{max(ev):.0f})" if ev else "?"
    print(f"| {name} | {statistics.median(wall):.2f} | {statistics.median(cpu):.2f} | "
          f"{statistics.median(rss) / 1024:.0f} | {evs} |")
EOF
echo
if cmp -s "$dir/compare-report-0.json" "$dir/compare-report-1.json"; then
  echo "reports: the same, byte for byte"
else
  echo "reports: DIFFERENT ($dir/compare-report-0.json, $dir/compare-report-1.json)"
  exit 1
fi
