# The two commands a user needs (see README.md):
#   make demo   set up, then run the whole chain on the generated demo corpus (snakemake --cores all)
#   make test   set up (and Chromium, for the listening-page test), then run the test suite
#   make check  the fast tier of it: every test that trains nothing (pytest -m "not slow")
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
RUN := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: setup system-deps browser-deps demo test check bench dvc.yaml

setup: system-deps $(VENV)/.installed $(BIN)/nn-host

system-deps:
	@envs/system-deps.sh

# Chromium for the listening-page test. Not fatal here: without it that test is skipped, except
# with CI set, where it fails and says why.
browser-deps: system-deps
	-@envs/system-deps.sh --browser

# The venv is re-synced from the lock file whenever the lock, the package metadata or this recipe changes.
# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as in many CI images) every
# process would otherwise recompile torch's sources on import, about 4.5 s per rule and per test.
$(VENV)/.installed: envs/requirements.lock pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes envs/requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# nn-host (workflow/nn_host): nn~'s backend in C++, built against the venv's libtorch; about 15 s.
$(BIN)/nn-host: $(VENV)/.installed $(wildcard workflow/nn_host/*)
	workflow/nn_host/build.sh $(BIN)/python

# After the run, record it in dvc.lock so `dvc status`/`dvc repro` agree nothing is stale.
# dvc commit re-creates committed files from its cache (new mtimes); --touch restores the
# order Snakemake judges by, without running anything.
demo: setup
	$(RUN) snakemake --cores all
	$(RUN) dvc commit --force --quiet
	$(RUN) snakemake --cores all --touch --quiet
	$(RUN) snakemake --report results/report.html
	@echo "After an edit, 'snakemake --cores all' and 'dvc repro' re-run only the jobs whose input files,"
	@echo "code (the modules their command imports, their rule file) or config values changed, and what"
	@echo "follows from them; 'electone-rave plan' lists them first, with the trainings' estimated hours."

test: setup browser-deps
	$(RUN) pytest

# No RAVE training and no chain: about 2 minutes on 2 cores after setup. `make test` runs it too.
check: setup browser-deps
	$(RUN) pytest -m "not slow"

# Speed and memory figures (results/bench/*.json; bench/README.md). About 25 minutes on 2 cores;
# workflow_overhead needs a finished `make demo`.
bench: setup
	$(RUN) python bench/run_all.py

# Regenerate dvc.yaml from the Snakemake DAG (tests fail if the committed file is stale).
dvc.yaml: setup
	$(RUN) electone-rave dvc-stages --out dvc.yaml
