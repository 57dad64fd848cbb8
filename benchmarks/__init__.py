"""Benchmarks of kserve-doctor against the sandbox, both as separate processes talking HTTP.

`python3 dev.py bench [--quick] [--only SECTION] [--bundles DIR ...]` runs them and prints plain-text tables.
They measure; they assert nothing (the goals are printed next to the numbers). See `benchmarks/__main__.py`.
"""
