#!/usr/bin/env bash
# Checks the HTML report in headless Chromium: renders the examples (and a
# folder with hostile names) with `ward check --format html`, lets the page's
# JavaScript run, and checks what the page then shows (--dump-dom): scores,
# control rows, the drill-down with the code frame and the fix, filters from
# the URL fragment, escaping. Also takes screenshots to look at.
#
#   scripts/test-html-report.sh [OUT_DIR]     # default target/html-report
#
# Needs Chromium (`apt-get install -y chromium`); set CHROMIUM to use another.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$CHROMIUM" ]; then
  echo "test-html-report: Chromium not found; install it with: apt-get install -y chromium" >&2
  exit 2
fi
OUT="${1:-target/html-report}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build -q -p ward-cli
WARD="$PWD/target/debug/ward"
# Exit code 1 means findings, which these inputs have.
"$WARD" check examples --format html -o "$OUT/report.html" || [ $? -eq 1 ]

mkdir -p "$WORK/hostile"
cat >"$WORK/hostile/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: evil
  namespace: "ns-<b>bold</b>"
spec:
  containers:
    - name: "<img src=x onerror=alert(1)>"
      image: nginx
      securityContext:
        privileged: true
YAML
(cd "$WORK" && "$WARD" check hostile --format html -o "$OUT/hostile.html") || [ $? -eq 1 ]

browser() {
  local profile
  profile="$(mktemp -d "$WORK/profile.XXXXXX")"
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --virtual-time-budget=5000 "$@" 2>/dev/null
}
dom() { browser --dump-dom "file://$1"; }

failures=0
check() { # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
has() { grep -qF -- "$2" <<<"$1"; }
has_re() { grep -qE -- "$2" <<<"$1"; }
lacks() { ! grep -qE -- "$2" <<<"$1"; }
row() { # the <tr> of a control in a DOM
  grep -oE "<tr [^>]*data-control=\"$2\"[^>]*>" <<<"$1" | head -n 1
}

page="$OUT/report.html"
d="$(dom "$page")"
check "the page rendered (a header with the run)" has "$d" 'id="headline"'
check "a pack score card with a percentage" has_re "$d" 'data-pack="pss-baseline".*<div class="score">[0-9]+%'
check "framework score cards" has "$d" 'id="framework-scores"'
check "the score is defined on the page" has "$d" 'Score = controls that pass'
check "a row for the privileged control" has "$d" 'data-control="pss.baseline.privileged"'
check "the privileged control fails" has_re "$(row "$d" pss.baseline.privileged)" 'data-status="fail"'
check "all controls are shown without filters" has_re "$d" 'Showing ([0-9]+) of \1 controls'
check "no drill-down is open" lacks "$d" 'class="ln hit"'

d="$(dom "$page#control=pss.baseline.privileged")"
check "#control opens the drill-down" has_re "$(row "$d" pss.baseline.privileged)" 'aria-expanded="true"'
check "the code frame highlights the offending line" has_re "$d" '<div class="ln hit"><span class="no">21</span><span class="tx">            privileged: <span class="tok">true</span>'
check "the remedy is shown" has "$d" 'How to fix: '
check "the fix is a diff of the file" has "$d" '<span class="ln add">+            privileged: false</span>'

d="$(dom "$page#severity=critical")"
check "a severity filter hides a high control" has "$(row "$d" pss.baseline.privileged)" 'hidden'
check "the severity button shows as on" has_re "$d" '<button[^>]*class="on"[^>]*data-severity="critical"'
d="$(dom "$page#severity=high")"
check "the high filter keeps the high control" lacks "$(row "$d" pss.baseline.privileged)" 'hidden'
check "the high filter hides medium controls" has_re "$d" '<tr [^>]*data-severity="medium"[^>]*hidden'
d="$(dom "$page#namespace=no-such-namespace")"
check "a namespace filter with no findings shows no control" has_re "$d" 'Showing 0 of [0-9]+ controls'
d="$(dom "$page#status=pass")"
check "the status filter hides the failing control" has "$(row "$d" pss.baseline.privileged)" 'hidden'

d="$(dom "$OUT/hostile.html#control=pss.baseline.privileged")"
check "hostile names are text, not markup" has "$d" '&lt;img src=x onerror=alert(1)&gt;'
check "no injected element" lacks "$d" '<img|<b>bold'
check "the page asks the network for nothing" lacks "$(cat "$page")" '(src|href)="(https?:)?//'

browser --window-size=1280,1500 --screenshot="$OUT/report.png" "file://$page" >/dev/null
browser --window-size=1280,3600 --screenshot="$OUT/drilldown.png" "file://$page#status=fail&control=pss.baseline.privileged" >/dev/null
echo "screenshots: $OUT/report.png $OUT/drilldown.png"

if [ "$failures" -gt 0 ]; then
  echo "test-html-report: $failures check(s) failed"
  exit 1
fi
echo "test-html-report: all checks passed"
