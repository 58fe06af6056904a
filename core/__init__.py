"""Plumbing shared by every app: domain errors, the API's error format, personal-data helpers."""
