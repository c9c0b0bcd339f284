"""Authoring: what release needs to write student notebooks (answer stubs, kernel metadata)."""
