"""A browser dashboard for students: Mesa's SolaraViz over the negotiation model.

``lsr-sim dashboard [SCENARIO] [--port N]`` serves it on http://127.0.0.1:8765
(:data:`DEFAULT_PORT`). The modules:

- :mod:`lsr_sim.dashboard.model`: :class:`~lsr_sim.dashboard.model.DashboardModel`, the
  model made from a scenario file and the sidebar's knobs (no Solara import);
- :mod:`lsr_sim.dashboard.components`: the panels of the main area;
- :mod:`lsr_sim.dashboard.app`: the SolaraViz page (``solara run lsr_sim.dashboard.app``);
- :mod:`lsr_sim.dashboard.server`: starts and stops the server (no Solara import).

It needs the ``dashboard`` extra (``pip install 'lsr_sim[dashboard]'``). Importing this
package imports none of its modules (and neither Mesa nor Solara).
"""

__all__ = ["DEFAULT_PORT", "SCENARIO_ENV"]

#: The port ``lsr-sim dashboard`` serves on unless told ``--port``.
DEFAULT_PORT = 8765  # Solara's own default

#: Environment variable through which ``lsr-sim dashboard`` tells the app its scenario file.
SCENARIO_ENV = "LSR_SIM_DASHBOARD_SCENARIO"
