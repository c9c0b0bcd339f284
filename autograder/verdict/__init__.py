"""Verdict: each test cell's points, decided from the trusted source notebook, never by learner code."""
