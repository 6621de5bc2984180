#!/usr/bin/env bash
# Builds Ward's release binary with profile-guided optimisation (PGO): an
# instrumented build evaluates a training workload, and the final build is
# laid out and inlined for the paths that workload took. On large cluster
# exports it is about a sixth faster than `cargo build --release`, with the
# same findings (docs/performance.md).
#
#   scripts/build-release.sh      # -> target/pgo/use/release/ward
#
# The training workload is generated here (a 10,000-resource JSON export and
# a folder of multi-document YAML, seed 7, not the benchmark's seed 1) and
# run with every built-in pack, in every report format, together with
# examples/. The parse-floor example of scripts/bench.sh is built and
# trained the same way, so the benchmark compares like with like.
#
# Needs python3 and the llvm-profdata of rustc's own LLVM:
#   rustup component add llvm-tools
set -euo pipefail
cd "$(dirname "$0")/.."

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | awk '/^host:/ {print $2}')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "build-release: $profdata not found; run \`rustup component add llvm-tools\`" >&2
  exit 2
fi

work=${WARD_PGO_DIR:-target/pgo}
mkdir -p "$work"
work=$(cd "$work" && pwd)
data="$work/profiles"
train="$work/train"
mkdir -p "$train"

build() { # RUSTFLAGS, target dir
  RUSTFLAGS="$1" CARGO_TARGET_DIR="$2" cargo build --release --locked -q -p ward-cli
  RUSTFLAGS="$1" CARGO_TARGET_DIR="$2" cargo build --release --locked -q -p ward-engine --example parse_floor
}

echo "build-release: instrumented build" >&2
build "-Cprofile-generate=$data" "$work/gen"
# Build scripts ran instrumented too: only the training's profiles count.
rm -rf "$data"
mkdir -p "$data"

echo "build-release: training" >&2
[ -s "$train/export.json" ] ||
  python3 scripts/gen-export.py --resources 10000 --seed 7 -o "$train/export.json"
[ -d "$train/yaml" ] ||
  python3 scripts/gen-export.py --resources 2000 --seed 7 --format yaml -o "$train/yaml"
ward="$work/gen/release/ward"
floor="$work/gen/release/examples/parse_floor"
all=()
for p in $("$ward" packs --format json | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))'); do
  all+=(--pack "$p")
done
# Exit code 1 (findings) is what a training run is expected to give.
train_run() { "$@" >/dev/null 2>&1 || [ $? -eq 1 ]; }
train_run "$ward" check --pack pss-restricted --pack checklist --pack cis-k8s \
  --format json -o /dev/null "$train/export.json"
for format in text json sarif junit markdown html; do
  train_run "$ward" check "${all[@]}" --format "$format" -o /dev/null "$train/yaml" examples
done
"$floor" ward "$train/export.json" >/dev/null
"$floor" serde "$train/export.json" >/dev/null

echo "build-release: optimised build" >&2
"$profdata" merge -o "$work/ward.profdata" "$data"
build "-Cprofile-use=$work/ward.profdata" "$work/use"
echo "$work/use/release/ward"
