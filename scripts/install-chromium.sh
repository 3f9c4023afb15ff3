#!/usr/bin/env bash
# Installs Debian's chromium (the browser the docs page tests drive) if /usr/bin/chromium is
# missing: as root, or through passwordless sudo. Idempotent.
set -euo pipefail
[[ -x /usr/bin/chromium ]] && exit 0
echo "install-chromium.sh: installing Debian's chromium" >&2
# Waits up to two minutes for another apt or dpkg run to finish rather than failing at once.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120)
if [[ "$(id -u)" != 0 ]]; then apt=(sudo -n "${apt[@]}"); fi
"${apt[@]}" install -y chromium >/dev/null ||
  { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y chromium >/dev/null; }
