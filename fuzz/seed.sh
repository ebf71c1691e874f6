#!/usr/bin/env bash
# Seed every fuzz target's corpus with the real tables of the shared corpus and the
# bundled fixtures (built from their specs, with the dev build `cargo test` already
# made). Run from anywhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${VTD_CORPUS:-}
for c in "$corpus" "$root/../shared/dmar-corpus/raw" /work/shared/dmar-corpus/raw; do
  if [ -n "$c" ] && [ -f "$c/index.tsv" ]; then corpus=$c; break; fi
done
vtd=(cargo run --quiet -p vtd-cli --manifest-path "$root/Cargo.toml" --)
for target in dmar_parse dmar_check; do
  dir="$root/fuzz/corpus/$target"
  mkdir -p "$dir"
  if [ -n "$corpus" ] && [ -f "$corpus/index.tsv" ]; then
    cp "$corpus"/*.bin "$dir"/
  else
    echo "seed.sh: no DMAR corpus found; seeding with fixtures only" >&2
  fi
  for f in "$root"/dmar-fixtures/*/; do
    name=$(basename "$f")
    if [ -f "$f/table.bin" ]; then cp "$f/table.bin" "$dir/fixture-$name.bin"; fi
    if [ -f "$f/table.toml" ]; then "${vtd[@]}" dmar build "$f/table.toml" -o "$dir/fixture-$name.bin" 2>/dev/null; fi
  done
done
echo "seeded $(ls "$root/fuzz/corpus/dmar_parse" | wc -l) inputs per target"
