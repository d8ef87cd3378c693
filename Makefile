# Convenience wrappers; the commands themselves work without make (see README).
PYTHON ?= python3

.PHONY: build test sample reference clean
build:
	$(PYTHON) tasks.py build
test:
	$(PYTHON) tasks.py test
sample:
	$(PYTHON) tasks.py pplib generate-sample
reference:
	$(PYTHON) tasks.py pplib import-reference --shared ../shared
clean:
	rm -rf outputs/*/ .pytest_cache
