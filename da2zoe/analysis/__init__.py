"""Measurement and tuning of speed and memory: timing, FLOPs, RSS, and the
glibc allocator settings every tool applies at start."""
