"""Pure computation over arrays (NumPy/SciPy/statsmodels/HiGHS): no web, database or I/O.

An import-linter contract in ``pyproject.toml`` keeps it that way.
"""
