"""The game day's fault ledger against a model: what is active, what a clear removes, the plan and the windows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from drill.gameday.acts import ActError, Injection
from drill.gameday.fault_book import FaultBook, ScriptedNetwork
from reports.runinfo import FaultWindow

SCALE = 0.5
SCRIPTED_RULES = [{"at": 10.0, "until": 20.0, "provider": "qwen", "error": {"status": 503}}]
#: the scenario's network fault, numbered after its rules as its window is (``fault 1``), in run seconds
SCRIPTED_NETWORK = (ScriptedNetwork(1, 15.0, 30.0, "claude", "claude +3s", ("claude",),
                                    "llmdrill1_latency_downstream"),)
SCRIPTED = (FaultWindow(0, 20.0, 40.0, "qwen", "qwen 503"), FaultWindow(1, 30.0, 60.0, "claude", "claude +3s"))


def _inj(at_s: float, for_s: float | None, network: bool) -> Injection:
    rule = None if network else {"provider": "claude", "error": {"status": 500}}
    return Injection("network" if network else "fault", "claude", "claude 500", at_s,
                     None if for_s is None else at_s + for_s, rule, None, {"provider": "claude"})


@dataclass
class _Model:
    id: str
    at: float
    until: float | None
    rule: bool
    cleared_at: float | None = None

    def active(self, now: float) -> bool:
        return self.cleared_at is None and self.at <= now + 1e-9 and (self.until is None or now < self.until)


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = FaultBook(SCRIPTED_RULES, SCRIPTED, SCALE, SCRIPTED_NETWORK)
        self.now = 0.0
        self.model = [_Model("s0", 10.0, 20.0, True), _Model("s1", 15.0, 30.0, False)]

    @rule(dt=st.floats(0.0, 30.0))
    def wait(self, dt: float) -> None:
        self.now += dt

    @rule(at=st.sampled_from([0.0, 0.0, 5.0]), for_=st.one_of(st.none(), st.floats(0.5, 40.0)), net=st.booleans(),
          committed=st.booleans())
    def inject(self, at: float, for_: float | None, net: bool, committed: bool) -> None:
        fault = self.book.propose(_inj(at, for_, net), self.now)
        n = sum(m.id.startswith("f") for m in self.model) + 1
        assert fault.id == f"f{n}" and fault.index == len(SCRIPTED) + n - 1
        assert fault.at_s == pytest.approx(self.now + at)
        if not committed:   # the stack refused it: the book must not have changed
            return
        if net:
            fault.toxic = {"name": fault.id, "proxies": ["claude"]}
        self.book.commit(fault)
        self.model.append(_Model(fault.id, self.now + at, None if for_ is None else self.now + at + for_, not net))

    @rule(data=st.data())
    def clear(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(["all", "f99", *(m.id for m in self.model)]))
        active = [m for m in self.model if m.active(self.now)]
        expected = active if target == "all" else [m for m in active if m.id == target]
        if not expected:
            with pytest.raises(ActError, match=r"^clear: "):
                self.book.choose(target, self.now)
            return
        chosen = self.book.choose(target, self.now)
        assert [f.id for f in chosen] == [m.id for m in expected]
        # the plan sent to the fakes before the clear lands: the chosen rules end now, the others do not move
        rules = self.book.rules(ending=chosen, now=self.now)
        for r, m in zip(rules, [m for m in self.model if m.rule], strict=True):
            if m in expected:
                assert r["until"] == round(self.now, 6)
            else:
                assert r.get("until") == (None if m.until is None else pytest.approx(m.until, abs=1e-6))
        self.book.end(chosen, self.now)
        for m in expected:
            m.cleared_at = self.now
            m.until = self.now if m.until is None or m.until > self.now else m.until

    @precondition(lambda self: any(m.id.startswith("f") for m in self.model))
    @rule()
    def expire(self) -> None:
        for f in self.book.expired_toxics(self.now):
            m = next(m for m in self.model if m.id == f.id)
            assert f.id.startswith("f"), "a scripted toxic is the scenario timeline's to remove"
            assert m.until is not None and self.now >= m.until and m.cleared_at is None and not m.rule
            self.book.end([f], self.now)
            m.cleared_at = self.now

    @invariant()
    def active_is_the_model(self) -> None:
        assert [a["id"] for a in self.book.active(self.now)] == [m.id for m in self.model if m.active(self.now)]
        for a in self.book.active(self.now):
            assert a["since_s"] == pytest.approx(next(m.at for m in self.model if m.id == a["id"]) / SCALE)

    @invariant()
    def a_scripted_toxic_cleared_by_hand_is_known_as_such(self) -> None:
        cleared = {f.id for f in self.book.cleared_scripted()}
        assert cleared == {m.id for m in self.model if m.id == "s1" and m.cleared_at is not None}
        for f in self.book.cleared_scripted():
            assert f.toxic is not None and f.toxic["name"] == "llmdrill1_latency_downstream"

    @invariant()
    def one_rule_per_fault_rule(self) -> None:
        rules = self.book.rules()
        assert len(rules) == sum(m.rule for m in self.model)
        for r, m in zip(rules, [m for m in self.model if m.rule], strict=True):
            assert r["at"] == pytest.approx(m.at, abs=1e-6)
            assert r.get("until") == (None if m.until is None else pytest.approx(m.until, abs=1e-6))

    @invariant()
    def one_window_per_fault(self) -> None:
        windows = self.book.windows(self.now)
        injected = [m for m in self.model if m.id.startswith("f")]
        scripted = [w for w in SCRIPTED if w.at_s * SCALE <= self.now]
        assert len(windows) == len(scripted) + len(injected)
        for w in windows[:len(scripted)]:
            m = self.model[w.index]
            original = SCRIPTED[w.index].until_s
            assert original is not None
            # a scripted fault cleared by hand ends when it was cleared
            end = original if m.cleared_at is None else min(original, m.cleared_at / SCALE)
            assert w.until_s == (None if end >= self.now / SCALE else pytest.approx(end))
        for w, m in zip(windows[len(scripted):], injected, strict=True):
            assert w.label.startswith(f"{m.id}: ")
            assert w.at_s == pytest.approx(m.at / SCALE)
            # a window still open at the stop has no end; one that ended is clipped to when it ended
            if m.until is None or m.until >= self.now:
                assert w.until_s is None
            else:
                assert w.until_s == pytest.approx(m.until / SCALE)


TestLedger = Ledger.TestCase
TestLedger.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


def test_commit_refuses_a_fault_not_proposed_next() -> None:
    book = FaultBook([], (), 1.0)
    first = book.propose(_inj(0.0, None, False), 0.0)
    book.commit(first)
    with pytest.raises(ValueError, match="not the one proposed next"):
        book.commit(first)
