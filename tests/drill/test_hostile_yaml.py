"""Hostile scenario files (deep nesting, alias bombs, object tags) exit 2 with file:line from `validate`
and `run` alike, never a traceback; and a fuzz of scenario documents only ever exits 0 or 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill import commands

GOOD = """\
name: fuzz-base
description: a scenario for the fuzzer to mutate
seed: 1
time_scale: 0.1
duration: 1m
load: {model: open, rate: 2/s, prompts: appointments-es}
faults:
  - {at: 10s, until: 20s, provider: qwen, error: {status: 500}}
expect:
  - count(lost) == 0
"""


def _deep_flow(depth: int) -> str:
    return "name: deep\nduration: 1m\nload: {rate: 1/s}\nx: " + "[" * depth + "]" * depth + "\n"


def _deep_block(depth: int) -> str:
    body = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    return "name: deep\nduration: 1m\n" + body


def _alias_bomb(levels: int = 9) -> str:
    lines = ["name: bomb", "duration: 1m", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "nested-700-flow": (_deep_flow(700), 4),
    "nested-700-block": (_deep_block(700), None),
    "nested-100000-flow": (_deep_flow(100_000), 4),
    "billion-laughs": (_alias_bomb(), None),
    "python-object-apply": ('name: !!python/object/apply:os.system ["echo pwned"]\nduration: 1m\n', 1),
    "python-object-on-a-mapping": ("name: x\nduration: 1m\nload: !!python/object:collections.OrderedDict "
                                   "{rate: 1/s}\n", 3),
    "python-name-scalar": ("name: !!python/name:os.system\nduration: 1m\n", 1),
    "custom-local-tag": ("name: x\nduration: 1m\nload: !custom {rate: 1/s}\n", 3),
}


def _line_ref(stderr: str, path: Path) -> list[int]:
    return [int(m) for m in re.findall(re.escape(str(path)) + r":(\d+):", stderr)]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_exits_2_with_file_and_line(case: str, command: str, tmp_path: Path, capsys) -> None:
    text, line = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    argv = [str(path)] if command == "validate" else [str(path), "--no-view", "--out", str(tmp_path / "run")]
    code = getattr(commands, command)(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "RecursionError" not in err
    lines = _line_ref(err, path)
    assert lines and all(n >= 1 for n in lines), err
    if line is not None:
        assert line in lines, err
    assert not (tmp_path / "run").exists(), "a refused scenario must not start a run"


def test_a_refused_tag_is_named_as_written(tmp_path: Path, capsys) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text(HOSTILE["python-object-on-a-mapping"][0], encoding="utf-8")
    assert commands.validate([str(path)]) == 2
    err = capsys.readouterr().err
    assert "!!python/object:collections.OrderedDict" in err and ": load: " in err, err


def test_nesting_within_the_limit_is_not_refused_for_depth(tmp_path: Path, capsys) -> None:
    from scenarios.yamltree import MAX_DEPTH

    path = tmp_path / "ok-depth.yaml"
    path.write_text(GOOD + "notes: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", encoding="utf-8")
    commands.validate([str(path)])
    assert "nesting deeper" not in capsys.readouterr().err


# -- fuzz: any document, any mutation: exit 0 or 2, nothing else, never a traceback ----------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                     st.text(max_size=12), st.sampled_from(["1m", "2/s", "500ms", "qwen", "P4", "-1s", "1e309"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)
_keys = st.sampled_from(["name", "description", "seed", "time_scale", "duration", "load", "stack", "faults",
                         "network", "actions", "phases", "expect", "baseline", "typo"])


def _mutations() -> st.SearchStrategy[str]:
    base = yaml.safe_load(GOOD)
    replaced = st.builds(lambda k, v: yaml.safe_dump({**base, k: v}, allow_unicode=True), _keys, _values)
    dropped = st.builds(lambda k: yaml.safe_dump({x: y for x, y in base.items() if x != k}), _keys)
    spliced = st.builds(lambda i, junk: GOOD[:i] + junk + GOOD[i:], st.integers(0, len(GOOD)),
                        st.text(alphabet=st.sampled_from(list("[]{}:&*!|>-#'\"\t\n ,%@`?")), max_size=8))
    return st.one_of(replaced, dropped, spliced, st.text(max_size=200))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_mutations())
def test_fuzzed_scenario_documents_exit_0_or_2(text: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    code = commands.validate([str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert str(path) in err, err
