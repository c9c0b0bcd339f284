"""Execution: where learner code runs (the bubblewrap sandbox) and the processes that drive it."""
