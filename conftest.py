"""Collection settings for the whole repository (the test fixtures are in tests/conftest.py).

``--doctest-modules`` imports every module of lsr_sim to find its examples. The dashboard's
page and panels import Solara and Mesa's visualization (seconds) and hold no examples
(tests/test_imports.py checks that they still hold none), so they are not imported for it;
tests/test_dashboard.py tests them.
"""

NO_DOCTESTS = ["lsr_sim/dashboard/app.py", "lsr_sim/dashboard/components.py"]
collect_ignore = list(NO_DOCTESTS)
