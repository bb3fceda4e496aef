"""``frozen_init``'s ``__init__`` builds what the dataclass's own would: same values, checks, signature,
freezing; tried on the fault engine's and reply model's per-call values against dataclasses' ``__init__``."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_providers.faults.decisions import Decision, Normal
from fake_providers.faults.engine import RequestInfo
from fake_providers.faults.reply import Pace, Reply
from units.frozen_init import frozen_init

CLASSES = [Decision, Normal, Pace, Reply, RequestInfo]


def _reference(cls: type) -> type:
    """The same fields and ``__post_init__`` as a plain frozen, slotted dataclass (dataclasses' own init)."""
    fields = [(f.name, f.type, dataclasses.field(default=f.default)) for f in dataclasses.fields(cls)]
    namespace = {"__post_init__": cls.__post_init__} if hasattr(cls, "__post_init__") else {}
    return dataclasses.make_dataclass(f"Reference{cls.__name__}", fields, frozen=True, slots=True,
                                      namespace=namespace)


def _as_dict(obj: object) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


values = st.one_of(st.none(), st.booleans(), st.integers(-3, 10), st.floats(-1.0, 1e6), st.floats(),
                   st.text(max_size=5), st.just(Normal(0.5)))


def _build(cls: type, args: list[Any], kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", cls(*args, **kwargs)
    except Exception as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_same_instance_or_error_as_the_dataclass_init(cls: type, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    required = [f for f in fields if f.default is dataclasses.MISSING]
    positional = [data.draw(values) for _ in required]
    optional = [f.name for f in fields if f not in required]
    given_names = data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    keywords = {name: data.draw(values) for name in given_names}
    reference = _reference(cls)
    (kind, ours), (their_kind, theirs) = _build(cls, positional, keywords), _build(reference, positional, keywords)
    assert kind == their_kind
    if kind != "ok":
        assert ours == theirs
        return
    assert _as_dict(ours) == _as_dict(theirs)
    assert repr(ours).removeprefix(cls.__name__) == repr(theirs).removeprefix(reference.__name__)
    assert ours == cls(*positional, **keywords) and hash(ours) == hash(cls(*positional, **keywords))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_signature_and_freezing_kept(cls: type) -> None:
    assert str(inspect.signature(cls)) == str(inspect.signature(_reference(cls)))
    required = [f for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    obj = cls(*[0.0] * len(required))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, dataclasses.fields(cls)[0].name, 1)
    with pytest.raises(TypeError):
        cls()


def test_the_checks_still_run() -> None:
    with pytest.raises(ValueError, match="latency_s"):
        Normal(-1.0)
    with pytest.raises(ValueError, match="delay_s"):
        Reply(float("nan"), Normal(0.0))


def test_refuses_what_it_would_get_wrong() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class NotInit:
        x: int = dataclasses.field(default=0, init=False)

    for cls in (Mutable, NotInit):
        with pytest.raises(TypeError):
            frozen_init(cls)


def test_a_factory_default_is_called_per_instance_and_checks_run_after_it() -> None:
    @frozen_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Both:
        x: list[int] = dataclasses.field(default_factory=list)

        def __post_init__(self) -> None:
            if len(self.x) > 2:
                raise ValueError("x: too long")

    a, b = Both(), Both()
    assert a.x == [] and a.x is not b.x
    assert Both([1]).x == [1]
    with pytest.raises(ValueError, match="too long"):
        Both([1, 2, 3])
    assert str(inspect.signature(Both)) == "(x: 'list[int]' = <factory>) -> None"
