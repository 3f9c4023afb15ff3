# Lambda builds for `sam build` (template.yaml: Metadata: BuildMethod: makefile).
#
# SAM runs `make --makefile <this file> build-<LogicalId>` once per function with
# ARTIFACTS_DIR set. Every build-* target runs the same single
# `cargo lambda build` for all eleven function binaries into the repo's target/
# directory: the first call compiles the dependency tree once, the other ten
# are cargo no-ops (about a second each), and each target then copies its own
# bootstrap into ARTIFACTS_DIR. (SAM's rust-cargolambda build method would
# compile the whole tree once per function instead.)
#
# Paths derive from this file's location, not the working directory, so the
# build also reuses target/ if SAM runs make from a scratch copy; samconfig.toml
# sets build_in_source = true so that SAM does not make that (huge) copy at all.
#
# Local use:  make lambdas   -> target/lambda/<bin>/bootstrap for all eleven.

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# cargo-lambda and Zig from the repo venv (scripts/tools.sh). cargo-lambda finds
# Zig through `python3 -m ziglang`, so the venv's python3 must come first.
VENV_BIN := $(ROOT)/.venv/bin
ifneq ($(wildcard $(VENV_BIN)/cargo-lambda),)
export PATH := $(VENV_BIN):$(PATH)
endif

export CARGO_TARGET_DIR ?= $(ROOT)/target
# scripts/sam-local.sh builds x86_64 bootstraps into a directory of their own.
LAMBDA_DIR ?= $(CARGO_TARGET_DIR)/lambda

# Function binaries (package name = binary name) built for the template.
FUNCTION_BINS := token users-me users-me-items status revoke introspect jwks openid-configuration openapi docs authorize
# --arm64 matches `Architectures: [arm64]`; --locked builds exactly Cargo.lock.
# On top of the workspace's [profile.release], cargo-lambda's release defaults add
# panic = "abort" (a panic ends the execution environment; Lambda starts a new
# one) and -C target-cpu=neoverse-n1 (Graviton2 and later). Add
# --disable-optimizations to drop both.
CARGO_LAMBDA_FLAGS ?= --release --arm64 --locked

.PHONY: lambdas build-TokenFunction build-UsersMeFunction build-UsersMeItemsFunction build-StatusFunction \
  build-RevokeFunction build-IntrospectFunction build-JwksFunction build-OpenIdConfigurationFunction build-OpenApiFunction \
  build-DocsFunction build-AuthorizeFunction

lambdas:
	cargo lambda build $(CARGO_LAMBDA_FLAGS) \
	  --manifest-path $(ROOT)/Cargo.toml \
	  --lambda-dir $(LAMBDA_DIR) \
	  $(addprefix --package ,$(FUNCTION_BINS))

# $(call install-bootstrap,<binary>): copy the built binary into SAM's artifacts dir.
define install-bootstrap
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: this target is meant for sam build" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)"
	cp "$(LAMBDA_DIR)/$(1)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"
endef

build-TokenFunction: lambdas
	$(call install-bootstrap,token)

build-UsersMeFunction: lambdas
	$(call install-bootstrap,users-me)

build-UsersMeItemsFunction: lambdas
	$(call install-bootstrap,users-me-items)

build-StatusFunction: lambdas
	$(call install-bootstrap,status)

build-RevokeFunction: lambdas
	$(call install-bootstrap,revoke)

build-IntrospectFunction: lambdas
	$(call install-bootstrap,introspect)

build-JwksFunction: lambdas
	$(call install-bootstrap,jwks)

build-OpenIdConfigurationFunction: lambdas
	$(call install-bootstrap,openid-configuration)

build-OpenApiFunction: lambdas
	$(call install-bootstrap,openapi)

build-DocsFunction: lambdas
	$(call install-bootstrap,docs)

build-AuthorizeFunction: lambdas
	$(call install-bootstrap,authorize)
