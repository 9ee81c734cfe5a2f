"""The Solara app behind ``python -m abm dashboard SCENARIO`` (Mesa's SolaraViz).

Three pages:

``/``        the live dashboard: Mesa's SolaraViz on :class:`~abm.dashboard.live.LiveModel`, with
             scenario, mechanism, strategy-mix, share and seed pickers (Reset applies them),
             Step and Play controls, and panels for arrivals, posted prices, remaining
             capacity, each deviator's gain against telling the truth, and the auditor's
             running verdict; a scenario that does not load shows the CLI's error line.
``/class``   the teacher's class game (:mod:`abm.classroom.pages`): open a game, print the
             cards, watch submissions arrive, run the market and reveal.
``/join``    a student's page: join code, seat number, report, result.

The scenario comes from the environment variable ``MECHBED_SCENARIO`` (the CLI sets it).
Every piece of UI state lives in a component (``solara.use_reactive``/``use_memo``), so each
browser session has its own model and its own inputs; the only state shared between sessions
is the registry of class games in :mod:`abm.classroom.game`, which needs the join code.
"""
from __future__ import annotations

import os

import matplotlib
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from ..classroom.pages import StudentPage, TeacherPage
from .live import NOBODY, LiveModel

matplotlib.use("Agg")

#: Environment variable holding the scenario path the CLI was given.
SCENARIO_ENV = "MECHBED_SCENARIO"


def scenario_path() -> str:
    """Return the scenario path the dashboard was started with (empty if none)."""
    return os.environ.get(SCENARIO_ENV, "")


def model_params(model: LiveModel) -> dict:
    """Return SolaraViz's parameter pickers for ``model``'s scenario (market kind decides the lists)."""
    from mechanisms import registered_mechanisms
    from strategies import STRATEGIES

    if model.error is not None:
        kind, own, seed = None, "", -1
    else:
        kind, own, seed = model.market.kind, model.scenario.mechanism, model.streams.seed
    mechs = [n for n, cls in registered_mechanisms() if kind is None or kind in cls.spec.market_kinds]
    if own and own not in mechs:
        mechs = [own] + mechs
    strategies = [NOBODY] + [n for n, cls in STRATEGIES.items() if (kind is None or kind in cls.kinds) and n != "truthful"]
    return {
        "scenario": {"type": "InputText", "value": model.scenario_path, "label": "Scenario file"},
        "mechanism": {"type": "Select", "value": own or (mechs[0] if mechs else ""), "values": mechs,
                      "label": "Mechanism"},
        "strategy": {"type": "Select", "value": NOBODY, "values": strategies, "label": "Misreport strategy"},
        "share": {"type": "SliderFloat", "value": 0.1, "min": 0.0, "max": 1.0, "step": 0.05,
                  "label": "Share of agents misreporting"},
        "seed": {"type": "InputText", "value": str(seed), "label": "Seed (-1: the scenario's)"},
    }


# ---- panels (functions of the model; SolaraViz re-renders them after every step) ------------------

def StatusPanel(model: LiveModel):
    """Scenario, tick, warnings and the auditor's running verdict."""
    with solara.Column() as col:
        if model.error is not None:
            solara.Error(model.error)
            solara.Markdown("Fix the scenario file (or type another path in *Scenario file*) and press **Reset**.")
            return col
        total = len(model.schedule)
        solara.Markdown(f"**{model.title}** -- tick {model.tick} of {total}; {model.arrived} agents arrived, "
                        f"{model.misreports} misreported")
        for note in model.notes():
            solara.Warning(note)
        solara.Markdown("**Auditor's running verdict** (each deviator replayed against telling the truth, "
                        "every random draw fixed):")
        lines = model.verdicts()
        solara.Markdown("\n".join(f"- {v}" for v in lines) if lines else "- no deviator has arrived yet")
    return col


def _figure(title: str) -> tuple[Figure, object]:
    fig = Figure(figsize=(5, 3), dpi=80, layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, fontsize=10)
    return fig, ax


def ArrivalsPanel(model: LiveModel):
    """Arrivals per tick and in total."""
    df = model.tick_frame()
    fig, ax = _figure(f"arrivals: {model.arrived} so far")
    if len(df):
        ax.plot(df["tick"], df["arrivals"].cumsum(), color="tab:blue")
        ax.set_xlabel("tick")
        ax.set_ylabel("agents arrived")
    return solara.FigureMatplotlib(fig, format="png")


def PricesPanel(model: LiveModel):
    """Posted prices per good over the ticks."""
    df = model.tick_frame()
    fig, ax = _figure("posted prices")
    cols = [c for c in df.columns if c.startswith("price ")]
    if len(df) and cols and df[cols].notna().any().any():
        for c in cols:
            ax.plot(df["tick"], df[c], label=c[6:])
        ax.legend(fontsize=7, ncol=2)
        ax.set_xlabel("tick")
    else:
        ax.text(0.5, 0.5, "no prices posted yet", ha="center", va="center", transform=ax.transAxes)
    return solara.FigureMatplotlib(fig, format="png")


def CapacityPanel(model: LiveModel):
    """Remaining capacity per good now (negative: used beyond capacity)."""
    df = model.tick_frame()
    fig, ax = _figure("remaining capacity (below 0: over capacity)")
    cols = [c for c in df.columns if c.startswith("left ")]
    if len(df) and cols and df[cols].iloc[-1].notna().any():
        last = df[cols].iloc[-1]
        ax.bar([c[5:] for c in cols], last.values, color=["tab:red" if v < 0 else "tab:green" for v in last.values])
        ax.axhline(0, color="black", linewidth=0.8)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    else:
        ax.text(0.5, 0.5, "this mechanism reports no capacity", ha="center", va="center", transform=ax.transAxes)
    return solara.FigureMatplotlib(fig, format="png")


def GainsPanel(model: LiveModel):
    """Each deviator: what the truth would have got, what lying got, the gain (ranks 1 = best)."""
    df = model.deviator_frame()
    with solara.Column() as col:
        solara.Markdown(f"**Deviators audited: {len(df)}** (gain > 0: lying paid off, judged by the TRUE preferences)")
        if len(df):
            head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
            body = "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False))
            solara.Markdown(head + body)
    return col


PANELS = [StatusPanel, GainsPanel, ArrivalsPanel, PricesPanel, CapacityPanel]


@solara.component
def DashboardPage():
    """The live dashboard (one model per browser session)."""
    model = solara.use_memo(lambda: LiveModel(scenario_path()), [])
    params = solara.use_memo(lambda: model_params(model), [])
    with solara.Column():
        with solara.Row():
            solara.Button("Class game (teacher)", href="/class", outlined=True)
            solara.Button("Join a class game (student)", href="/join", outlined=True)
        SolaraViz(model, components=PANELS, model_params=params, name="mechbed dashboard", play_interval=150)


routes = [
    solara.Route(path="/", component=DashboardPage, label="Dashboard"),
    solara.Route(path="class", component=TeacherPage, label="Class game"),
    solara.Route(path="join", component=StudentPage, label="Join"),
]
