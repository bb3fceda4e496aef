"""The seeded gold corpus: determinism, uniqueness, labels that agree with the gateway's resolution."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.corpus import REFERENCE_DATE, CorpusIndex, GoldCase, default_corpus, generate_corpus
from gateway.nlp.temporal import resolve_date, resolve_time


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    a, b = generate_corpus(3, 300), generate_corpus(3, 300)
    assert a == b
    c = generate_corpus(4, 300)
    assert [x.prompt for x in a] != [x.prompt for x in c]


def test_prefix_stability() -> None:
    # A shorter corpus is a prefix of a longer one with the same seed: load and gold agree on ids.
    assert generate_corpus(1, 1000)[:200] == generate_corpus(1, 200)


def test_prompts_and_ids_unique_and_well_formed() -> None:
    cases = default_corpus()
    assert len(cases) == 1000
    assert len({c.prompt for c in cases}) == 1000
    assert [c.id for c in cases] == [f"c{i:06d}" for i in range(1000)]
    assert all(re.fullmatch(r"c\d{6}", c.id) for c in cases)


def test_default_corpus_is_seed_zero_and_cached_but_safe_to_mutate() -> None:
    first = default_corpus()
    assert first == generate_corpus(0, 1000, REFERENCE_DATE)
    first.clear()
    assert len(default_corpus()) == 1000
    assert default_corpus()[0] is default_corpus()[0]


def _check_labels(case: GoldCase, reference: date) -> None:
    for label in (case.contacto, case.fecha, case.hora, case.lugar):
        assert label is None or label in case.prompt, (case.id, label, case.prompt)
    assert (case.fecha is None) == (case.fecha_iso is None)
    assert (case.hora is None) == (case.hora_hhmm is None)
    if case.fecha is not None:
        got = resolve_date(case.fecha, reference)
        assert got is not None and got.resolved == case.fecha_iso, (case.prompt, got)
    if case.hora is not None:
        t = resolve_time(case.hora)
        assert t is not None and t.resolved == case.hora_hhmm, (case.prompt, t)


def test_labels_are_substrings_and_resolve_like_the_gateway() -> None:
    for case in default_corpus():
        _check_labels(case, REFERENCE_DATE)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), reference=st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_labels_hold_for_any_seed_and_reference(seed: int, reference: date) -> None:
    cases = generate_corpus(seed, 40, reference)
    assert len({c.prompt for c in cases}) == len(cases) == 40
    for case in cases:
        _check_labels(case, reference)


def test_variety() -> None:
    cases = default_corpus()
    prompts = " ".join(c.prompt for c in cases)
    for needle in ("Pérez", "Muñoz", "Núñez", "Ibáñez", "Dr. ", "Dra. ", "Lic. ", "Ing. ", "con el Dr.",
                   "con la Dra.", "pasado mañana", "próximo", "de la tarde", "de la mañana", "de la noche",
                   "mediodía", "clínica Norte", "Polanco", "consultorio 3", "necesito cita",
                   "quiero reservar"):
        assert needle in prompts, needle
    assert any(re.search(r"\b\d{1,2}am\b", p) for p in prompts.split(" "))
    assert any(re.fullmatch(r"\d{1,2}:\d{2}(am|pm)", c.hora or "") for c in cases)
    assert any(re.fullmatch(r"\d{2}:\d{2}", c.hora or "") for c in cases)
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}", c.fecha or "") for c in cases)
    assert any(re.fullmatch(r"\d{1,2} de \w+", c.fecha or "") for c in cases)
    for attr in ("contacto", "fecha", "hora", "lugar"):
        missing = sum(getattr(c, attr) is None for c in cases)
        assert 0 < missing < len(cases), attr


def test_bad_arguments_are_named() -> None:
    assert generate_corpus(0, 0) == []
    with pytest.raises(ValueError, match="n must be"):
        generate_corpus(0, -1)
    with pytest.raises(ValueError, match="reference"):
        generate_corpus(0, 5, "2026-01-22")  # type: ignore[arg-type]


def test_index_lookup() -> None:
    cases = generate_corpus(5, 200)
    index = CorpusIndex(cases)
    assert len(index) == 200
    for case in cases:
        assert index.lookup(case.prompt) is case
    assert index.lookup("no such prompt") is None
    assert index.lookup(cases[0].prompt + " ") is None   # exact lookup, no normalisation


def test_index_keeps_first_of_duplicate_prompts() -> None:
    a = GoldCase("c1", "cita hoy", None, "hoy", "2026-01-22", None, None, None)
    b = GoldCase("c2", "cita hoy", None, None, None, None, None, None)
    assert CorpusIndex([a, b]).lookup("cita hoy") is a


def test_templated_corpus_is_near_duplicates_with_exact_gold() -> None:
    from fake_providers.corpus import CORPORA, generate_corpus

    assert CORPORA["appointments-es-templated"] == "templated"
    cases = generate_corpus(5, 192, style="templated")
    assert len({c.prompt for c in cases}) == 192          # every combination, each once
    assert generate_corpus(5, 192, style="templated") == cases
    for c in cases:
        assert c.contacto in c.prompt and f"a las {c.hora} " in c.prompt and c.fecha in c.prompt
    with pytest.raises(ValueError, match="only 192"):
        generate_corpus(5, 193, style="templated")
    with pytest.raises(ValueError, match="style"):
        generate_corpus(5, 3, style="poetic")
