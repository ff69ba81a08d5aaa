"""The mixed-traffic soak: customers, faults and a SIGKILL against the real bot process.

`python -m bench.soak --minutes N` (see `bench.soak.__main__`).
"""
