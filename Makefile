# The two commands of the README, plus what they are made of.
.PHONY: demo test setup lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/llmdrill run rate-limit-storm --out runs/demo

test: setup
	.venv/bin/python -m pytest -q tests

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy units gateway fake_providers scenarios reports drill sim workload

bench: setup
	.venv/bin/python bench/bench_gateway.py
