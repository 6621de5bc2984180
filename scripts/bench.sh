#!/usr/bin/env bash
# Ward's end-to-end benchmark: generated cluster exports of growing size,
# the parse-only floors and `ward check` with the three large packs, in one
# run on the same files; then cold start, and the cost of the
# cross-resource controls as the export doubles.
#
#   scripts/bench.sh                 # 1,000, 10,000 and 100,000 resources
#   scripts/bench.sh 1000 10000      # chosen sizes
#   scripts/bench.sh --pgo           # the binaries of scripts/build-release.sh
#
# With --pgo, `ward` and the parse floors are both the profile-guided builds
# of scripts/build-release.sh, so the ratios compare like with like.
#
# Each size's three measurements (the two floors and `ward check`) are taken
# in turn WARD_BENCH_REPEAT times (default 3) and the table shows the median
# of each: on a shared machine a single run of either side can be off by
# half. After the table, each check is divided by the floor measured just
# before it, and the median and range of those pairs are printed: the
# machine's speed drifts within minutes, and pairs taken seconds apart
# drift together.
#
# Needs python3 and GNU time (/usr/bin/time). Exports are cached in
# target/bench (WARD_BENCH_DIR). Results: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

pgo=false
if [ "${1:-}" = --pgo ]; then
  pgo=true
  shift
fi
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000)
dir=${WARD_BENCH_DIR:-target/bench}
mkdir -p "$dir"

if $pgo; then
  ward=$(scripts/build-release.sh)
  floor=$(dirname "$ward")/examples/parse_floor
  build="release, profile-guided (scripts/build-release.sh)"
else
  cargo build --release -q -p ward-cli
  cargo build --release -q -p ward-engine --example parse_floor
  ward=target/release/ward
  floor=target/release/examples/parse_floor
  build="release"
fi
packs=(--pack pss-restricted --pack checklist --pack cis-k8s)
repeat=${WARD_BENCH_REPEAT:-3}

median() { # numbers -> the middle one (the lower middle of an even count)
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

export_of() { # size -> path (generated once per size, seed 1)
  local f="$dir/export-$1.json"
  [ -s "$f" ] || python3 scripts/gen-export.py --resources "$1" --seed 1 -o "$f"
  echo "$f"
}

# Runs a command under GNU time; prints "wall cpu rss_mb".
measure() {
  local t="$dir/time.txt"
  /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" >/dev/null 2>&1 || true
  # GNU time puts "Command exited with non-zero status" first when the
  # exit code is not 0 (1: findings).
  tail -1 "$t" | awk '{printf "%.2f %.2f %.0f", $1, $2 + $3, $4 / 1024}'
}

echo "machine: $(nproc) cores, $(uname -sr); ward $($ward --version | awk '{print $2}'), $build build; median of $repeat runs each"
echo
printf '| resources | file MB | serde_json→Value s (RSS MB) | ward parse s (RSS MB) | ward check s, cpu s (RSS MB) | findings | check ÷ serde | check ÷ ward parse | RSS ÷ file |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
by_run=()
for n in "${sizes[@]}"; do
  f=$(export_of "$n")
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN {printf "%.0f", b / 1048576}')
  sws=() srs=() pws=() prs=() cws=() ccs=() crs=() ratios=()
  for ((r = 0; r < repeat; r++)); do
    read -r sw sc sr <<<"$(measure "$floor" serde "$f")"
    read -r pw pc pr <<<"$(measure "$floor" ward "$f")"
    read -r cw cc cr <<<"$(measure "$ward" check "${packs[@]}" --format json -o "$dir/report-$n.json" "$f")"
    sws+=("$sw") srs+=("$sr") pws+=("$pw") prs+=("$pr") cws+=("$cw") ccs+=("$cc") crs+=("$cr")
    ratios+=("$(awk -v c="$cw" -v p="$pw" 'BEGIN {printf "%.2f", (p > 0 ? c / p : 0)}')")
  done
  # Each check against the floor measured just before it: on a machine
  # whose speed drifts, these pairs say more than the ratio of medians.
  by_run+=("$n resources: $(median "${ratios[@]}") in the median of $repeat pairs ($(printf '%s\n' "${ratios[@]}" | sort -g | head -1)–$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1))")
  sw=$(median "${sws[@]}") sr=$(median "${srs[@]}")
  pw=$(median "${pws[@]}") pr=$(median "${prs[@]}")
  cw=$(median "${cws[@]}") cc=$(median "${ccs[@]}") cr=$(median "${crs[@]}")
  findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$dir/report-$n.json")
  awk -v n="$n" -v mb="$mb" -v sw="$sw" -v sr="$sr" -v pw="$pw" -v pr="$pr" -v cw="$cw" -v cc="$cc" -v cr="$cr" -v fi="$findings" 'BEGIN {
    printf "| %d | %d | %.2f (%d) | %.2f (%d) | %.2f, %.2f (%d) | %d | %.2f | %.2f | %.2f |\n",
      n, mb, sw, sr, pw, pr, cw, cc, cr, fi, cw / sw, cw / pw, cr / mb }'
done
echo
echo "check ÷ ward parse, run by run:"
printf '  %s\n' "${by_run[@]}"

# The same resources as YAML: one multi-document stream (the shape of
# `helm template` or `kustomize build` of a whole system, which Ward cuts at
# its `---` lines and parses on all cores), a folder of such files, and one
# `kind: List` as `kubectl get -A -o yaml` writes it (read item by item on
# all cores). The floor is Ward's reader alone (saphyr-parser's events into
# documents).
yaml_of() { # size -> "folder stream list" (generated once per size, seed 1)
  local d="$dir/yaml-$1" s="$dir/stream-$1.yaml" l="$dir/list-$1.yaml"
  if [ ! -s "$s" ]; then
    rm -rf "$d"
    python3 scripts/gen-export.py --resources "$1" --seed 1 --format yaml -o "$d" >/dev/null
    cat "$d"/*.yaml >"$s"
  fi
  [ -s "$l" ] || python3 scripts/gen-export.py --resources "$1" --seed 1 --format yaml-list -o "$l"
  echo "$d $s $l"
}
echo
echo "the same resources as YAML, median of $repeat runs each:"
echo
printf '| resources | input | MB | ward parse s (RSS MB) | ward check s, cpu s (RSS MB) | check ÷ ward parse |\n'
printf '|---:|---|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  read -r d s l <<<"$(yaml_of "$n")"
  for input in stream folder list; do
    case $input in
      stream) f=$s ;;
      folder) f=$d ;;
      list) f=$l ;;
    esac
    mb=$(du -sb "$f" | awk '{printf "%.0f", $1 / 1048576}')
    pws=() prs=() cws=() ccs=() crs=()
    for ((r = 0; r < repeat; r++)); do
      read -r pw pc pr <<<"$(measure "$floor" ward "$f")"
      read -r cw cc cr <<<"$(measure "$ward" check "${packs[@]}" --format json -o /dev/null "$f")"
      pws+=("$pw") prs+=("$pr") cws+=("$cw") ccs+=("$cc") crs+=("$cr")
    done
    pw=$(median "${pws[@]}") pr=$(median "${prs[@]}")
    cw=$(median "${cws[@]}") cc=$(median "${ccs[@]}") cr=$(median "${crs[@]}")
    awk -v n="$n" -v i="$input" -v mb="$mb" -v pw="$pw" -v pr="$pr" -v cw="$cw" -v cc="$cc" -v cr="$cr" 'BEGIN {
      printf "| %d | %s | %d | %.2f (%d) | %.2f, %.2f (%d) | %.2f |\n", n, i, mb, pw, pr, cw, cc, cr, cw / pw }'
  done
done

# Every report format on the largest export: a code-scanning upload (SARIF)
# or a person (text) meets the same findings as the JSON table above.
big=${sizes[-1]}
f=$(export_of "$big")
echo
echo "report formats, ${big} resources, median of $repeat runs each:"
echo
printf '| format | ward check s, cpu s (RSS MB) | report MB |\n'
printf '|---|---:|---:|\n'
for format in json sarif text junit markdown html; do
  ws=() cs=() rs=()
  for ((r = 0; r < repeat; r++)); do
    read -r w c m <<<"$(measure "$ward" check "${packs[@]}" --format "$format" -o "$dir/report-$big.$format" "$f")"
    ws+=("$w") cs+=("$c") rs+=("$m")
  done
  size=$(stat -c %s "$dir/report-$big.$format")
  awk -v f="$format" -v w="$(median "${ws[@]}")" -v c="$(median "${cs[@]}")" -v m="$(median "${rs[@]}")" -v s="$size" 'BEGIN {
    printf "| %s | %.2f, %.2f (%d) | %.0f |\n", f, w, c, m, s / 1048576 }'
  rm -f "$dir/report-$big.$format"
done

# The export piped in, as from `kubectl get -A -o json`, and `ward diff` of
# two reports of it: the same work reached another way.
row() { # label, then a command printing "wall cpu rss_mb" -> a table row of medians
  local label=$1 ws=() cs=() rs=() w c m
  shift
  for ((r = 0; r < repeat; r++)); do
    read -r w c m <<<"$("$@")"
    ws+=("$w") cs+=("$c") rs+=("$m")
  done
  awk -v l="$label" -v w="$(median "${ws[@]}")" -v c="$(median "${cs[@]}")" -v m="$(median "${rs[@]}")" 'BEGIN {
    printf "| %s | %.2f, %.2f (%d) |\n", l, w, c, m }'
}
piped_check() { cat "$f" | measure "$ward" check "${packs[@]}" --format json -o /dev/null -; }
diff_reports() { measure "$ward" diff "$dir/diff-$big.json" "$dir/diff-$big.json" --format json -o /dev/null; }
echo
echo "other ways in and out, ${big} resources, median of $repeat runs each:"
echo
printf '| run | wall s, cpu s (RSS MB) |\n'
printf '|---|---:|\n'
row "\`ward check -\`, the export piped in (json)" piped_check
$ward check "${packs[@]}" --format json -o "$dir/diff-$big.json" "$f" >/dev/null 2>&1 || true
row "\`ward diff\` of two reports of it (json)" diff_reports
rm -f "$dir/diff-$big.json"
# A waivers file as a large organisation keeps one: a waiver of the Pod
# Security controls for each of 200 team namespaces, and one by pointer.
python3 - "$dir/waivers.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as out:
    out.write("waivers:\n")
    for i in range(200):
        out.write(f'- control: "pss.*"\n  reason: team {i} accepted the risk\n  namespace: "team-{i}"\n')
    out.write('- control: checklist.no_plaintext_credentials\n  reason: checked by hand\n  pointer: "/data/**"\n')
PY
waived_check() { measure "$ward" check "${packs[@]}" --format json -o /dev/null --waivers "$dir/waivers.yaml" "$f"; }
row "\`ward check\` with 201 waivers (json)" waived_check
# Pod Security as each namespace's labels declare it, the pack meant for
# cluster exports (most namespaces enforce one level and warn at another).
namespaces_check() { measure "$ward" check --pack pss-namespaces --format json -o /dev/null "$f"; }
row "\`ward check --pack pss-namespaces\` (json)" namespaces_check

# Fixes in a YAML stream, the shape of `helm template` output: every
# finding's fix is proven by loading its document again (SARIF fixes, the
# HTML report's diffs, `ward fix`), so their cost grows with the findings,
# not with findings times the file.
small=${sizes[0]}
read -r _ stream _ <<<"$(yaml_of "$small")"
sarif_stream() { measure "$ward" check "${packs[@]}" --format sarif -o "$dir/stream.sarif" "$stream"; }
html_stream() { measure "$ward" check "${packs[@]}" --format html -o /dev/null "$stream"; }
fix_stream() { measure "$ward" fix "${packs[@]}" --diff "$stream"; }
echo
echo "fixes in a YAML stream, ${small} resources ($(du -b "$stream" | awk '{printf "%.0f", $1 / 1048576}') MB), median of $repeat runs each:"
echo
printf '| run | wall s, cpu s (RSS MB) |\n'
printf '|---|---:|\n'
row "\`ward check --format sarif\`" sarif_stream
row "\`ward check --format html\`" html_stream
row "\`ward fix --diff\`" fix_stream
python3 - "$dir/stream.sarif" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
print(f"SARIF: {len(results)} results, {sum(1 for r in results if r.get('fixes'))} with a proven fix")
PY
echo "ward fix: $($ward fix "${packs[@]}" --diff "$stream" 2>&1 >/dev/null | grep -E 'fix(es)? to apply' | tail -1)"
rm -f "$dir/stream.sarif"

# Cold start: one small manifest, every built-in pack: the median wall and
# CPU (user + sys) time of 21 runs, and the fastest run (the least disturbed
# by whatever else the machine is doing).
echo
all=()
for p in $($ward packs --format json | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)))'); do
  all+=(--pack "$p")
done
# A team's own policy beside them: every file is then checked at start
# (the built-in files alone take the program checked at build time).
mkdir -p "$dir/policy"
cat >"$dir/policy/team.ward" <<'WARD'
package team

control labelled {
  title "Deployments carry a team label"
  severity low
  match input.kind == "Deployment"
  deny when not exists(input.metadata.labels.team)
    at input.metadata.labels
    message "Deployment has no `team` label"
}
WARD
cold() { # label, then the arguments of `ward check`
  python3 - "$ward" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
walls, cpus = [], []
for _ in range(21):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(sys.argv[1:2] + ["check"] + sys.argv[3:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
print("cold start (examples/quickstart/web.yaml, %s): median wall %.1f ms (fastest %.1f ms), median CPU %.1f ms"
      % (sys.argv[2], statistics.median(walls) * 1e3, min(walls) * 1e3, statistics.median(cpus) * 1e3))
PY
}
cold "every built-in pack" "${all[@]}" examples/quickstart/web.yaml
cold "every built-in pack and a policy folder" "${all[@]}" --policy "$dir/policy" examples/quickstart/web.yaml

# Cross-resource controls as the export doubles: the evaluation steps each
# takes (expressions evaluated: independent of the machine and its load) and
# the time it spends (summed over threads), from --profile, at half the
# largest size and at the largest.
big=${sizes[-1]}
half=$((big / 2))
echo
echo "cross-resource controls, ${half} → ${big} resources:"
echo
printf '| control | applied at %d | applied at %d | steps at %d | steps at %d | ratio | steps per application, ratio | ms at %d | ms at %d | ratio |\n' "$half" "$big" "$half" "$big" "$half" "$big"
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "$half" "$big"; do
  f=$(export_of "$n")
  $ward check "${packs[@]}" --profile --format json -o /dev/null "$f" 2>"$dir/profile-$n.txt" || true
done
for c in pod_disruption_budget pdb_allows_eviction pod_network_policy namespace_default_deny \
  required_flows designed_flows_only namespace_network_policies default_service_account; do
  a=$(awk -v c="$c" '$5 ~ ("\\." c "$") {print $1, $4, $2; exit}' "$dir/profile-$half.txt")
  b=$(awk -v c="$c" '$5 ~ ("\\." c "$") {print $1, $4, $2; exit}' "$dir/profile-$big.txt")
  if [ -n "$a" ] && [ -n "$b" ]; then
    # The generator's mix is random: doubling the export need not double
    # the objects a control applies to exactly, so steps per application
    # say whether the cost of one grew (a control that applies to none,
    # such as `required_flows` without flows, is left at 0).
    awk -v c="$c" -v a="$a" -v b="$b" 'BEGIN {
      split(a, x, " "); split(b, y, " ");
      per = (x[3] > 0 && y[3] > 0 && x[2] > 0) ? (y[2] / y[3]) / (x[2] / x[3]) : 0;
      printf "| %s | %d | %d | %d | %d | %.2f | %.2f | %.1f | %.1f | %.2f |\n", c, x[3], y[3], x[2], y[2], (x[2] > 0 ? y[2] / x[2] : 0), per, x[1], y[1], (x[1] > 0 ? y[1] / x[1] : 0) }'
  fi
done
exit 0
