#!/usr/bin/env bash
# Lint the SAM template (cfn-lint, then `sam validate --lint`) and check that the vendored
# Swagger UI is the pinned npm package (scripts/vendor-swagger-ui.sh --check). Any finding fails.
#
#   scripts/lint.sh [template]   (default: template.yaml)
#
# Needs no AWS credentials (the Swagger UI check reads the npm registry). Tool versions are pinned in
# scripts/requirements-tools.txt (installed into .venv by scripts/tools.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/tools.sh"

export PATH="$ROOT/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
# sam validate needs a region to expand the template, even offline.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"

cd "$ROOT"
template="${1:-template.yaml}"

# cfn-lint exits non-zero on any error, warning or informational finding it reports.
echo "== cfn-lint $(cfn-lint --version | awk '{print $2}') $template"
cfn-lint --include-checks I -- "$template"
# Both settings of the JWT authorizer parameter (it needs a custom-domain issuer).
echo "== cfn-lint $template, JwtAuthorizer=true"
cfn-lint --include-checks I \
  --parameters JwtAuthorizer=true IssuerUrl=https://auth.example.com -- "$template"
echo "== cfn-lint $template, JwtAuthorizer=false with a custom domain"
cfn-lint --include-checks I \
  --parameters JwtAuthorizer=false IssuerUrl=https://auth.example.com -- "$template"

echo "== sam validate --lint $template"
sam validate --lint --template-file "$template" --region "$AWS_DEFAULT_REGION"

# The Swagger UI files the docs function embeds are the pinned npm package's, byte for byte.
echo "== vendored Swagger UI"
"$(dirname "${BASH_SOURCE[0]}")/vendor-swagger-ui.sh" --check

echo "lint: OK ($template)"
