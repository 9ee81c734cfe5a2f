"""Population sources: what a scenario's ``[market]`` and ``[population]`` tables produce.

One registry, :data:`SOURCES`, keyed ``"<market kind>.<source name>"`` (``bundles.explicit``,
``objects.sem``, ``procurement.random``, ...); a scenario names the short source name
(``population.source``) and its market's kind. Each market family registers its sources with
``@SOURCES.register`` in its own module, imported here:

- :mod:`.bundles` (explicit, scores, synthetic), :mod:`.objects` (explicit, iid, sem),
  :mod:`.procurement` (explicit, random), :mod:`.real_data` (PrefLib and CSV files),
  :mod:`.fair_division` (random, explicit), :mod:`.sem_online` (the online SEM market);
- :mod:`.tables`: the readers of fields several sources share (goods, counts, weak orders,
  ``[market.extra]``); :mod:`.registry`: :class:`Population` and :data:`SOURCES`.
"""
from . import bundles, fair_division, objects, procurement, real_data, sem_online  # noqa: F401  (register)
from .registry import SHARED_DATA, SOURCES, Population, source_names

__all__ = ["SHARED_DATA", "SOURCES", "Population", "source_names"]
