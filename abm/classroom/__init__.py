"""Class mode: "beat the mechanism" with students in their own browser tabs (issue 15).

:mod:`abm.classroom.game` holds the game (seats with private true types, cards, join code,
submissions, the run and the reveal; no Solara import), :mod:`abm.classroom.pages` the teacher's
and the students' pages, :mod:`abm.classroom.words` plain-language restatements of audit
verdicts and the glossary of the papers' symbols.
"""
