"""The online mechanism protocol: the base class every mechanism derives from.

A mechanism is configured with the public :class:`~mechanisms.market.Market` and its
parameters (validated once, by its :class:`~mechanisms.spec.MechanismSpec`), started with the
run's :class:`~mechanisms.rng.Streams`, then stepped once per tick with the arriving agents'
reports; each step returns their irrevocable outcomes (DESIGN.md, "One tick"). What it has made
public is read through :func:`published`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .errors import ConfigError, InvariantError, require
from .market import Market
from .public_state import PublicState
from .reports import Outcome, Report
from .rng import Streams
from .spec import MechanismSpec


class OnlineMechanism(ABC):
    """Base class of online mechanisms (the protocol of DESIGN.md, "One tick").

    Subclasses set ``spec`` and implement :meth:`step`; they read their validated parameters
    from ``self.params`` and their randomness only from ``self.streams`` (never a shared
    sequential generator), keyed by purpose and agent or period.

    Parameters
    ----------
    market : Market
        Public market description; its ``kind`` must be one of ``spec.market_kinds``.
    **params
        Mechanism parameters; unknown names and bad values raise :class:`ConfigError`.
    """

    spec: ClassVar[MechanismSpec]
    #: Posted prices (a float array) once the mechanism posts any; None otherwise.
    prices: np.ndarray | None = None

    def __init__(self, market: Market, **params: Any):
        require(market.kind in self.spec.market_kinds, "market.kind", market.kind,
                f"one of {list(self.spec.market_kinds)} for mechanism {self.spec.name!r}")
        self.market = market
        self.params = self.spec.resolve(params)
        self.streams: Streams | None = None
        self.validate()

    def validate(self) -> None:  # noqa: B027 (an optional hook: most mechanisms need no extra check)
        """Check market/parameter combinations; raise :class:`ConfigError` before any work."""

    def start(self, streams: Streams) -> None:
        """Reset the mechanism for a new run driven by ``streams``."""
        self.streams = streams

    @abstractmethod
    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        """Return the irrevocable outcomes of this tick's arrivals, one per report, same order."""

    def public(self) -> PublicState:
        """Return what the mechanism has made public so far, an instance of ``spec.public_state``.

        The default suits a mechanism whose ``spec.public_state`` has no field (the base
        :class:`PublicState`: nothing published); any other must override this method.
        Read it through :func:`published`, which checks the class.
        """
        return self.spec.public_state()

    def remaining(self) -> np.ndarray | None:
        """Return remaining capacity per good (None for markets without goods)."""
        return None

    @property
    def enforces_capacity(self) -> bool:
        """True when remaining capacity must never go negative (OCAM's ``paper`` policy may)."""
        return True

    def summary(self) -> dict[str, Any]:
        """Return run-level diagnostics (solver errors, excess demand, ...) after the last step."""
        return {}

    def unilateral_outcome(self, report: Report, tick: int) -> Outcome:
        """Return the outcome ``report.agent`` would get by declaring ``report`` at ``tick``.

        The incremental replay path (``spec.incremental``): called on the mechanism in its
        final state after the truthful run, it must equal what a full replay with only this
        agent's report changed gives this agent. Only mechanisms whose paper makes an agent's
        outcome independent of its own effect on others' (given the state at its arrival,
        which the mechanism records) implement it; the auditor tests it against full replays.
        """
        raise NotImplementedError(f"{self.spec.name} declares no incremental replay path")


def published(mech: OnlineMechanism) -> PublicState:
    """Return ``mech.public()``, checked to be an instance of the class its spec declares.

    Raises :class:`InvariantError` otherwise (a ``public()`` returning a plain dict, say) or when
    ``public()`` crashes; a public state built with a missing field raises its own
    :class:`ConfigError` naming the field. What strategies and checks read is always the
    declared, typed state.
    """
    try:
        pub = mech.public()
    except (InvariantError, ConfigError):  # ConfigError: a public state built with a missing field
        raise
    except Exception as e:  # any other crash: a protocol breach naming the mechanism, traceback kept
        raise InvariantError(f"{mech.spec.name}: public() raised {type(e).__name__}: {e}") from e
    cls = mech.spec.public_state
    if not isinstance(pub, cls):
        raise InvariantError(f"{mech.spec.name}: public() returned {type(pub).__name__}, not its spec's "
                             f"public_state {cls.__name__} (build one: {cls.__name__}(field=..., ...))")
    return pub


def summary_of(mech: OnlineMechanism) -> dict[str, Any]:
    """Return ``mech.summary()``, or ``{"summary_error": ...}`` when it crashes.

    A summary is diagnostics only (no verdict reads it), so a broken one must not stop a run
    or an audit: the error is kept in the record for the reader.
    """
    try:
        out = mech.summary()
    except Exception as e:  # noqa: BLE001  (diagnostics: any failure is recorded, not raised)
        return {"summary_error": f"{mech.spec.name}: summary() raised {type(e).__name__}: {e}"}
    return out if isinstance(out, dict) else {"summary_error": f"{mech.spec.name}: summary() returned "
                                                               f"{type(out).__name__}, not a dict"}
