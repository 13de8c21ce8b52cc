# Benchmarks (issue 8). Postgres and RabbitMQ must be running (bash scripts/services).
PYTHON ?= .venv/bin/python

.PHONY: bench bench-smoke bench-deps

bench-deps:
	$(PYTHON) -m pip install --quiet -e ".[dev,bench]"

# All scenarios B1-B6 beside their baselines: bench/results.md and bench/charts/*.png.
bench:
	$(PYTHON) -m bench $(BENCH_ARGS)

# Tiny sizes, one round, well under a minute: bench/results-smoke.md.
bench-smoke:
	$(PYTHON) -m bench --smoke $(BENCH_ARGS)
