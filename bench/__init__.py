"""Benchmarks of the WTGR Platform, reported as ratios against a baseline measured in the same run."""
