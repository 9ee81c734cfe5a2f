"""Price-aware misreports: the manipulations the mechanisms' published prices invite.

- ``budget_shopping`` (OCAM, Mechanism 1): after the sample, a post-sample agent declaring
  type theta draws its budget from f(theta) and gets max_{succ_theta}{x in Psi_theta :
  p.x <= b}. Knowing p and f (published), it can declare the sample type with the largest
  random budget among those whose demand still gives it a good bundle under its true type.
- ``cheaper_object`` (SEM, Section 3: demand is the set of cheapest most preferred objects):
  with the period prices published, declare a strict preference for the cheapest object(s)
  of an indifference class.

Both read the typed public state (:mod:`mechanisms.public_state`) and fall back to the
truthful report when the information they need is not published (the sample phase, a
mechanism that posts no prices, or no candidate type qualifies).
"""
from __future__ import annotations

import numpy as np

from mechanisms.preferences import AgentType, BundleRanking
from mechanisms.public_state import BundlesPublic, GoodsPublic

from .base import PublicInfo, Strategy, register_strategy
from .misreport import OrdinalMisreport, check_kind
from .validation import choice_param, int_param


def outcome_ranks(true_type: BundleRanking, declared: BundleRanking, p: np.ndarray,
                  budgets: np.ndarray) -> np.ndarray:
    """Return the true rank of the bundle declaring ``declared`` yields at each budget.

    The bundle is OCAM's post-sample demand max_{succ_declared}{x : p.x <= b} (Mechanism 1,
    last loop); its rank is under ``true_type`` (``len(bundles)`` for the empty bundle and for
    bundles outside the true Psi_i, which are no better than nothing).
    """
    return np.array([true_type.rank(declared.best_affordable(p, float(b))) for b in budgets], dtype=np.int64)


@register_strategy
class BudgetShopping(Strategy):
    """OCAM post-sample "budget shopping": declare the good type with the largest random budget.

    Candidates are the sample types of the published budget function f (OCAM Mechanism 1).
    A candidate is good when every bundle it can yield (one per budget in the support of
    f(theta)) is, under the true type,

    - ``good="truthful"``: weakly better than the worst bundle the truthful report yields
      (at the budgets f(true type) when the true type is a sample type, else at the smallest
      published budget: an absent type's budget is "arbitrary" in [1 - eps_b, 1], so the
      agent assumes the worst it can see);
    - ``good="top"``: among the true top ``top`` bundles.

    Among good candidates it declares the one with the largest mean budget (ties: better
    mean true rank, then the first published). Falls back to truthful outside the online
    phase, without published prices/budgets, or when no candidate is good.
    """

    name = "budget_shopping"
    kinds = ("bundles",)
    probes = "OCAM GSP1 / EF1 for post-sample agents (Theorem 2(a),(b), Lemma 3)"
    params = (choice_param("good", "truthful", "which candidate types are good", ("truthful", "top")),
              int_param("top", 1, "good = top: the candidate's bundles are among the true top ``top``", lo=1))

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        check_kind(self, true_type)
        pub = info.public
        if not isinstance(pub, BundlesPublic) or pub.phase != "online":
            return true_type
        p = pub.price_vector(true_type.m)
        table = [(t, np.array([b for b, _ in pairs]), np.array([q for _, q in pairs]))
                 for t, pairs in pub.budget_table() if t.m == true_type.m and pairs]
        if p is None or not table:
            return true_type
        if self.p["good"] == "top":
            bar = self.p["top"] - 1
        else:
            own = [b for t, b, _ in table if t == true_type]
            budgets = own[0] if own else np.array([min(float(b.min()) for _, b, _ in table)])
            bar = int(outcome_ranks(true_type, true_type, p, budgets).max())
        best, best_key = None, None
        for t, budgets, probs in table:
            ranks = outcome_ranks(true_type, t, p, budgets)
            if ranks.max() > bar or ranks.min() >= len(true_type.bundles):
                continue
            w = probs / probs.sum() if probs.sum() > 0 else np.full(probs.size, 1.0 / probs.size)
            key = (float(w @ budgets), -float(w @ ranks))
            if best_key is None or key > best_key:
                best, best_key = t, key
        return best if best is not None else true_type


@register_strategy
class CheaperObject(OrdinalMisreport):
    """SEM: within the indifference class at ``rank``, declare the cheapest object(s) strictly first.

    Reads the published period prices (SEM Section 4: the spot-market prices p^t). Objects
    with no capacity left (published ``remaining``) are skipped when choosing the cheapest.
    ``mode="prefer"`` ranks the rest of the class just below; ``mode="only"`` declares the rest
    unacceptable. Falls back to truthful without published prices or when the class has a
    single object.
    """

    name = "cheaper_object"
    kinds = ("objects",)
    probes = "SEM strategyproofness (SP, Corollary 2; SP1, Corollary 1) and equal-type envy-freeness"
    params = (int_param("rank", 0, "the indifference class (0 = the top class)"),
              choice_param("mode", "prefer", "rank the rest just below (prefer) or drop it (only)", ("prefer", "only")))

    def transform(self, choices, true_type, info, rng):
        r = self.p["rank"]
        out = list(choices)
        pub = info.public
        p = pub.price_vector(true_type.n_objects) if isinstance(pub, GoodsPublic) else None
        if p is None or r >= len(out) or len(out[r]) < 2:
            return out, []
        cls = list(out[r])
        rem = pub.remaining_vector(true_type.n_objects)
        pool = [x for x in cls if rem is None or rem[x] >= 1] or cls
        cheapest = min(float(p[x]) for x in pool)
        head = tuple(x for x in pool if float(p[x]) <= cheapest)
        tail = tuple(x for x in cls if x not in head)
        if not tail:
            return out, []
        if self.p["mode"] == "only":
            out[r:r + 1] = [head]
            return out, [tail]
        out[r:r + 1] = [head, tail]
        return out, []
