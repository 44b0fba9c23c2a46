"""Helpers shared by the tests and the long-run scripts in ``benchmarks/`` (not used by the app).

They live in the package, not under ``tests/``, so both import them with no ``sys.path`` edits, and
a child process runs them as ``python -m studyllm.testing.reliability``. Nothing in the rest of
``studyllm`` imports this package.
"""
