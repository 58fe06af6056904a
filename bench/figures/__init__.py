"""The benchmark's figures, one module per kind of work."""
