# Two commands for a fresh machine (each creates .venv when it is missing):
#   make demo   the main job: a multi-step edit on a scene it draws (ARGS="--image my.jpg" for yours)
#   make test   the test suite (tiny random-weight models, no network)
PYTHON ?= python3
VENV ?= .venv
# CPU/CUDA on Linux x86_64 with Python 3.11 (torchvision is needed by the [original] masker backend).
# Apple silicon / other platforms: TORCH="torch torchvision"; CUDA builds: see README.
TORCH ?= torch==2.14.1 torchvision==0.29.1
EXTRAS ?= dev,original
STAMP := $(VENV)/.emilie-installed

.PHONY: demo test env bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q $(TORCH)
	$(VENV)/bin/python -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/emilie-agent demo $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/python tools/bench_editor.py
	$(VENV)/bin/python tools/bench_masker.py

clean:
	rm -rf emilie-demo build *.egg-info
