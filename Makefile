# Two commands for a fresh machine (each creates .venv when it is missing):
#   make demo   the main job: a multi-step edit on a scene it draws (ARGS="--image my.jpg" for yours)
#   make test   the test suite (tiny random-weight models, no network; installs Debian's chromium for the
#               browser tests when it is missing: apt-get, as root or through sudo)
#   make ui     the web chat UI at http://127.0.0.1:7860 (ARGS="--models toy --port 8080" to choose)
PYTHON ?= python3
VENV ?= .venv
# CPU/CUDA on Linux x86_64 with Python 3.11 (torchvision is needed by the [original] masker backend).
# Apple silicon / other platforms: TORCH="torch torchvision"; CUDA builds: see README.
TORCH ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= dev,original
STAMP := $(VENV)/.emilie-installed

.PHONY: demo test env bench clean ui browser

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q $(TORCH)
	$(VENV)/bin/python -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/emilie-agent demo $(ARGS)

test: $(STAMP) browser
	$(VENV)/bin/python -m pytest $(ARGS)

ui: $(STAMP)
	$(VENV)/bin/emilie-agent ui $(ARGS)

# The browser tests (tests/ui) drive the system's Chromium through Playwright: Playwright's own browser
# download needs the network, Debian's package does not. CHROMIUM=/path/to/chromium to use another one.
browser:
	@if [ -n "$(CHROMIUM)" ] || command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: the browser tests need Chromium: install it (as 'chromium' on PATH, or set CHROMIUM=...)" >&2; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	echo "make: installing chromium (apt-get) for the browser tests"; \
	$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# The whole agent turn at real size (random weights, built into the cache on first use: about 6 GB of disk), on
# the best device here; README "Performance". On a CPU: make bench BENCH="--size 256 --steps 4 --turns 3".
BENCH ?=
bench: $(STAMP)
	$(VENV)/bin/python tools/bench_turn.py $(BENCH)

clean:
	rm -rf emilie-demo build *.egg-info
