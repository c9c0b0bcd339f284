# Two commands matter:  make lab  (open the course)   make test  (run every test)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
# The course's matrices are small: one BLAS thread per process is fastest, and the
# tests run two processes on two cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: lab instructor test test-fast release grade bench clean-venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## Open the course in JupyterLab (installs everything on first use).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=course \
		--LabApp.default_url=/lab/tree/00_getting_started/00_getting_started.ipynb

## The instructor's JupyterLab at the repository root: Formgrader with the 8 assignments,
## nbgrader's exchange and the course's gradebook (autograder/instructor.py).
##   make instructor [EXCHANGE=/srv/nbgrader/exchange] [DB_URL=postgresql+psycopg2://...] [ARGS=...]
instructor: $(STAMP)
	$(if $(EXCHANGE),NBGRADER_EXCHANGE='$(EXCHANGE)') $(if $(DB_URL),NBGRADER_DB_URL='$(DB_URL)') \
		$(BIN)/python -m autograder.instructor $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

## Run every test: the library, the notebooks (nbval), the release and the grader.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile tests
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly solutions

## Only the library's unit tests (seconds).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests -m "not slow"

## Regenerate the student notebooks in course/ from solutions/.
release: $(STAMP)
	$(BIN)/python -m autograder.release

## Grade a folder or zip of submissions:  make grade SUBMISSIONS=path [WORKERS=2]
grade: $(STAMP)
	$(BIN)/python -m autograder.grade "$(SUBMISSIONS)" --workers $(or $(WORKERS),2)

## Speed of a training step against bare matrix products (and PyTorch if installed).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py

clean-venv:
	rm -rf $(VENV)
