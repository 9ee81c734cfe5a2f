"""Class mode: "beat the mechanism" with real students in their own browser tabs.

The teacher opens a game on a scenario (:class:`ClassGame`): some of the scenario's agents
become *seats*, one per student, each with the agent's true private type printed on a card
(:meth:`ClassGame.card`) with the game's join code. A student submits a report from their own
tab with the join code and seat number (:meth:`ClassGame.submit`): the truth, one of the
registered strategies applicable to the market, or a report typed by hand. Every other agent
is simulated as the scenario says (it fills the market). :meth:`ClassGame.run` runs the
mechanism once on the class's reports and returns the :class:`Reveal`: per student, the
outcome the report got, what telling the truth would have given under the same random draws
(everyone else reporting exactly as they did), judged under the student's TRUE type, and the
auditor's verdicts on the students' lies (each lie replayed against the truth with every other
agent truthful, :func:`abm.audit.audit`).

Games live in a process-wide registry (:func:`open_game`, :func:`find_game`) because the
teacher's and the students' browser sessions are different sessions of one server; each page
keeps its own UI state per session. A submission without the game's code is refused. The join
code is drawn with :mod:`secrets` (it is an access token, not part of the economics: the run
itself draws nothing outside its seed's streams).
"""
from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import BundleOutcome, Report
from mechanisms.rng import Streams
from strategies.base import STRATEGIES, PublicInfo, Strategy, parse_strategy

from ..model import AllocationModel, describe_type, outcome_text, scenario_with_overrides, true_rank

#: The report choices every market offers besides the registered strategies.
TRUTH = "tell the truth"
CUSTOM = "my own report (typed below)"
#: Letters of join codes: no 0/O, 1/I/L, so a code read aloud or printed is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Most bundles a card lists (the rest follow the same order rule).
CARD_BUNDLES = 8


class StudentReport(Strategy):
    """A report fixed in advance by a student (not registered: it exists only in class games)."""

    name = "student"

    def __init__(self, declared: AgentType, label: str = "student"):
        super().__init__()
        self.declared = declared
        self.label = label

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        return self.declared

    def spec(self) -> str:
        return self.label


@dataclass
class Seat:
    """One student's place in the game: the agent they play, and what they submitted."""

    number: int
    agent: int
    true_type: AgentType
    choice: str | None = None
    text: str = ""
    strategy: Strategy | None = None


@dataclass
class StudentResult:
    """One row of the reveal (ranks 1 = best under the student's TRUE type)."""

    seat: int
    agent: int
    choice: str
    report: str
    got: str
    got_rank: int | None
    truth: str
    truth_rank: int | None
    gain: float
    profitable: bool
    phase: str = ""

    def sentence(self) -> str:
        """Return the result in one plain sentence."""
        if self.choice == TRUTH or self.report == "(the truth)":
            return f"Seat {self.seat}: you told the truth and got {self._rank(self.got, self.got_rank)}."
        base = (f"Seat {self.seat}: your report got {self._rank(self.got, self.got_rank)}; the truth would have got "
                f"{self._rank(self.truth, self.truth_rank)}")
        if self.profitable:
            return base + f" -- lying paid off (better by {self.gain:g} in your true ranking)."
        if self.gain < 0 or (self.got_rank is not None and self.truth_rank is not None and self.got_rank > self.truth_rank):
            return base + " -- lying cost you."
        return base + " -- lying changed nothing for you."

    @staticmethod
    def _rank(what: str, rank: int | None) -> str:
        return what if rank is None else f"{what} (your choice number {rank})"


@dataclass
class Reveal:
    """The class game's result: each student's row and the auditor's verdicts on the lies."""

    results: list[StudentResult]
    verdicts: list[str]
    lies: int
    notes: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)


class ClassGame:
    """A class game on a scenario (see the module docstring).

    Parameters
    ----------
    scenario : str, dict or Scenario
        The market the class plays in (its agents not given to students are simulated).
    students : int
        Number of seats (students), at least 1 and at most the number of agents.
    seed : int, optional
        The run's seed (default: the scenario's); also picks which agents become seats
        (stream ``("classroom",)``).
    code : str, optional
        The join code (default: 6 random letters from :data:`CODE_ALPHABET`).
    """

    def __init__(self, scenario: Any, students: int = 3, seed: int | None = None, code: str | None = None):
        self.scenario = scenario_with_overrides(scenario)
        self.seed = self.scenario.seed if seed is None else int(seed)
        require(isinstance(students, int) and students >= 1, "students", students, "a positive integer")
        probe = AllocationModel(scenario=self.scenario, seed=self.seed)  # built, not run: the seats' types
        n = len(probe.participants)
        require(students <= n, "students", students, f"at most the number of agents in the scenario ({n})")
        self.market = probe.market
        self.notes = list(probe.population_notes)
        order = [i for t in probe.schedule for i in t]
        picked = Streams(self.seed).get("classroom").choice(n, size=students, replace=False)
        chosen = sorted((int(a) for a in picked), key=order.index)  # seat 1 arrives first
        self.seats = [Seat(k + 1, a, probe.participants[a].true_type) for k, a in enumerate(chosen)]
        self.code = code or "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        self.reveal: Reveal | None = None
        self._lock = threading.Lock()

    # ---- what students may submit ------------------------------------------------------------
    def choices(self) -> list[str]:
        """Return the report menu: the truth, the registered strategies for this market, a typed report."""
        kind = self.market.kind
        names = [n for n, cls in STRATEGIES.items() if kind in cls.kinds and n != "truthful"]
        return [TRUTH] + names + [CUSTOM]

    def custom_help(self) -> str:
        """Return how to type one's own report in this market."""
        if self.market.kind == "bundles":
            return ("rank the goods, best first, e.g. " + " > ".join(self.market.goods.names[:3]) +
                    " (goods you leave out follow in the order of your card); or list bundles: {a,b} > {a} > {b}")
        if self.market.kind == "objects":
            return "a weak order over the objects, e.g. {a,b} > c > o (o: nothing)"
        return "your bid: a number"

    def parse_report(self, seat: Seat, text: str) -> AgentType:
        """Return the type a typed report declares, of the seat's kind.

        Raises :class:`ConfigError` naming ``report`` for text that is not a report.
        """
        text = (text or "").strip()
        require(text != "", "report", text, self.custom_help())
        true = seat.true_type
        if isinstance(true, BundleRanking):
            goods = self.market.goods
            if "{" in text:
                ranked = [[x.strip() for x in part.strip().strip("{}").split(",") if x.strip()]
                          for part in text.split(">")]
                return BundleRanking.from_ranked_list(goods, ranked, field="report")
            names = [x.strip() for x in re.split(r">|,", text) if x.strip()]
            order: list[int] = []
            for nm in names:
                j = _good_index(goods.names, nm)
                require(j is not None, "report", nm, f"one of the goods {list(goods.names)}")
                require(j not in order, "report", nm, "each good named once")
                order.append(j)
            order += [j for j in _item_order(true) if j not in order]
            sizes = [bin(b).count("1") for b in true.bundles] or [1]
            return BundleRanking.from_item_order(order, goods.m, max(sizes), min(sizes))
        if isinstance(true, WeakOrder):
            return WeakOrder.parse(text, self.market.goods.names, field="report")
        if isinstance(true, Cost):
            try:
                return Cost(float(text))
            except ValueError:
                raise ConfigError("report", text, "a number (your bid)") from None
        raise ConfigError("report", text, f"a report for a {type(true).__name__}")

    def submit(self, code: str, seat: int, choice: str, text: str = "") -> str:
        """Record a student's report; return a confirmation sentence.

        Raises :class:`ConfigError` for a wrong join code, an unknown seat, a choice not on the
        menu, a typed report that does not parse, or a game already revealed.
        """
        if not secrets.compare_digest(str(code).strip().upper(), self.code):
            raise ConfigError("join code", code, "the code on your card")
        s = self.seat(seat)
        require(choice in self.choices(), "report choice", choice, f"one of {self.choices()}")
        if choice == TRUTH:
            strategy = None
        elif choice == CUSTOM:
            strategy = StudentReport(self.parse_report(s, text), label=f"seat {s.number}: own report")
        else:
            strategy = parse_strategy(choice, "report choice")
        with self._lock:
            require(self.reveal is None, "game", self.code, "a game not yet revealed (ask for a new game)")
            s.choice, s.text, s.strategy = choice, text, strategy
        return f"Seat {s.number}: your report is in ({choice}). You may change it until the teacher runs the market."

    def seat(self, number: int) -> Seat:
        """Return seat ``number`` (1-based); ConfigError if there is none."""
        try:
            k = int(number)
        except (TypeError, ValueError):
            raise ConfigError("seat", number, f"a seat number 1..{len(self.seats)}") from None
        require(1 <= k <= len(self.seats), "seat", number, f"a seat number 1..{len(self.seats)}")
        return self.seats[k - 1]

    def submitted(self) -> int:
        """Return how many seats have a report."""
        return sum(s.choice is not None for s in self.seats)

    # ---- cards -----------------------------------------------------------------------------------
    def card(self, seat: Seat) -> str:
        """Return the printable card (Markdown) of ``seat``: join code, seat number, private type."""
        t = seat.true_type
        lines = [f"### Seat {seat.number} -- join code `{self.code}`", "",
                 "Your private preferences (keep them to yourself):", ""]
        if isinstance(t, BundleRanking):
            goods = self.market.goods
            order = [goods.names[j] for j in _item_order(t)]
            lines.append("You like the goods in this order: **" + " > ".join(order) + "**.")
            lines.append("")
            lines.append("Your bundles, best first:")
            lines.append("")
            lines += [f"{r + 1}. {goods.format_bundle(b)}" for r, b in enumerate(t.bundles[:CARD_BUNDLES])]
            if len(t.bundles) > CARD_BUNDLES:
                lines += ["", f"... ({len(t.bundles)} bundles in all; getting nothing is worst)"]
        else:
            lines.append("**" + describe_type(t, self.market) + "**")
        lines += ["", "Open the class page, type the join code and your seat number, and report whatever "
                      "you think gets you the best outcome."]
        return "\n".join(lines)

    # ---- the run and the reveal ---------------------------------------------------------------------
    def run(self) -> Reveal:
        """Run the mechanism on the class's reports (unsubmitted seats tell the truth); return the reveal."""
        from mechanisms.mechanism_registry import make_mechanism as build_mechanism

        from ..audit import CLAIM_CHECKERS, AuditOptions, Deviation, Replayer, audit, check_deviation

        with self._lock:
            overrides = {s.agent: s.strategy for s in self.seats if s.strategy is not None}
            model = AllocationModel(scenario=self.scenario, seed=self.seed, strategy_overrides=overrides).run()
            market, name, params = model.market, self.scenario.mechanism, dict(self.scenario.mechanism_params)

            def factory():
                return build_mechanism(name, market, params)

            true_types = {p.agent_id: p.true_type for p in model.participants}
            actual = [[p.report for p in (model.participants[i] for i in tick)] for tick in model.schedule]
            as_played = Replayer(factory, actual, model.streams.seed, true_types)
            claims = list(as_played.spec.claims)
            results, lies = [], []
            for s in self.seats:
                p = model.participants[s.agent]
                got = p.outcome
                lied = not p.truthful
                if lied:
                    dev = Deviation({s.agent: p.report.declared}, f"seat {s.number}")
                    chk = check_deviation(as_played, dev, true_types, [c for c in claims if c.key == "gsp1"] or claims[:0],
                                          AuditOptions())
                    truth_o, comp = chk.truth[s.agent], chk.comparisons[s.agent]
                    gain, profitable = float(comp.gain), bool(comp.profitable)
                    lies.append(Deviation({s.agent: p.report.declared}, s.choice or "lie"))
                else:
                    truth_o, gain, profitable = got, 0.0, False
                results.append(StudentResult(
                    s.number, s.agent, s.choice or f"{TRUTH} (no report submitted)",
                    "(the truth)" if not lied else describe_type(p.report.declared, market),
                    outcome_text(got, market), true_rank(got, s.true_type), outcome_text(truth_o, market),
                    true_rank(truth_o, s.true_type), gain, profitable,
                    got.phase if isinstance(got, BundleOutcome) else ""))
            truthful = [[Report(i, true_types[i]) for i in tick] for tick in model.schedule]
            per_lie = [c.key for c in claims if c.key in CLAIM_CHECKERS and CLAIM_CHECKERS[c.key].level == "deviation"]
            rep = audit(factory, truthful, true_types, model.streams.seed, lies, per_lie)
            notes = list(self.notes)
            note = model.scarcity_note()
            if note:
                notes.append(note)
            from .words import plain_verdicts

            self.reveal = Reveal(results, rep.verdicts(), len(lies), notes, plain_verdicts(rep) if lies else [])
            self.model = model
            return self.reveal

    def result_for(self, code: str, seat: int) -> StudentResult | None:
        """Return the reveal row of ``seat`` once revealed (None before); ConfigError for a wrong code."""
        if not secrets.compare_digest(str(code).strip().upper(), self.code):
            raise ConfigError("join code", code, "the code on your card")
        s = self.seat(seat)
        if self.reveal is None:
            return None
        return self.reveal.results[s.number - 1]


def _good_index(names: tuple[str, ...], text: str) -> int | None:
    t = text.strip().lower()
    for j, nm in enumerate(names):
        if nm.lower() == t or nm.lower().split("_")[-1] == t:
            return j
    if t.isdigit() and 1 <= int(t) <= len(names):
        return int(t) - 1
    return None


def _item_order(t: BundleRanking) -> list[int]:
    """Return the goods best first as a ranking implies (the card's good order).

    Good a comes before good b when the best bundle with a but without b ranks above the best
    bundle with b but without a: for the lexicographic rankings of course data this recovers
    the student's course order exactly.
    """
    import functools

    def first(with_: int, without: int) -> int:
        for r, b in enumerate(t.bundles):
            if b >> with_ & 1 and not b >> without & 1:
                return r
        return len(t.bundles)

    def cmp(a: int, b: int) -> int:
        return first(a, b) - first(b, a) or a - b

    return sorted(range(t.m), key=functools.cmp_to_key(cmp))


# ---- the registry of open games (shared by the teacher's and the students' sessions) --------------
_GAMES: dict[str, ClassGame] = {}
_GAMES_LOCK = threading.Lock()


def open_game(scenario: Any, students: int = 3, seed: int | None = None) -> ClassGame:
    """Open a new game and register it under its join code; return it."""
    g = ClassGame(scenario, students, seed)
    with _GAMES_LOCK:
        while g.code in _GAMES:  # a fresh code if it collides
            g.code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        _GAMES[g.code] = g
    return g


def find_game(code: str) -> ClassGame:
    """Return the open game with join code ``code``; ConfigError naming ``join code`` otherwise."""
    with _GAMES_LOCK:
        g = _GAMES.get(str(code).strip().upper())
    if g is None:
        raise ConfigError("join code", code, "the code of an open game (on your card)")
    return g
