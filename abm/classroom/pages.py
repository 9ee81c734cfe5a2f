"""The class game's pages: the teacher's (``/class``) and a student's (``/join``).

All UI state is per browser session (``solara.use_reactive`` inside the components); the game
itself lives in :mod:`abm.classroom.game`'s registry, reached only with its join code.
"""
from __future__ import annotations

import os

import solara

from mechanisms.errors import ConfigError

from .game import CUSTOM, TRUTH, ClassGame, find_game, open_game


def _scenario() -> str:
    return os.environ.get("MECHBED_CLASS_SCENARIO") or os.environ.get("MECHBED_SCENARIO", "")


@solara.component
def TeacherPage():
    """Open a game, print the cards, follow submissions, run the market and reveal."""
    game = solara.use_reactive(None)
    students = solara.use_reactive("3")
    error = solara.use_reactive("")
    tick, set_tick = solara.use_state(0)

    def new_game():
        try:
            n = int(students.value)
        except ValueError:
            error.set(f"error: students = {students.value!r}: expected a positive integer")
            return
        try:
            game.set(open_game(_scenario(), n))
            error.set("")
        except ConfigError as e:
            error.set(f"error: {e}")

    def run():
        try:
            game.value.run()
            error.set("")
        except ConfigError as e:
            error.set(f"error: {e}")
        set_tick(tick + 1)

    with solara.Column(style={"max-width": "1100px", "padding": "12px"}):
        solara.Markdown("# Beat the mechanism: class game (teacher)")
        solara.Markdown(f"Scenario: `{_scenario() or '(none)'}`. Each student gets a card with a private "
                        "true type; they report from their own tab at **/join**; the other agents are simulated.")
        with solara.Row():
            solara.InputText("Number of students", value=students)
            solara.Button("Open a new game", on_click=new_game, color="primary")
        if error.value:
            solara.Error(error.value)
        g: ClassGame | None = game.value
        if g is None:
            return
        solara.Markdown(f"## Join code: `{g.code}`\nStudents open `/join` on this server, type the code and "
                        f"their seat number. Print this page (Ctrl+P) and cut out the cards.")
        with solara.Row(style={"flex-wrap": "wrap"}):
            for s in g.seats:
                with solara.Card(style={"width": "340px", "margin": "6px", "break-inside": "avoid"}):
                    solara.Markdown(g.card(s))
        solara.Markdown(f"## Reports in: {g.submitted()} of {len(g.seats)}")
        solara.Markdown("\n".join(f"- seat {s.number}: {'report in' if s.choice else 'waiting'}" for s in g.seats))
        with solara.Row():
            solara.Button("Refresh", on_click=lambda: set_tick(tick + 1))
            solara.Button("Run the market and reveal", on_click=run, color="primary", disabled=g.reveal is not None)
        if g.reveal is not None:
            Reveal(g)


@solara.component
def Reveal(g: ClassGame):
    """The reveal: one sentence and one table row per student, then the auditor's verdicts."""
    r = g.reveal
    with solara.Column(classes=["reveal"]):
        _reveal_body(r)


def _reveal_body(r):
    solara.Markdown("## The reveal")
    for note in r.notes:
        solara.Warning(note)
    solara.Markdown("\n".join(f"- {x.sentence()}" for x in r.results))
    head = ("| seat | report | got (rank) | truth would give (rank) | gain | phase |\n"
            "|---|---|---|---|---|---|\n")
    body = "\n".join(f"| {x.seat} | {x.choice} | {x.got} ({x.got_rank}) | {x.truth} ({x.truth_rank}) | "
                     f"{x.gain:g} | {x.phase or '-'} |" for x in r.results)
    solara.Markdown(head + body + "\n\nRanks count in each student's TRUE ranking, 1 = best; "
                    "\"truth would give\" keeps every other report and every random draw as they were.")
    solara.Markdown(f"**Auditor's verdict** on the class's {r.lies} lie(s), each replayed against the truth "
                    "with everyone else truthful:")
    solara.Markdown("\n".join(f"- {v}" for v in r.verdicts) or "- nobody lied: nothing to audit")
    if r.plain:
        solara.Markdown("In plain words:\n\n" + "\n".join(f"- {p}" for p in r.plain))


@solara.component
def StudentPage():
    """A student's tab: join with the code and seat, submit a report, see the result."""
    code = solara.use_reactive("")
    seat = solara.use_reactive("")
    choice = solara.use_reactive(TRUTH)
    text = solara.use_reactive("")
    joined = solara.use_reactive(False)
    message = solara.use_reactive("")
    error = solara.use_reactive("")
    result = solara.use_reactive("")

    def game() -> ClassGame:
        g = find_game(code.value)
        g.seat(seat.value)
        return g

    def join():
        try:
            game()
            joined.set(True)
            error.set("")
        except ConfigError as e:
            error.set(f"error: {e}")

    def submit():
        try:
            message.set(game().submit(code.value, seat.value, choice.value, text.value))
            error.set("")
        except ConfigError as e:
            error.set(f"error: {e}")

    def check():
        try:
            r = game().result_for(code.value, seat.value)
            result.set(r.sentence() if r is not None else "Not revealed yet: wait for the teacher, then press again.")
            error.set("")
        except ConfigError as e:
            error.set(f"error: {e}")

    with solara.Column(style={"max-width": "900px", "padding": "12px"}):
        solara.Markdown("# Beat the mechanism: your report")
        with solara.Row():
            solara.InputText("Join code", value=code)
            solara.InputText("Seat number", value=seat)
            solara.Button("Join", on_click=join, color="primary")
        if error.value:
            solara.Error(error.value)
        if not joined.value:
            return
        g = None
        try:
            g = game()
        except ConfigError as e:
            solara.Error(f"error: {e}")
            return
        solara.Markdown(f"Seat {seat.value}: your card lists your true preferences. Choose what to report:")
        solara.ToggleButtonsSingle(value=choice, values=g.choices(), style={"flex-wrap": "wrap"})
        if choice.value == CUSTOM:
            solara.InputText("Your report", value=text)
            solara.Markdown(f"*How to type it:* {g.custom_help()}")
        solara.Button("Submit my report", on_click=submit, color="primary")
        if message.value:
            solara.Success(message.value)
        solara.Button("Show my result", on_click=check)
        if result.value:
            solara.Info(result.value)
