#!/usr/bin/env bash
# Instructions per operation of the hot paths, counted by callgrind: stable on a noisy
# machine (instruction counts, not time). Each path runs N and 2N times; the difference
# divided by N is the cost of one operation, setup excluded.
# Writes target/callgrind/results.tsv, which `--bin report` puts into reports/perf.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
cargo build --release -q -p vtd-benches --bin hot
out=target/callgrind
mkdir -p "$out"
n=20000
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2" target/release/hot "$1" "$2" >/dev/null 2>"$out/log.$1.$2"
  grep -m1 -E '^summary:|^totals:' "$out/cg.$1.$2" | awk '{print $2}'
}
printf 'path\tinstructions_per_op\n' > "$out/results.tsv"
for kind in iotlb-hit superpage-hit walk sim-replay; do
  a=$(ir "$kind" "$n"); b=$(ir "$kind" $((2 * n)))
  per=$(( (b - a) / n ))
  printf '%s\t%s\n' "$kind" "$per" | tee -a "$out/results.tsv"
done
