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

.PHONY: lab instructor test test-fast release grade check bench clean-venv validate student-edition FORCE

# The interpreter .venv is made from ("real path, version") is recorded in the stamp. When you
# name one (PYTHON=python3.12 make lab) and .venv was made from another, .venv is rebuilt.
PY_ID := import os, sys; print(os.path.realpath(sys.executable), sys.version.split()[0])
ifneq ($(origin PYTHON),file)
ifneq ($(shell $(PYTHON) -c '$(PY_ID)' 2>/dev/null),$(shell cat $(STAMP) 2>/dev/null))
$(STAMP): FORCE
endif
endif
FORCE:

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@want="$$($(PYTHON) -c '$(PY_ID)')"; have="$$($(BIN)/python -c '$(PY_ID)' 2>/dev/null)"; \
	if [ -n "$$have" ] && [ "$$have" != "$$want" ] && [ "$(origin PYTHON)" != file ]; then \
		echo "PYTHON=$(PYTHON) is $$want but $(VENV) was made from $$have: rebuilding $(VENV)"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || echo "Installing the course's packages into $(VENV)/ (about a minute, only once)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@$(BIN)/python -c '$(PY_ID)' > $(STAMP)

# The learner's Jupyter settings (nbgrader's Validate only; see jupyter-config/README.md).
LEARNER_CONFIG := $(abspath jupyter-config/learner)
# Jupyter refuses to run as root (containers, many cloud VMs) unless told it may.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

## Open the course in JupyterLab (installs everything on first use).
##   make lab LAB_ARGS="--no-browser --port=8890 --ip=0.0.0.0"   passes options to JupyterLab
lab: $(STAMP)
	@$(if $(ALLOW_ROOT),echo "make lab: you are root (a container?): JupyterLab is started with --allow-root")
	@JUPYTER_CONFIG_PATH="$(LEARNER_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
		$(BIN)/jupyter lab --ServerApp.root_dir=course \
		--LabApp.default_url=/lab/tree/00_getting_started/00_getting_started.ipynb $(ALLOW_ROOT) $(LAB_ARGS)

## Run a notebook's tests as the Validate button does:  make validate NB=00
validate: $(STAMP)
	@$(if $(NB),,echo 'Say which notebook: make validate NB=00 (its folder course/00_... starts with 00)'; exit 2)
	@$(BIN)/python tools/validate.py $(NB)

## The instructor's JupyterLab at the repository root: Formgrader with the 8 assignments,
## nbgrader's exchange and the course's gradebook (autograder/instructor.py).
##   make instructor [EXCHANGE=/srv/nbgrader/exchange] [DB_URL=postgresql+psycopg2://...] [ARGS=...]
instructor: $(STAMP)
	$(if $(EXCHANGE),NBGRADER_EXCHANGE='$(EXCHANGE)') $(if $(DB_URL),NBGRADER_DB_URL='$(DB_URL)') \
		$(BIN)/python -m autograder.instructor $(ALLOW_ROOT) $(ARGS)

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

## Self-check your notebooks in course/ with the hidden tests (same grader):  make check [NB=02]
check: $(STAMP)
	$(BIN)/python -m autograder.selfcheck $(NB)

## Speed of a training step against bare matrix products (and PyTorch if installed).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py

## A repository to publish for learners: course/, deeplib/, visible tests only, no solutions.
##   make student-edition DEST=../course-2027 [REPO=owner/name (for the Binder link)]
student-edition: $(STAMP)
	@$(BIN)/python -m autograder.student_edition "$(DEST)" $(if $(REPO),--repo "$(REPO)")

clean-venv:
	rm -rf $(VENV)
