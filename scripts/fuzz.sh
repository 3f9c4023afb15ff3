#!/usr/bin/env bash
# Fuzzes the parsers an attacker reaches first, each for a bounded time, with cargo-fuzz on the
# machine's nightly toolchain (installed here if missing). Prints executions and time per
# target. A crash stops the script with the input under fuzz/artifacts/<target>/: turn it into
# a regression test beside the parser, then fix the parser.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 300        # 300 s per target
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PER_TARGET="${1:-60}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs a nightly toolchain (cargo +nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked
fi

summary=()
for target in token_verifier token_form authorization_header; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus" "target/fuzz-logs"
  log="target/fuzz-logs/$target.log"
  echo "== $target: ${PER_TARGET}s" >&2
  # fuzz/target: sanitizer builds cannot share the workspace's target directory.
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus" -- \
    -max_total_time="$PER_TARGET" -max_len=4096 -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1 || { tail -40 "$log" >&2; echo "fuzz.sh: $target failed (see $log)" >&2; exit 1; }
  runs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
  secs="$(grep -E '^stat::total_time_in_seconds' "$log" | awk '{print $2}' || true)"
  summary+=("$(printf '%-22s %12s executions in %ss, no crash' "$target" "$runs" "${secs:-$PER_TARGET}")")
done
printf '%s\n' "${summary[@]}"
