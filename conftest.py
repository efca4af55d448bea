"""Collection settings for the whole repository (the test fixtures are in tests/conftest.py).

``--doctest-modules`` imports every module of lsr_sim to find its examples. The dashboard's
page imports Solara (seconds) and holds no examples (tests/test_imports.py checks that it
still holds none), so it is not imported for it; tests/test_dashboard.py tests it. The ABC
sampler imports pyabc (about 3 s) and keeps its examples in lsr_sim.inference.particles.
"""

NO_DOCTESTS = ["lsr_sim/dashboard/app.py", "lsr_sim/inference/smc.py"]
collect_ignore = list(NO_DOCTESTS)
