#!/usr/bin/env bash
# Runs every test: unit tests, the sample events through the real function routers, the HTTP contract
# tests, and the same behaviour tests against DynamoDB through a real DynamoDB-compatible
# server (moto), which this script installs (scripts/tools.sh), starts on 127.0.0.1 and stops;
# then the documentation checked from outside (scripts/docs-checks.sh): the /docs page in
# headless Chromium, and schemathesis against /openapi.json; then registered clients with a
# real OAuth client library (scripts/client-checks.sh: authlib).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -- token_       # only the Rust tests matching a name filter
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

args=()
if [[ "${1:-}" == "--" ]]; then shift; args=("$@"); fi
# Benchmarks are not tests: `cargo bench -p token-service` runs them.
"$ROOT/scripts/with-moto.sh" \
  cargo test --workspace --tests --locked -- --include-ignored ${args[@]+"${args[@]}"}
if (( ${#args[@]} == 0 )); then
  "$ROOT/scripts/docs-checks.sh"
  "$ROOT/scripts/client-checks.sh"
fi
