#!/usr/bin/env bash
# Validates Ward's SARIF output with Microsoft's SARIF multitool, offline:
# the JSON schema and the SARIF rules (SARIF1xxx, SARIF2xxx).
#
#   scripts/validate-sarif.sh             # check the examples, and a folder with
#                                         # a broken and a skipped file
#   scripts/validate-sarif.sh a.sarif...  # check these logs
#
# The multitool (npm package @microsoft/sarif-multitool) is installed once
# into a cache folder: $WARD_TOOLS_CACHE, or ~/.cache/ward-tools. It exits 0
# even when a log is invalid, so this script reads its output: any `error`
# line fails the run; warnings and notes are shown and allowed.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=5.7.0
CACHE="${WARD_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ward-tools}/sarif-multitool-$VERSION"
find_tool() {
  [ -d "$CACHE/node_modules/@microsoft" ] || return 0
  find "$CACHE/node_modules/@microsoft" -maxdepth 2 -name Sarif.Multitool -type f | head -n 1
}
MULTITOOL="$(find_tool)"
if [ -z "$MULTITOOL" ]; then
  command -v npm >/dev/null || { echo "validate-sarif: npm is needed to install the multitool" >&2; exit 2; }
  echo "validate-sarif: installing @microsoft/sarif-multitool@$VERSION into $CACHE" >&2
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error "@microsoft/sarif-multitool@$VERSION" >&2)
fi
# The platform binary, called directly: npm's wrapper runs it through a shell,
# which splits paths with spaces and `;`-separated options. npm may also skip
# the package's postinstall step that marks it executable.
MULTITOOL="$(find_tool)"
[ -n "$MULTITOOL" ] || { echo "validate-sarif: no Sarif.Multitool binary in $CACHE" >&2; exit 2; }
chmod u+x "$MULTITOOL"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

logs=("$@")
if [ ${#logs[@]} -eq 0 ]; then
  cargo build -q -p ward-cli
  ward=./target/debug/ward
  # Exit codes 1 (findings) and 2 (errors in inputs) are expected here.
  "$ward" check examples --format sarif -o "$WORK/examples.sarif" || [ $? -le 2 ]
  mkdir -p "$WORK/inputs"
  cp -r examples/. "$WORK/inputs/"
  printf 'kind: Pod\nspec: [1, 2\n' >"$WORK/inputs/broken.yaml"
  printf 'replicaCount: 1\n' >"$WORK/inputs/values.yaml"
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: "p <&>", namespace: x}\nspec:\n  hostNetwork: true\n  containers:\n    - name: a\n      image: x\n      securityContext: {privileged: true}\n' >"$WORK/inputs/pod.yaml"
  (cd "$WORK" && "$OLDPWD/$ward" check inputs --format sarif -o "$WORK/broken.sarif") || [ $? -le 2 ]
  logs=("$WORK/examples.sarif" "$WORK/broken.sarif")
fi

status=0
for log in "${logs[@]}"; do
  out="$WORK/$(basename "$log").out"
  "$MULTITOOL" validate --level "Error;Warning" "$log" -o "$WORK/validation.sarif" --log ForceOverwrite >"$out" 2>&1 || true
  errors=$(grep -E '(: | )error ' "$out" || true)
  warnings=$(grep -cE ': warning ' "$out" || true)
  if [ -n "$errors" ] || ! grep -q 'Analysis completed successfully' "$out"; then
    echo "validate-sarif: $log is NOT valid:"
    [ -n "$errors" ] && echo "$errors" || cat "$out"
    status=1
  else
    echo "validate-sarif: $log is valid ($warnings warnings)"
    grep -E ': warning ' "$out" || true
  fi
done
exit $status
