# gradscope: `make demo` and `make test` install what they need into .venv first.
PYTHON ?= python3
VENV   ?= .venv
# Pinned here only: this machine holds a CPU wheel of this version. Users keep
# their own build through pyproject's range; override with `make install TORCH=...`.
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck format bench gpu-check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	$(BIN)/gradscope diagnose sample_models/deep_sigmoid.py --fail-on never --json out/demo.json --plots out/demo_plots

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check gradscope tests benchmarks sample_models
	$(BIN)/ruff format --check gradscope tests benchmarks sample_models

typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format gradscope tests benchmarks sample_models
	$(BIN)/ruff check --fix gradscope tests benchmarks sample_models

bench: install
	$(BIN)/python benchmarks/diagnose_time.py
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/memory.py

# The prepared GPU check (benchmarks/gpu_check.sh; its header gives the device tool's command).
# It installs nothing, torch least of all: the venv's python where .venv exists, else python3
# (on the lent GPU machine, the python3 that holds a CUDA torch). Without CUDA: one line, exit 0.
GPU_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
gpu-check:
	PYTHON=$(GPU_PYTHON) bash benchmarks/gpu_check.sh

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache build *.egg-info
