"""Benchmarks B1-B6 (issue 8): each scenario beside its baseline, alternated in one run.

``python -m bench`` (``make bench``) runs everything and writes ``bench/results.md``;
``python -m bench --smoke`` runs tiny sizes in well under a minute.
"""
