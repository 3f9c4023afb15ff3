#!/usr/bin/env bash
# Install the repo's build/lint/test tools into ./.venv (idempotent).
#
#   scripts/tools.sh               # venv with the pinned tools of scripts/requirements-tools.txt
#   scripts/tools.sh --with-arm64  # ...plus the Rust target that `cargo lambda build --arm64` needs
#
# Installs: aws-sam-cli, aws-sam-translator, cfn-lint, cargo-lambda, ziglang, moto[server],
# schemathesis and playwright, at the exact versions pinned in scripts/requirements-tools.txt.
#
# Fast when nothing changed: the venv keeps a stamp with the hash of the
# requirements file (and the Python version); pip runs only when the stamp is
# missing or differs, or when a tool's entry point has gone missing.
#
# Afterwards put the tools on PATH with:   export PATH="$PWD/.venv/bin:$PATH"
# (.venv/bin must come first: cargo-lambda finds Zig via `python3 -m ziglang`).
#
# Environment:
#   PYTHON     interpreter used to create the venv (default: python3; needs >= 3.11, for
#              schemathesis)
#   TOOLS_VENV venv location (default: <repo>/.venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/scripts/requirements-tools.txt"
VENV="${TOOLS_VENV:-$ROOT/.venv}"
STAMP="$VENV/.tools-stamp"
PYTHON="${PYTHON:-python3}"
ARM64_TARGET=aarch64-unknown-linux-gnu

with_arm64=0
for arg in "$@"; do
  case "$arg" in
    --with-arm64) with_arm64=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tools.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "tools.sh: $*" >&2; }

# Nothing here may phone home.
export SAM_CLI_TELEMETRY=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

# GNU coreutils has sha256sum; macOS has shasum.
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

want_stamp() {
  # Requirements + interpreter version: a new Python needs a fresh venv anyway.
  { sha256 "$REQ" | cut -d' ' -f1; "$1" -c 'import sys; print(sys.version)'; } | sha256 | cut -d' ' -f1
}

# schemathesis needs Python >= 3.11.
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

venv_ok() {
  [[ -x "$VENV/bin/python" ]] || return 1
  # A venv made by an older Python (before schemathesis needed 3.11) is made again.
  new_enough "$VENV/bin/python" || return 1
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(want_stamp "$VENV/bin/python")" ]] || return 1
  local exe
  for exe in sam cfn-lint cargo-lambda moto_server schemathesis playwright; do
    [[ -x "$VENV/bin/$exe" ]] || return 1
  done
  "$VENV/bin/python" -c 'import ziglang' 2>/dev/null || return 1
}

if venv_ok; then
  :
else
  if [[ ! -x "$VENV/bin/python" ]] || ! new_enough "$VENV/bin/python"; then
    if ! new_enough "$PYTHON"; then
      log "$("$PYTHON" --version 2>&1) is too old: schemathesis needs Python >= 3.11 (set PYTHON=python3.11)"
      exit 1
    fi
    log "creating venv at $VENV with $("$PYTHON" --version 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing pinned tools from ${REQ#"$ROOT"/} (takes about a minute)"
  rm -f "$STAMP"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$REQ"
  "$VENV/bin/python" -m pip check >&2
  want_stamp "$VENV/bin/python" > "$STAMP"
  log "installed: $("$VENV/bin/sam" --version), $("$VENV/bin/cfn-lint" --version)," \
      "$("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null || echo cargo-lambda ?)," \
      "zig $("$VENV/bin/python" -m ziglang version)"
fi

if (( with_arm64 )); then
  if ! command -v rustup >/dev/null 2>&1; then
    log "rustup not found: install the Rust toolchain (https://rustup.rs) first"
    exit 1
  fi
  if ! rustup target list --installed | grep -qx "$ARM64_TARGET"; then
    log "adding Rust target $ARM64_TARGET"
    rustup target add "$ARM64_TARGET"
  fi
fi
