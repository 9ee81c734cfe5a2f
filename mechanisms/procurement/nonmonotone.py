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

from ..mechanism_registry import register_mechanism
from ..params import ParamSpec
from ..spec import Claim, MechanismSpec
from .base import PAPER, ProcurementMechanism
from .monotone import Mechanism1, Mechanism2, Mechanism3, Mechanism4

P_ROUTE = ParamSpec("route", "max_marginal",
                    "which of the two disjoint solutions a seller is offered to: larger marginal value, or a fair coin",
                    source="Section 5 (our reading; details in the full version)", choices=("max_marginal", "random"))
NM_CLAIMS = tuple(Claim(c.key, "Section 5 with Lemma 1's argument (our reading)", c.assumptions)
                  for c in Mechanism1.spec.claims)


def _nm_spec(base: MechanismSpec, name: str) -> MechanismSpec:
    return MechanismSpec(name=name, title=base.title + ", non-monotone (two disjoint solutions)",
                         market_kinds=base.market_kinds, paper=PAPER + ", Section 5 (variant of " + base.name + ")",
                         params=base.params + (P_ROUTE,), claims=NM_CLAIMS, incremental=True,
                         public_state=base.public_state)


def non_monotone(base: type[ProcurementMechanism], name: str) -> type[ProcurementMechanism]:
    """Return and register ``base``'s Section 5 variant as ``name``: the same mechanism building two
    disjoint solutions (``n_solutions = 2``, routed by ``route``), claims as :data:`NM_CLAIMS`.

    The four variants differ only in their base, so one constructor makes them all (a class per
    variant, named ``<base>NM`` in this module, so it pickles like any other).
    """
    cls = type(f"{base.__name__}NM", (base,), {
        "__doc__": f"{base.__name__} for non-monotone submodular v (Section 5).",
        "__module__": __name__, "spec": _nm_spec(base.spec, name), "n_solutions": 2})
    return register_mechanism(cls)


Mechanism1NM = non_monotone(Mechanism1, "bf_mech1_nm")
Mechanism2NM = non_monotone(Mechanism2, "bf_mech2_nm")
Mechanism3NM = non_monotone(Mechanism3, "bf_mech3_nm")
Mechanism4NM = non_monotone(Mechanism4, "bf_mech4_nm")
