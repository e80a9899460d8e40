# Quick start: `make demo` (set-up, then the whole workflow on the simulated demo cohort) and
# `make test` (set-up, then linters and the test suite). Both create .venv when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# Workflow rules call `riata`; it lives in the virtual environment.
export PATH := $(BIN):$(PATH)

.PHONY: setup demo framingham case-study case-study-10k case-study-survival benchmark-survival benchmark-predict test lint \
	system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,data]'
	touch $@

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --configfile config/config.yaml

# The case study at full scale (3,000 x 500,000; the cohort is simulated once and kept), then the
# figures of benchmarks/end_to_end.py: wall time and peak memory per rule.
case-study: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --configfile config/case_study.yaml
	$(BIN)/python benchmarks/end_to_end.py results/case_study

# The same analysis at 10,000 samples with a stronger genetic signal (docs/case_study.md).
case-study-10k: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --configfile config/case_study_10k.yaml
	$(BIN)/python benchmarks/end_to_end.py results/case_study_10k

# The case study with a time-to-event outcome (penalised Cox networks; docs/case_study.md, "Survival").
# The real Framingham Heart Study table (survset, offline): the binary 10-year analysis with scikit-learn's
# penalised logistic regression beside it, then the time-to-event analysis.
framingham: $(STAMP)
	$(BIN)/riata framingham --out data/framingham/clinical.tsv
	$(BIN)/snakemake --profile profiles/local --configfile config/framingham.yaml
	$(BIN)/python benchmarks/framingham_sklearn.py results/framingham
	$(BIN)/snakemake --profile profiles/local --configfile config/framingham_survival.yaml

case-study-survival: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --configfile config/case_study_survival.yaml
	$(BIN)/python benchmarks/end_to_end.py results/case_study_survival

# riata's Cox networks against LassoNet's Cox path on real survival data (LassoNet installed beside the
# pinned torch, without its own dependencies, which would pull another torch).
benchmark-survival: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps lassonet==0.0.21
	$(BIN)/python benchmarks/survival_peer.py

# Scoring new cohorts of 2,500-10,000 samples x 500,000 SNPs with a model bundle: riata predict against
# plink2 --score (the case study's cohort and loadings when `make case-study` has run, else a simulated cohort).
benchmark-predict: $(STAMP)
	if [ -f results/case_study/embedding/loadings.parquet ]; then \
		$(BIN)/python benchmarks/predict.py --cohort results/case_study/simulated/genotypes \
			--loadings results/case_study/embedding/loadings.parquet; \
	else $(BIN)/python benchmarks/predict.py; fi

# What the tests need from Debian (plink2, plink1.9, chromium, chromedriver, SLURM); installed with apt-get when missing.
system-deps:
	sh tests/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint

test: $(STAMP) system-deps lint
	$(BIN)/pytest --durations=25

clean:
	rm -rf results logs .snakemake report.html
