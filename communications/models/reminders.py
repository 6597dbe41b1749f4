"""Placeholder; models follow."""
