"""tidyclust's benchmark suite: our calls side by side with what a user would otherwise write.

Run ``python -m benchmarks.run --quick`` (about 2 minutes) or ``python -m benchmarks.run`` (the
full suite); ``benchmarks/README.md`` explains the method. Not part of the test run.
"""
