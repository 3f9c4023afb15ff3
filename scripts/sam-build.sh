#!/usr/bin/env bash
# Build the four Lambda functions for deployment: .aws-sam/build/ + template.
#
#   scripts/sam-build.sh [extra sam build args]
#
# Installs the pinned tools and the aarch64 Rust target first (scripts/tools.sh),
# then runs `sam build` in the source tree. Each function uses the makefile build
# method (see Makefile): one `cargo lambda build --release --arm64` for all of
# them, in the repo's target/. A clean build takes several minutes; on a shared
# machine run it as `nice -n 19 scripts/sam-build.sh`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/tools.sh" --with-arm64

export PATH="$ROOT/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

cd "$ROOT"
# --build-in-source and the serial build are also in samconfig.toml; repeat them
# so that a different --config-env cannot silently turn them off.
exec sam build \
  --template-file template.yaml \
  --build-in-source \
  --no-cached \
  --no-parallel \
  "$@"
