"""The non-monotone variants of Mechanisms 1-4 (Section 5), in our faithful reading.

Section 5 says only: the mechanisms follow Mechanisms 1 and 4, but build two disjoint
solutions simultaneously (the idea of [2]) and, since decisions are irrevocable, select
equiprobably *beforehand* which of the two is returned; details are in the full version.
Our reading (docs/procurement.md):

- the returned solution's index is a fair coin ``("mechanism", "nm_choice")`` drawn at the
  start of the run;
- in every posted-price loop, each arriving seller is routed, before her bid is read, to the
  solution where her marginal value v(i|S_j) is larger (ties to S_1; ``route="random"``: a fair
  coin ``("mechanism", "route", agent)``), and offered p_i = (B/t) v(i|S_j) subject to that
  solution's own remaining budget B'_j (each starts at B: only one solution is paid);
- a seller routed to the returned solution is hired iff she accepts; one routed to the other
  solution is never hired (threshold None), but her acceptance is recorded in that solution
  so the two evolve as in the algorithm of [2];
- single-hire branches (Mechanism 2 line 2, Dynkin) and the sample are as in the monotone case.

Routing by marginal value (not by acceptance) keeps each seller's offer independent of her
bid, so every realisation is a truthful posted-price mechanism. The parameter defaults are the
monotone Corollaries' (the paper gives the non-monotone values only in its full version).
"""
from __future__ import annotations

from ..protocol import Claim, MechanismSpec, ParamSpec, register_mechanism
from .base import PAPER
from .monotone import Mechanism1, Mechanism2, Mechanism3, Mechanism4

P_ROUTE = ParamSpec("route", "max_marginal",
                    "which of the two disjoint solutions a seller is offered to: larger marginal value, or a fair coin",
                    source="Section 5 (our reading; details in the full version)", choices=("max_marginal", "random"))
NM_CLAIMS = tuple(Claim(c.key, "Section 5 with Lemma 1's argument (our reading)", c.assumptions)
                  for c in Mechanism1.spec.claims)


def _nm_spec(base: MechanismSpec, name: str) -> MechanismSpec:
    return MechanismSpec(name=name, title=base.title + ", non-monotone (two disjoint solutions)",
                         market_kinds=base.market_kinds, paper=PAPER + ", Section 5 (variant of " + base.name + ")",
                         params=base.params + (P_ROUTE,), claims=NM_CLAIMS, incremental=True)


@register_mechanism
class Mechanism1NM(Mechanism1):
    """Mechanism 1 for non-monotone submodular v (Section 5)."""

    spec = _nm_spec(Mechanism1.spec, "bf_mech1_nm")
    n_solutions = 2


@register_mechanism
class Mechanism2NM(Mechanism2):
    """Mechanism 2 for non-monotone submodular v (Section 5)."""

    spec = _nm_spec(Mechanism2.spec, "bf_mech2_nm")
    n_solutions = 2


@register_mechanism
class Mechanism3NM(Mechanism3):
    """Mechanism 3 for non-monotone submodular v (Section 5)."""

    spec = _nm_spec(Mechanism3.spec, "bf_mech3_nm")
    n_solutions = 2


@register_mechanism
class Mechanism4NM(Mechanism4):
    """Mechanism 4 for non-monotone submodular v (Section 5)."""

    spec = _nm_spec(Mechanism4.spec, "bf_mech4_nm")
    n_solutions = 2
