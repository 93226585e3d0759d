"""Placeholder until the depther lands."""
