# Two commands (README): `make demo` and `make test`. Each sets up what is missing first:
# system packages (when root with apt), then .venv at the repository root (scripts/setup-venv.sh
# makes it, repairs a half-made one, and updates it when pyproject.toml changes).
SHELL := /bin/bash
PYTHON ?= python3
BIN := .venv/bin
# Optional dependency groups the repository's own tests need (Dask, for the cluster tests).
EXTRAS ?= cluster

.PHONY: demo test setup system-deps clean

demo: setup
	$(BIN)/autograder demo

test: setup
	$(BIN)/python -m pytest

setup: system-deps
	@bash scripts/setup-venv.sh "$(PYTHON)" "$(EXTRAS)"

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf .venv out
