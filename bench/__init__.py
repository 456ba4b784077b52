"""Benchmarks: each script prints medians and ratios against a baseline run side by side (see README, «Checks»)."""
