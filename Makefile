# Two entry points (see README): `make baseline` and `make test`.
# Both create .venv with a Python >= 3.12 found by scripts/find-python, then install lsr_sim.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: baseline test lint setup clean

$(STAMP): pyproject.toml
	@python=$$(sh scripts/find-python) || exit 1; \
	  [ -x $(BIN)/python ] || { echo "creating $(VENV) with $$python"; $$python -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP)

baseline: $(STAMP)
	$(BIN)/lsr-sim run scenarios/baseline.yaml --out results/baseline
	$(BIN)/lsr-sim calibrate scenarios/baseline.yaml --runs 200

lint: $(STAMP)
	$(BIN)/ruff check lsr_sim tests benchmarks notebooks
	$(BIN)/ruff format --check lsr_sim tests benchmarks notebooks
	$(BIN)/mypy lsr_sim

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
