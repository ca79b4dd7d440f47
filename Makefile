# Two commands are all a user needs: `make demo` and `make test`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test bench docs clean

# (Re)install only when the venv is missing or pyproject.toml (or this recipe) changed. Then
# PyTorch's CPU build, the oracle of the float64 autograd comparisons in the tests (and the
# bench's PyTorch peer):
# "+cpu" names only the CPU build, so where none is at hand nothing large is downloaded and
# those tests say that they skip.
$(STAMP): pyproject.toml Makefile
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	$(PYTHON) -m pip install --quiet "torch==2.13.0+cpu" \
		|| echo "PyTorch's CPU build is not available here: the PyTorch comparison tests will skip"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/numnet demo

test: $(STAMP)
	$(PYTHON) -m pytest -n 2 --doctest-modules src/numnet tests

bench: $(STAMP)
	$(PYTHON) bench/run.py

# The documentation site (mkdocs.yml, docs/) into site/; --strict: any warning fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

clean:
	rm -rf $(VENV) build site *.egg-info src/*.egg-info numnet-demo
