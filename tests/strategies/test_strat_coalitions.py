"""Coalition graphs, coalition drawing, coalition strategies and gain accounting."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strat_helpers import (BUNDLE_MARKET, OBJECT_MARKET, PROCUREMENT_MARKET, bundle_rankings, costs, ocam_public,
                           weak_orders)

from mechanisms import BundleOutcome, Goods, Market, Report, make_mechanism, run_schedule
from mechanisms.errors import ConfigError
from mechanisms.preferences import BundleRanking, Cost
from mechanisms.public_state import PublicState
from mechanisms.rng import Streams
from strategies import (COALITION_GRAPHS, COALITION_STRATEGIES, Coalition, CoalitionStrategy, PublicInfo, build_graph,
                        coalition_gain, draw_coalitions, make_graph, parse_coalition_strategy,
                        register_coalition_strategy)
from strategies.orders import same_space

AGENTS = list(range(10, 40))
PARAMS = {"erdos_renyi": {"p": 0.2}, "small_world": {"k": 4, "p": 0.2}, "sbm": {"blocks": 3, "p_in": 0.6},
          "cliques": {"size": 4}}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_graph_builders_cover_exactly_the_agents_and_are_reproducible(name):
    g1 = build_graph(name, AGENTS, Streams(4).get("coalitions", "graph"), **PARAMS[name])
    g2 = build_graph(name, AGENTS, Streams(4).get("coalitions", "graph"), **PARAMS[name])
    g3 = build_graph(name, AGENTS, Streams(5).get("coalitions", "graph"), **PARAMS[name])
    assert sorted(g1.nodes) == AGENTS
    assert sorted(g1.edges) == sorted(g2.edges)
    assert name == "sbm" and g1.number_of_edges() > 0 or sorted(g1.edges) != sorted(g3.edges) or name == "cliques"


def test_graph_registry_and_errors(tmp_path):
    assert set(COALITION_GRAPHS.names()) == {"erdos_renyi", "small_world", "sbm", "cliques", "graph_file"}
    rng = np.random.default_rng(0)
    for name, bad in (("erdos_renyi", {"p": 1.5}), ("cliques", {"size": 0}), ("sbm", {"sizes": [3, 3]}),
                      ("erdos_renyi", {"q": 1}), ("graph_file", {"path": str(tmp_path / "none.txt")})):
        with pytest.raises(ConfigError):
            build_graph(name, AGENTS, rng, **bad)
    with pytest.raises(ConfigError):
        build_graph("scale_free", AGENTS, rng)
    f = tmp_path / "g.edgelist"
    f.write_text("10 11\n11 12\n12 99\n20 21\n")
    g = build_graph("graph_file", AGENTS, rng, path=str(f))
    assert sorted(g.nodes) == AGENTS and sorted(g.edges) == [(10, 11), (11, 12), (20, 21)]
    assert draw_coalitions(g, rng=rng, method="components") == [(10, 11, 12), (20, 21)]
    assert draw_coalitions(g, rng=rng) == [(10, 11, 12), (20, 21)]  # auto without size: components


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["connected", "components", "communities", "cliques"]),
       st.integers(2, 4), st.sets(st.sampled_from(AGENTS), max_size=8))
def test_drawn_coalitions_are_disjoint_groups_of_the_graph(seed, method, size, exclude):
    g = build_graph("erdos_renyi", AGENTS, np.random.default_rng(seed), p=0.15)
    cs = draw_coalitions(g, size, None, np.random.default_rng(seed), method=method, exclude=exclude)
    members = [a for c in cs for a in c]
    assert len(members) == len(set(members)) and set(members) <= set(AGENTS) - exclude
    for c in cs:
        assert 2 <= len(c) <= size
        if method in ("cliques", "connected"):
            assert len(c) == size and nx.is_connected(g.subgraph(c))
        if method == "cliques":
            assert all(g.has_edge(u, v) for u in c for v in c if u < v)
    assert draw_coalitions(g, size, None, np.random.default_rng(seed), method=method, exclude=exclude) == cs


def test_model_style_call_and_graph_specs():
    # abm.coalitions calls make_graph(spec, n, rng, field=...) and draw_coalitions(graph, size, count, rng, exclude=...)
    g = make_graph("small_world:k=4,p=0.1", 30, np.random.default_rng(1), field="coalitions[0].graph")
    assert sorted(g.nodes) == list(range(30))
    first = draw_coalitions(g, 3, 2, np.random.default_rng(2))
    second = draw_coalitions(g, 3, 2, np.random.default_rng(3), exclude={a for c in first for a in c})
    assert len(first) == len(second) == 2 and not {a for c in first for a in c} & {a for c in second for a in c}
    assert all(len(c) == 3 and nx.is_connected(g.subgraph(c)) for c in first + second)
    assert sorted(make_graph({"name": "cliques", "size": 5}, range(5, 15), np.random.default_rng(0)).nodes) == \
        list(range(5, 15))
    with pytest.raises(ConfigError) as e:
        make_graph("erdos_renyi:p=2", 10, np.random.default_rng(0), field="coalitions[0].graph")
    assert e.value.field == "coalitions[0].graph.p"
    with pytest.raises(ConfigError):
        make_graph("erdos_renyi:p", 10, np.random.default_rng(0))
    with pytest.raises(ConfigError):
        draw_coalitions(g, None, None, np.random.default_rng(0), method="cliques")


def test_sbm_communities_are_its_blocks_and_cliques_graph_gives_cliques():
    rng = np.random.default_rng(3)
    g = build_graph("sbm", AGENTS, rng, sizes=[10, 10, 10], p_in=0.9, p_out=0.0)
    blocks = [tuple(AGENTS[:10]), tuple(AGENTS[10:20]), tuple(AGENTS[20:])]
    assert draw_coalitions(g, rng=rng, method="communities") == blocks
    assert draw_coalitions(g, rng=rng) == blocks  # auto on an SBM: its communities
    assert all(set(c) <= set(b) for c in draw_coalitions(g, 4, None, rng) for b in blocks if c[0] in b)
    g = build_graph("cliques", AGENTS, rng, size=3)
    cs = draw_coalitions(g, rng=rng, method="components")
    assert len(cs) == 10 and all(len(c) == 3 for c in cs)
    assert sorted(draw_coalitions(g, 3, None, rng)) == sorted(cs)  # connected groups of 3 = the cliques
    assert len(draw_coalitions(g, rng=rng, count=4)) == 4


# ---- coalition strategies ----------------------------------------------------------------
MARKET_OF = {BundleRanking: BUNDLE_MARKET, Cost: PROCUREMENT_MARKET}
RICH = ocam_public(phase="sample", remaining=(1, 0, 2, 2))


def _members(types):
    return {100 + 7 * i: t for i, t in enumerate(types)}


@settings(max_examples=25, deadline=None)
@given(st.lists(bundle_rankings(), min_size=1, max_size=4), st.lists(weak_orders(), min_size=1, max_size=4),
       st.lists(costs, min_size=1, max_size=4), st.integers(0, 1000), st.sampled_from([PublicState(), RICH]))
def test_coalition_reports_are_valid_and_depend_only_on_members_and_public_info(bs, ws, cs, seed, public):
    for types, market in ((bs, BUNDLE_MARKET), (ws, OBJECT_MARKET), (cs, PROCUREMENT_MARKET)):
        members = _members(types)
        for name, cls in COALITION_STRATEGIES.items():
            if market.kind not in cls.kinds:
                with pytest.raises(ConfigError):
                    cls().reports(members, PublicInfo(market, 0, public), np.random.default_rng(seed))
                continue
            s = cls()
            out = s.reports(members, PublicInfo(market, 0, public), np.random.default_rng(seed))
            assert set(out) == set(members)
            assert all(same_space(out[a], members[a]) for a in members)
            # Same members (any order) and public information, same stream: the same reports,
            # whatever else was asked before (no hidden state carried between calls).
            s.reports(_members(types[::-1]), PublicInfo(market, 5), np.random.default_rng(seed + 1))
            again = s.reports(dict(reversed(list(members.items()))), PublicInfo(market, 0, public),
                              np.random.default_rng(seed))
            assert again == out, name


def reports_are_stateless(strategy: CoalitionStrategy, members, info, seed: int, other_members) -> bool:
    """The independence check: reports for (members, info, seed) do not change after other calls."""
    first = strategy.reports(members, info, np.random.default_rng(seed))
    strategy.reports(other_members, info, np.random.default_rng(seed + 1))
    return strategy.reports(members, info, np.random.default_rng(seed)) == first


def test_independence_check_fails_on_a_leaky_coalition_strategy():
    class Leaky(CoalitionStrategy):
        """Mutant: remembers the types it was shown and reports the last one seen before (leaks)."""

        name = "leaky_mutant"
        kinds = ("bundles",)
        seen: list = []

        def joint_reports(self, members, info, rng):
            last = Leaky.seen[-1] if Leaky.seen else None
            Leaky.seen.extend(members.values())
            return {a: last if last is not None else t for a, t in members.items()}

    a = _members([BundleRanking(4, (1,)), BundleRanking(4, (2,))])
    b = _members([BundleRanking(4, (4,))])
    info = PublicInfo(BUNDLE_MARKET, 0)
    assert not reports_are_stateless(Leaky(), a, info, 0, b)
    for name, cls in COALITION_STRATEGIES.items():
        if "bundles" in cls.kinds:
            assert reports_are_stateless(cls(), a, info, 0, b), name


def test_specific_coalition_strategies():
    rng = np.random.default_rng(0)
    x, y = BundleRanking(4, (0b0011, 0b0100)), BundleRanking(4, (0b0100, 0b1000, 0b0011))
    m = {1: x, 2: y, 3: y}
    info = PublicInfo(BUNDLE_MARKET, 0, ocam_public(phase="sample", remaining=(1, 1, 0, 1)))
    assert parse_coalition_strategy("common_type").reports(m, info, rng) == {1: y, 2: y, 3: y}
    assert parse_coalition_strategy("common_type:which='first'").reports(m, info, rng) == {1: x, 2: x, 3: x}
    # Sample collusion: g2 has no unit left, so y's SD choice is {g3}; x keeps {g0,g1}.
    out = parse_coalition_strategy("sample_collusion").reports(m, info, rng)
    assert out[1].bundles == (0b0011,) and out[2].bundles == (0b1000,)
    out = parse_coalition_strategy("sample_collusion:mode='avoid'").reports(m, info, rng)
    assert out[2].bundles == (0b1000,)  # {g0,g1} and {g2} contain a target good (members' tops)
    online = PublicInfo(BUNDLE_MARKET, 0, ocam_public(phase="online"))
    assert parse_coalition_strategy("sample_collusion").reports(m, online, rng) == m
    big = BundleRanking(4, (0b0011, 0b0001, 0b0010))
    out = parse_coalition_strategy("demand_reduction").reports({1: big, 2: big}, info, rng)
    assert out[1].bundles == (0b0001, 0b0010)
    out = parse_coalition_strategy("demand_reduction:coordinate=True").reports({1: big, 2: big}, info, rng)
    assert out[1].bundles == (0b0001, 0b0010) and out[2].bundles == (0b0010,)
    ring = {5: Cost(1.0), 6: Cost(2.0)}
    pinfo = PublicInfo(PROCUREMENT_MARKET, 0)
    assert parse_coalition_strategy("bid_ring:factor=2").reports(ring, pinfo, rng) == {5: Cost(2.0), 6: Cost(4.0)}
    assert parse_coalition_strategy("bid_ring:mode='designated'").reports(ring, pinfo, rng) == {5: Cost(1.5),
                                                                                                  6: Cost(10.0)}
    for bad in ("bid_ring:factor=0", "common_type:which='x'", "demand_reduction:level=0", "nope"):
        with pytest.raises(ConfigError):
            parse_coalition_strategy(bad)
    with pytest.raises(ConfigError):
        parse_coalition_strategy("common_type").reports({1: x, 2: Cost(1.0)}, info, rng)


def _rank_gain(agent, true, o_truth, o_dev):
    return float(true.rank(o_truth.bundle) - true.rank(o_dev.bundle))


def test_coalition_in_a_run_and_gain_accounting():
    goods = Goods(("a", "b", "c"), (1, 1, 1))
    market = Market("bundles", goods, max_bundle_size=1)
    t = BundleRanking(3, (1, 2, 4))
    members = {0: t, 1: t}
    c = Coalition(members, parse_coalition_strategy("demand_reduction:coordinate=True"))
    assert list(c.members) == [0, 1] and "demand_reduction" in c.label
    streams = Streams(1)
    info = PublicInfo(market, 0)
    reports = {a: c.report_for(a, info, streams) for a in members}
    assert reports[1].bundles == (2, 4)
    with pytest.raises(ConfigError):
        c.report_for(7, info, streams)
    sched = [[Report(0, t)], [Report(1, t)]]
    factory = lambda: make_mechanism("sd", market)  # noqa: E731
    truth = run_schedule(factory, sched, 3).outcomes
    dev = run_schedule(factory, sched, 3, deviations=reports).outcomes
    g = coalition_gain(members, truth, dev, _rank_gain)
    assert g.per_member == {0: 0.0, 1: 0.0} and g.total == 0.0 and not g.profitable
    # A mutant outcome where member 1 is strictly better and 0 unchanged is flagged profitable;
    # one member worse off is not (group strategyproofness needs no member worse off).
    better = {0: truth[0], 1: BundleOutcome(1, 1, 1)}
    assert truth[1].bundle == 2 and coalition_gain(members, truth, better, _rank_gain).profitable
    worse = {0: BundleOutcome(0, 0, 4), 1: BundleOutcome(1, 1, 1)}
    g = coalition_gain(members, truth, worse, _rank_gain)
    assert g.per_member == {0: -2.0, 1: 1.0} and g.total == -1.0 and not g.profitable and g.any_strictly_better


def test_registering_a_new_coalition_strategy():
    @register_coalition_strategy
    class Everyone(CoalitionStrategy):
        """Everyone reports truthfully (a registry test)."""

        name = "truthful_group_test"

        def joint_reports(self, members, info, rng):
            return dict(members)

    assert parse_coalition_strategy("truthful_group_test").reports({1: Cost(1.0)}, PublicInfo(PROCUREMENT_MARKET, 0),
                                                                   None) == {1: Cost(1.0)}


def test_sample_collusion_on_ocam_keeps_the_members_sd_bundles():
    """Run OCAM online (as the model does): members report at arrival with the public info then."""
    from mechanisms.ocam.markets import random_market
    from mechanisms.online_mechanism import published
    from mechanisms.step_invariants import checked_step

    rng = np.random.default_rng(8)
    market, types = random_market(40, 5, 2, rng, n_types=6, top=None, capacity=40)
    members = {a: types[a] for a in (0, 3, 5, 30, 35)}  # three in the sample (10 agents), two after
    strat = parse_coalition_strategy("sample_collusion")

    def run(collude: bool):
        mech = make_mechanism("ocam", market, {"eps_n": 1.0, "eps_f": 1.0})
        streams = Streams(9)
        mech.start(streams)
        outs, phases = {}, {}
        for t, a in enumerate(range(40)):
            info = PublicInfo(market, t, published(mech))
            declared = types[a]
            if collude and a in members:
                declared = Coalition(members, strat).report_for(a, info, streams)
                phases[a] = info.public.phase
            outs.update({o.agent: o for o in checked_step(mech, t, [Report(a, declared)])})
        return outs, phases, mech

    truth, _, _ = run(False)
    dev, phases, mech = run(True)
    assert mech.sample_size == 10 and [phases[a] for a in sorted(members)] == ["sample"] * 3 + ["online"] * 2
    for a in (0, 3, 5):  # sample members declared only their SD bundle, and SD still gave it to them
        assert dev[a].bundle == truth[a].bundle != 0
