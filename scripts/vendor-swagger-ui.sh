#!/usr/bin/env bash
# Vendors Swagger UI (npm `swagger-ui-dist`) into shared/assets/swagger-ui/, where the docs
# function embeds it at build time: no CDN at run time, no download at build time.
#
#   scripts/vendor-swagger-ui.sh           # re-vendor the pinned version (checks npm's hash)
#   scripts/vendor-swagger-ui.sh --check   # the committed files are the pinned package's
#
# Only the files the page loads are kept (the bundle and its stylesheet, and the page the code
# flow's sign-in returns to with its script), with the licences,
# and a gzip copy of each of the two (served to browsers that accept gzip: API Gateway HTTP
# APIs do not compress).
# To upgrade: change VERSION and INTEGRITY (from `npm view swagger-ui-dist@X dist.integrity`),
# run this script, run the browser test (scripts/docs-checks.sh), commit.
set -euo pipefail

VERSION=5.35.0
INTEGRITY='sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=='
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css oauth2-redirect.html
  oauth2-redirect.js LICENSE NOTICE)
COMPRESSED=(swagger-ui-bundle.js swagger-ui.css)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/shared/assets/swagger-ui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent --fetch-timeout=60000 --fetch-retries=1 "swagger-ui-dist@$VERSION" >/dev/null)
TARBALL="$WORK/swagger-ui-dist-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | openssl base64 -A)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "vendor-swagger-ui.sh: swagger-ui-dist@$VERSION is not the package pinned here" >&2
  echo "  expected $INTEGRITY" >&2
  echo "  got      $actual" >&2
  exit 1
fi
tar -xzf "$TARBALL" -C "$WORK"

if [[ "${1:-}" == "--check" ]]; then
  for file in "${FILES[@]}"; do
    cmp -s "$WORK/package/$file" "$DEST/$file" || {
      echo "vendor-swagger-ui.sh: $file differs from swagger-ui-dist@$VERSION" >&2
      exit 1
    }
  done
  for file in "${COMPRESSED[@]}"; do
    gzip -dc "$DEST/$file.gz" | cmp -s - "$WORK/package/$file" || {
      echo "vendor-swagger-ui.sh: $file.gz is not $file of swagger-ui-dist@$VERSION" >&2
      exit 1
    }
  done
  expected=(-e VERSION)
  for file in "${FILES[@]}"; do expected+=(-e "$file"); done
  for file in "${COMPRESSED[@]}"; do expected+=(-e "$file.gz"); done
  extra="$(cd "$DEST" && ls | grep -vxF "${expected[@]}" || true)"
  if [[ -n "$extra" ]]; then
    echo "vendor-swagger-ui.sh: files that are not vendored here: $extra" >&2
    exit 1
  fi
  grep -qx "$VERSION" "$DEST/VERSION" || {
    echo "vendor-swagger-ui.sh: shared/assets/swagger-ui/VERSION is not $VERSION" >&2
    exit 1
  }
  echo "vendor-swagger-ui.sh: shared/assets/swagger-ui is swagger-ui-dist@$VERSION"
  exit 0
fi

mkdir -p "$DEST"
for file in "${FILES[@]}"; do
  cp "$WORK/package/$file" "$DEST/$file"
done
for file in "${COMPRESSED[@]}"; do
  gzip -9 -n -c "$DEST/$file" >"$DEST/$file.gz"
done
echo "$VERSION" >"$DEST/VERSION"
echo "vendor-swagger-ui.sh: swagger-ui-dist@$VERSION in ${DEST#"$ROOT"/}"
