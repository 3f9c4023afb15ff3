#!/usr/bin/env bash
# Installs axe-core (npm, pinned) into target/npm for the sign-in page's accessibility check,
# and Debian's npm first if it is missing (as root, or through passwordless sudo). Idempotent;
# prints the path of axe.min.js.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=4.14.1
DIR="$ROOT/target/npm/axe-core-$VERSION"
AXE="$DIR/node_modules/axe-core/axe.min.js"
if [[ ! -f "$AXE" ]]; then
  if ! command -v npm >/dev/null; then
    echo "install-axe.sh: installing Debian's npm" >&2
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120)
    if [[ "$(id -u)" != 0 ]]; then apt=(sudo -n "${apt[@]}"); fi
    "${apt[@]}" install -y npm >/dev/null ||
      { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y npm >/dev/null; }
  fi
  echo "install-axe.sh: installing axe-core $VERSION from npm" >&2
  npm install --silent --no-audit --no-fund --prefix "$DIR" "axe-core@$VERSION" >/dev/null
fi
echo "$AXE"
