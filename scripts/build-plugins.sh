#!/usr/bin/env bash
# Rebuilds the example plugins (examples/plugins/*) for wasm32-unknown-unknown,
# copies each module next to its policy and pins the new SHA-256 digest in the
# policy's `plugin ... = wasm(..., sha256: "...")` line.
#
#   scripts/build-plugins.sh            rebuild, copy and re-pin
#   scripts/build-plugins.sh --out DIR  only build, and write the modules to DIR
#   scripts/build-plugins.sh --check    rebuild and fail if a committed module differs
#
# Needs the target: `rustup target add wasm32-unknown-unknown`. Paths are
# remapped so the modules do not depend on where the repository or the cargo
# home is; with the same toolchain and Cargo.lock the build is reproducible.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out=""
check=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --check) check=true; shift ;;
    *) echo "usage: $0 [--out DIR | --check]" >&2; exit 2 ;;
  esac
done

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "error: the wasm32-unknown-unknown target is not installed; run: rustup target add wasm32-unknown-unknown" >&2
  exit 2
fi

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$root=/ward"
target_dir="${CARGO_TARGET_DIR:-$root/examples/plugins/target}"

cargo build --quiet --locked --release \
  --manifest-path "$root/examples/plugins/Cargo.toml" \
  --target wasm32-unknown-unknown \
  --target-dir "$target_dir"

status=0
for dir in "$root"/examples/plugins/*/; do
  [ -f "$dir/Cargo.toml" ] || continue
  name="$(basename "$dir")"
  module="${name//-/_}.wasm"
  built="$target_dir/wasm32-unknown-unknown/release/$module"
  digest="$(sha256sum "$built" | cut -d' ' -f1)"
  size="$(wc -c < "$built")"
  if [ -n "$out" ]; then
    mkdir -p "$out"
    cp "$built" "$out/$module"
    echo "$out/$module  $size bytes  sha256 $digest"
  elif $check; then
    if ! cmp -s "$built" "$dir/$module"; then
      echo "error: examples/plugins/$name/$module differs from a fresh build (sha256 $digest); run scripts/build-plugins.sh" >&2
      status=1
    fi
  else
    cp "$built" "$dir/$module"
    for policy in "$dir"*.ward; do
      [ -f "$policy" ] || continue
      sed -i -E "s/(wasm\(\"$module\", sha256: \")[0-9a-fA-F]*\"/\1$digest\"/" "$policy"
    done
    echo "examples/plugins/$name/$module  $size bytes  sha256 $digest"
  fi
done
exit $status
