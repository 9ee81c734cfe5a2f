"""The ECEEI stress set (issue 13): sample economies as plain JSON, its generator and loader.

Each economy is one JSON object::

    {"name": "agh-s8-e0.001-3", "source": "agh", "eps": 0.001, "m": 7,
     "capacity": [3.0, ...], "types": [[[0, 2, 5], [0, 2, 6], ...], ...], "counts": [2, 1, ...]}

``types[t]`` lists type t's acceptable bundles, most preferred first, each bundle as the
ascending indices of its goods (any number of goods: no bitmask width in the file). Economies
are OCAM-like sample economies (OCAM paper, Section 4.2: tiny samples, eps_b small):

* ``agh``: students resampled from the AGH 2004 / 2003 course rankings
  (``/work/shared/data/preflib``), capacities scaled to the sample
  (:func:`mechanisms.datasets.preflib.resample_market`) and then by a tightness in {0.05, 0.5, 1};
* ``random``: :func:`mechanisms.ocam.markets.random_market` (additive scores);
* ``complements``: the same with pairwise complementarities (the hard cases of the issue);
* ``catalogue``: :func:`mechanisms.ocam.markets.course_catalogue_market`, 300 courses;
* ``hard``: complements economies of 4 to 11 agents (10 goods, capacity 1% of a 100-fold
  pool's, as an OCAM sample economy with eps_s = 0.01) on which the fast price search alone
  MISSES (selected at generation time by running it with ``fallback="none"`` over
  ``HARD_TRIES`` candidates): the cases the exact fallback exists for.

eps_b cycles through {0.001, 0.01, 0.1}; samples have 4 to 200 agents. Regenerate with
``python -m benchmarks.eceei_stress`` (deterministic: one seed, purpose-keyed streams); the
files are read with :func:`json.loads` only (never unpickled or evaluated).
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from mechanisms.market import bundle_items
from mechanisms.preferences import BundleRanking
from mechanisms.rng import Streams

DATA = pathlib.Path(__file__).resolve().parent / "data" / "eceei_stress"
PREFLIB = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "preflib"
EPS = (0.001, 0.01, 0.1)
SEED = 13
HARD_TRIES = 400
HARD_KEEP = 15


def _economy(name: str, source: str, eps: float, m: int, cap, rankings: list[BundleRanking]) -> dict:
    counts: dict[BundleRanking, int] = {}
    for r in rankings:
        counts[r] = counts.get(r, 0) + 1
    return {"name": name, "source": source, "eps": float(eps), "m": int(m),
            "capacity": [round(float(c), 6) for c in cap],
            "types": [[list(bundle_items(b)) for b in ty.bundles] for ty in counts],
            "counts": list(counts.values())}


def generate() -> list[dict]:
    """Return the stress set's economies (deterministic, from seed ``SEED``)."""
    from mechanisms.datasets.preflib import course_market, read_soc, resample_market
    from mechanisms.ocam.markets import course_catalogue_market, random_market

    streams = Streams(SEED)
    out: list[dict] = []
    sizes = [4, 5, 6, 8, 10, 12, 16, 24, 40, 80, 200]
    i = 0
    for fname in ("agh-2004.soc", "agh-2003.soc"):
        goods0, ranks0 = course_market(read_soc(PREFLIB / fname), 3, 0.9, min_size=1)
        for s in sizes:
            for tight in (0.05, 0.5, 1.0):
                rng = streams.get("stress", "agh", i)
                eps = EPS[i % 3]
                goods, rs = resample_market(goods0, ranks0, s, rng)
                cap = goods.capacity.astype(float) * tight
                out.append(_economy(f"{fname[:8]}-s{s}-t{tight}-e{eps}", "agh", eps, goods.m, cap, rs))
                i += 1
    for source, comp in (("random", 0.0), ("complements", 0.5)):
        for s in sizes:
            for m, k in ((6, 2), (10, 3), (20, 3)):
                rng = streams.get("stress", source, i)
                eps = EPS[i % 3]
                pool, rs = random_market(s * 20, m, k, rng, top=20, n_types=max(2 * s, 4), complementarity=comp)
                rs = rs[:s]
                tight = (0.3, 0.7, 1.0)[(i // 3) % 3]
                cap = pool.goods.capacity.astype(float) * tight / 20  # the pool's capacity, per sample agent
                out.append(_economy(f"{source}-s{s}-m{m}-e{eps}", source, eps, m, cap, rs))
                i += 1
    for s in (8, 40, 200):
        rng = streams.get("stress", "catalogue", i)
        eps = EPS[i % 3]
        mk, rs = course_catalogue_market(s, rng, m=300, k=5, top=40)
        out.append(_economy(f"catalogue-s{s}-e{eps}", "catalogue", eps, 300, mk.goods.capacity.astype(float), rs))
        i += 1
    out += hard_economies(streams)
    return out


def hard_economies(streams: Streams, tries: int = HARD_TRIES, keep: int = HARD_KEEP) -> list[dict]:
    """Return up to ``keep`` complements sample economies the fast price search alone misses."""
    import warnings

    from mechanisms.ocam import solve_eceei
    from mechanisms.ocam.markets import random_market

    out = []
    for key in range(tries):
        rng = streams.get("stress", "hard", key)
        s = int(rng.integers(4, 12))
        eps = float(EPS[int(rng.integers(3))])
        pool, rs = random_market(s * 100, 10, 3, rng, top=20, complementarity=0.5, n_types=50)
        rs = rs[:s]
        cap = pool.goods.capacity.astype(float) * 0.01
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cert = solve_eceei(rs, cap, eps, fallback="none")
        if not cert.converged:
            out.append(_economy(f"hard-{key}-s{s}-e{eps}", "hard", eps, 10, cap, rs))
            if len(out) == keep:
                break
    return out


def save(economies: list[dict], path: pathlib.Path = DATA / "economies.json") -> pathlib.Path:
    """Write ``economies`` as one JSON list (one economy per line) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[\n" + ",\n".join(json.dumps(e, separators=(",", ":")) for e in economies) + "\n]\n")
    return path


def load(path: pathlib.Path = DATA / "economies.json") -> list[dict]:
    """Return the committed economies (plain JSON)."""
    return json.loads(path.read_text())


def to_problem(e: dict) -> tuple[dict[BundleRanking, float], np.ndarray, float]:
    """Return (type -> count, capacities, eps) of one stored economy, ready for ``solve_eceei``."""
    m = int(e["m"])
    name = e.get("name", "?")
    types = {BundleRanking.from_item_lists(m, ty, field=f"{name}.types[{t}]"): float(c)
             for t, (ty, c) in enumerate(zip(e["types"], e["counts"]))}
    return types, np.asarray(e["capacity"], dtype=np.float64), float(e["eps"])


if __name__ == "__main__":
    econ = generate()
    print(f"{len(econ)} economies written to {save(econ)}")
