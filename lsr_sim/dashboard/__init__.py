"""A browser dashboard for students: a Solara page of its own over the negotiation model.

``lsr-sim dashboard [SCENARIO] [--port N]`` serves it on http://127.0.0.1:8765
(:data:`DEFAULT_PORT`). The modules:

- :mod:`lsr_sim.dashboard.model`: the scenarios offered, the sidebar's knobs, uploads and the
  live run (no Solara import);
- :mod:`lsr_sim.dashboard.views`: what each chart shows, as ECharts options (no Solara);
- :mod:`lsr_sim.dashboard.ensemble`: the fan chart's ensemble, by
  :func:`lsr_sim.experiment.run_many`;
- :mod:`lsr_sim.dashboard.export`: the files the Export tab offers;
- :mod:`lsr_sim.dashboard.widgets`: the browser's frame clock (back-pressure for Play);
- :mod:`lsr_sim.dashboard.app`: the Solara page;
- :mod:`lsr_sim.dashboard.asgi`: the web server, behind a Host/Origin guard;
- :mod:`lsr_sim.dashboard.server`: starts and stops the server (no Solara import).

It needs the ``dashboard`` extra (``pip install 'lsr_sim[dashboard]'``). Importing this
package imports none of its modules (and neither Mesa nor Solara).
"""

__all__ = ["DEFAULT_PORT", "SCENARIO_ENV"]

#: The port ``lsr-sim dashboard`` serves on unless told ``--port``.
DEFAULT_PORT = 8765  # Solara's own default

#: Environment variable through which ``lsr-sim dashboard`` tells the app its scenario file.
SCENARIO_ENV = "LSR_SIM_DASHBOARD_SCENARIO"
