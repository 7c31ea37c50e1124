"""Fakes injected at the seams (senders, clocks), shared by the test layers and the benchmarks."""
