"""Feedback and complaint models (owned by the feedback work)."""
