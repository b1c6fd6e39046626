# Two commands (SPEC section 7): `make demo` and `make test`. Each sets up what is
# missing first: system packages (when root with apt), then .venv at the repo root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where pip finds the CPU build of torch. Empty here (the machine has it locally);
# elsewhere: make TORCH_INDEX=https://download.pytorch.org/whl/cpu test
TORCH_INDEX ?=
TORCH_PIN := torch==2.13.0

.PHONY: demo test setup system-deps clean

demo: setup
	$(BIN)/autograder demo

test: setup
	$(BIN)/python -m pytest

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_PIN)"
	$(BIN)/python -m pip install -q -e ".[cluster]"
	@touch $@

clean:
	rm -rf $(VENV) out
