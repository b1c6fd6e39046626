# Two commands (README): `make demo` and `make test`. Each sets up what is missing first:
# system packages (when root with apt), then .venv at the repository root holding exactly the
# lock (scripts/setup-venv.sh makes it, repairs a half-made one, brings it to the lock when the
# lock changes). `make lock` and `make upgrade-check` are the TA's (docs/tas.md: refreshing the lock).
SHELL := /bin/bash
PYTHON ?= python3
BIN := .venv/bin
# Optional dependency groups the repository's own tests need (Dask, for the cluster tests).
EXTRAS ?= cluster

.PHONY: demo test test-fast setup system-deps lock upgrade-check clean

demo: setup
	$(BIN)/autograder demo

test: setup
	$(BIN)/python -m pytest

# The fast tier (tests/conftest.py): every module's unit tests and one grading per hands-on.
test-fast: setup
	$(BIN)/python -m pytest -m fast

setup: system-deps
	@bash scripts/setup-venv.sh "$(PYTHON)" "$(EXTRAS)"

system-deps:
	@bash scripts/system-deps.sh

# Resolve locks/*.txt again within pyproject.toml's ranges, keeping the locked versions that
# still fit; UPGRADE=1 takes the newest allowed (preview it first with upgrade-check).
lock:
	$(PYTHON) scripts/lock.py make $(if $(UPGRADE),--upgrade)

# What the newest allowed versions would change (versions, fixtures, scores), in a throw-away venv.
upgrade-check: setup
	$(BIN)/python scripts/upgrade_check.py

clean:
	rm -rf .venv out
