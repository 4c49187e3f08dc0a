# Two commands: `make run` starts aetui, `make test` runs the tests. Both set up .venv first:
# `run` installs what running needs; `test` adds the test tools and Ray (for the sweep tests).
# `make bench` and `make reproduce` measure into bench/out/; `make readme-figures` puts that into the README.
PYTHON ?= python3
VENV := .venv
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PIP := $(VENV)/bin/pip install --disable-pip-version-check
STEPS := $(PYTHON) tools/steps.py
# (tools/steps.py prints a line per step of the install with the time since it began.)

.PHONY: run test bench reproduce readme-figures clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aetui needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "aetui: installing aetui and what it runs on into $(VENV) (TensorFlow: a few minutes the first time)"
	@$(STEPS) aetui $(PIP) -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(RUN_STAMP)
	@echo "aetui: installing the test tools and Ray into $(VENV) (a few minutes the first time)"
	@$(STEPS) aetui $(PIP) -e '.[test,ray]'
	@touch $@

run: $(RUN_STAMP)
	$(VENV)/bin/aetui $(ARGS)

# The suite on every core (a worker more than cores, the slow tests first, handed out two at a time:
# tests/conftest.py), then the few tests that hold a process to a deadline of a second or two,
# alone (pytest's exit status 5 is "none of them selected", for a PYTEST_ARGS naming other tests).
test: $(TEST_STAMP)
	$(VENV)/bin/pytest -n auto --dist load --maxschedchunk 2 -m "not serial" $(PYTEST_ARGS)
	$(VENV)/bin/pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# `bench` and `reproduce` write into bench/out/ (git-ignored), a line per step with its time;
# `readme-figures` puts what they measured into the README and bench/results/, the one step that does.
bench: $(RUN_STAMP)
	$(VENV)/bin/python bench/run.py

reproduce: $(RUN_STAMP)
	$(VENV)/bin/python bench/reproduce.py $(ARGS)

readme-figures:
	$(PYTHON) bench/figures.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache dist
