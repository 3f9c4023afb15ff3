#!/usr/bin/env bash
# Cold-start probe (a benchmark: it prints figures, it asserts only that every invocation
# answered as expected, /introspect with an active token, and that no function calls AWS
# while it starts). Builds the ten functions, the probe
# and a hello-world lambda_http binary with the
# workspace's release profile for this machine, then runs each function binary as Lambda would
# (a fresh process per run, AWS_LAMBDA_RUNTIME_API pointed at a Runtime API stub on 127.0.0.1
# that hands out one sample event) and prints median init and first-response times as ratios
# to hello world.
#
#   scripts/coldstart.sh                     # 20 runs per binary
#   RUNS=50 scripts/coldstart.sh
#   scripts/coldstart.sh --bin-dir DIR       # probe other builds of the functions
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --release --locked -p token -p users-me -p users-me-items -p status -p revoke -p introspect \
  -p jwks -p openid-configuration -p openapi -p docs -p authorize -p coldstart
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/coldstart" --runs "${RUNS:-20}" "$@"
