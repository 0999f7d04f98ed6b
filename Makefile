# The two commands a user needs (see README.md):
#   make demo   set up, then run the whole chain on the generated demo corpus (snakemake --cores all)
#   make test   set up, then run the test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: setup system-deps demo test dvc.yaml clean-results

setup: system-deps $(VENV)/.installed

system-deps:
	@envs/system-deps.sh

# The venv is rebuilt from the lock file whenever the lock or the package metadata changes.
$(VENV)/.installed: envs/requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes envs/requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --cores all
	PATH="$(CURDIR)/$(BIN):$$PATH" dvc commit --force --quiet

test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" pytest

# Regenerate dvc.yaml from the Snakemake DAG (tests fail if the committed file is stale).
dvc.yaml: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" electone-rave dvc-stages --out dvc.yaml
