"""Rankings from a CSV file with names: the classroom's input (issue 14, item 4).

One row per participant, a header row first::

    name,first,second,third
    Alice,Math,Physics,Art
    Bob,Art,Math
    Chloe,Physics=Math,Art

The first column holds the participant's name (unique, non-empty); the following columns are
her choices, best first, by the goods' names. Cells may be left empty at the end of a row (she
ranked fewer goods: the rest are unranked, i.e. unacceptable); ``a=b`` in one cell is a tie
(object markets keep it as an indifference class; bundle markets need a tie-breaking rule).
Goods are those of the scenario's ``market.goods`` when given (any other name is an error),
else every name the file uses, in order of first appearance.

:func:`read_csv_rankings` returns a :class:`~mechanisms.datasets.ordinal.RankingData` with the
participants' names in ``voters``; every error is a :class:`~mechanisms.errors.ConfigError`
naming the file, the line and the column. The file is read with the standard ``csv`` module:
cells are names, never evaluated.
"""
from __future__ import annotations

import csv
import io
import pathlib
from collections.abc import Sequence

from ..errors import ConfigError, require
from .ordinal import RankingData

#: Separator of tied goods inside one cell.
TIE = "="


def read_csv_rankings(path: str | pathlib.Path, goods: Sequence[str] | None = None) -> RankingData:
    """Return the rankings in the CSV file ``path`` (see the module docstring for the format).

    ``goods`` fixes the good names (and their order); None infers them from the file. The
    data type is ``soc``/``soi``/``toc``/``toi`` by whether every row ranks every good and
    whether any cell holds a tie. Raises :class:`ConfigError` naming ``FILE:LINE column C`` for
    an unknown or repeated good, a gap between choices, an empty or repeated name, a file
    without a header or without rows.
    """
    p = pathlib.Path(path)
    require(p.is_file(), "population.file", str(p), "an existing CSV file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError("population.file", str(p), f"a UTF-8 text file ({e})") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise ConfigError(p.name, str(p), f"a valid CSV file ({e})") from None
    numbered = [(i, r) for i, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    require(len(numbered) >= 1, p.name, "empty file", "a header row (name, first choice, ...) and one row per person")
    hline, header = numbered[0]
    header = [h.strip() for h in header]
    require(len(header) >= 2, f"{p.name}:{hline}", ",".join(header),
            "a header with a name column and at least one choice column")
    body = numbered[1:]
    require(len(body) >= 1, p.name, "no rows", "one row per person after the header")
    fixed = list(goods) if goods is not None else None
    index: dict[str, int] = {g: j for j, g in enumerate(fixed)} if fixed is not None else {}
    names: list[str] = list(fixed) if fixed is not None else []
    voters: list[str] = []
    parsed: list[list[list[str]]] = []
    seen_voters: dict[str, int] = {}
    for lineno, row in body:
        cells = [c.strip() for c in row]
        where = f"{p.name}:{lineno}"
        require(len(cells) <= len(header) or not any(cells[len(header):]), where, ",".join(row),
                f"at most {len(header)} cells (the header's columns)")
        who = cells[0] if cells else ""
        require(who != "", f"{where} column {header[0]!r}", who, "a non-empty name")
        require(who not in seen_voters, f"{where} column {header[0]!r}", who,
                f"a name not used before (line {seen_voters.get(who)})")
        seen_voters[who] = lineno
        choices: list[list[str]] = []
        ended = False
        for col, cell in zip(header[1:], cells[1:]):
            if cell == "":
                ended = True
                continue
            require(not ended, f"{where} column {col!r}", cell, "no choice after an empty cell (leave only trailing cells empty)")
            group = [g.strip() for g in cell.split(TIE)]
            require(all(group), f"{where} column {col!r}", cell, f"good names, ties written a{TIE}b")
            choices.append(group)
        flat = [g for grp in choices for g in grp]
        for col, grp in zip(header[1:], choices):
            for g in grp:
                if g not in index:
                    require(fixed is None, f"{where} column {col!r}", g, f"one of the goods {fixed}")
                    index[g] = len(names)
                    names.append(g)
        dup = next((g for g in flat if flat.count(g) > 1), None)
        require(dup is None, where, dup, "each good at most once per row")
        voters.append(who)
        parsed.append(choices)
    m = len(names)
    orders = []
    for choices in parsed:
        orders.append((1, tuple(tuple(sorted(index[g] for g in grp)) for grp in choices)))
    ties = any(len(c) > 1 for _, o in orders for c in o)
    complete = all(sum(len(c) for c in o) == m for _, o in orders)
    dtype = ("t" if ties else "s") + ("oc" if complete else "oi")
    return RankingData(tuple(names), tuple(orders), dtype, str(p), tuple(voters))
