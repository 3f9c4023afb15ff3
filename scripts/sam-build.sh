#!/usr/bin/env bash
# Build the four Lambda functions for deployment: .aws-sam/build/ + template.
#
#   scripts/sam-build.sh [extra sam build args]
#
# Installs the pinned tools and the aarch64 Rust target first (scripts/tools.sh),
# then runs `sam build` in the source tree. Each function uses the makefile build
# method (see Makefile): one `cargo lambda build --release --arm64` for all of
# them, in the repo's target/. A clean build takes ~10 minutes on 2 cores; on a shared
# machine run it as `nice -n 19 scripts/sam-build.sh`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/tools.sh" --with-arm64

export PATH="$ROOT/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

cd "$ROOT"
# --build-in-source is also in samconfig.toml; repeat it so that another
# --config-env cannot silently drop it (SAM would then copy the whole repo,
# target/ included, once per function). No --parallel: the first function's
# make builds all seven binaries, the other six only copy theirs.
exec sam build \
  --template-file template.yaml \
  --build-in-source \
  --no-cached \
  "$@"
