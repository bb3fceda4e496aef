"""``frozen_init``'s ``__init__`` builds what the dataclass's own would: same values, signature, freezing."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.core.llm_flow import LlmResult
from gateway.core.observer import CallEvent
from gateway.core.parse_outcome import ParseOutcome
from units.frozen_init import frozen_init


def _reference(cls: type) -> type:
    """The same fields as a plain frozen, slotted dataclass: its ``__init__`` is dataclasses' own."""
    fields = [(f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory))
              for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(f"Reference{cls.__name__}", fields, frozen=True, slots=True)


def _as_dict(obj: object) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                   st.dictionaries(st.text(max_size=3), st.floats(allow_nan=False), max_size=3))


@pytest.mark.parametrize("cls", [ParseOutcome, LlmResult, CallEvent], ids=lambda c: c.__name__)
@given(data=st.data())
def test_same_instance_as_the_dataclass_init(cls: type, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    required = [f for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    positional = [data.draw(values) for _ in required]
    optional = [f.name for f in fields if f not in required]
    given_names = data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    keywords = {name: data.draw(values) for name in given_names}
    reference = _reference(cls)
    ours, theirs = cls(*positional, **keywords), reference(*positional, **keywords)
    assert _as_dict(ours) == _as_dict(theirs)
    assert repr(ours).removeprefix(cls.__name__) == repr(theirs).removeprefix(reference.__name__)
    if any(f.default_factory is not dataclasses.MISSING for f in fields):
        # a default_factory's value is fresh per instance, not one shared object
        fresh = [f.name for f in fields if f.default_factory is not dataclasses.MISSING and f.name not in keywords]
        for name in fresh:
            assert getattr(cls(*positional), name) is not getattr(cls(*positional), name)


@pytest.mark.parametrize("cls", [ParseOutcome, LlmResult, CallEvent], ids=lambda c: c.__name__)
def test_signature_and_freezing_kept(cls: type) -> None:
    assert str(inspect.signature(cls)) == str(inspect.signature(_reference(cls)))
    required = [f for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    obj = cls(*[None] * len(required))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, dataclasses.fields(cls)[0].name, 1)
    with pytest.raises(TypeError):
        cls()


def test_refuses_what_it_would_get_wrong() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class KeywordOnly:
        x: int = dataclasses.field(kw_only=True)

    for cls in (Mutable, KeywordOnly):
        with pytest.raises(TypeError):
            frozen_init(cls)
