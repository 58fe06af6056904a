"""Benchmarks and the city-scale simulation (issue 13): honest figures beside their floors.

The top layer: it may import every app. Nothing here runs in production; the package is
installed so that ``manage.py bench`` and ``manage.py bench_city`` exist.
"""
