# openindex — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := reports/demo

.PHONY: run test bench lint schema demo-data clean help

help:
	@echo "make run     build the demo index (default framework, synthetic demo network) into $(DEMO)/"
	@echo "make test    run the test suite"
	@echo "make bench   run the speed benchmarks"
	@echo "make lint    ruff and mypy"
	@echo "make schema  regenerate indicators/framework.schema.json"

# (Re)install when the project definition changes; a fresh clone creates .venv first.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/openindex validate indicators/opencities.yaml --data datasets/demo_network.csv
	$(BIN)/openindex run indicators/opencities.yaml datasets/demo_network.csv --out $(DEMO) --no-report
	$(BIN)/openindex uncertainty indicators/opencities.yaml datasets/demo_network.csv --out $(DEMO)/uncertainty
	$(BIN)/openindex report indicators/opencities.yaml datasets/demo_network.csv --out $(DEMO) \
	  --uncertainty $(DEMO)/uncertainty
	@echo "The demo index (synthetic data) is in $(DEMO)/: open report.html in a browser;"
	@echo "  scores.csv, peers.csv, stages.xlsx, results.xlsx, manifest.json, uncertainty/rank_intervals.csv"

# The report's browser test drives Debian's chromium (never a browser downloaded by playwright),
# and the questionnaire workbook is converted with Debian's LibreOffice (the small headless Calc
# package); install them when missing (as root), else those tests are skipped with the reason.
test: $(STAMP)
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || echo "note: could not install chromium; the browser tests will be skipped"
	@test -x /usr/bin/libreoffice || (apt-get update -qq \
	  && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui) \
	  || echo "note: could not install LibreOffice; the workbook conversion test will be skipped"
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check openindex tests benchmarks datasets && $(BIN)/mypy openindex

schema: $(STAMP)
	$(BIN)/openindex schema --out indicators/framework.schema.json

demo-data: $(STAMP)
	$(BIN)/python datasets/make_demo.py
	$(BIN)/python datasets/make_icc_demo.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache build *.egg-info
