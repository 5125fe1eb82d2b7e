"""The benchmark's studies, one job a file; `python benchmark.py` runs them and prints them."""
