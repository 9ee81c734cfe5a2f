"""The browser dashboard (``python -m abm dashboard SCENARIO``), built on Mesa's SolaraViz.

:mod:`abm.dashboard.live` holds its model (:class:`~abm.dashboard.live.LiveModel`, no Solara
import), :mod:`abm.dashboard.app` the Solara pages, :mod:`abm.dashboard.cli` the command. The
class game's pages live in :mod:`abm.classroom`. Needs the ``classroom`` extra.
"""
