"""One JSON file reader: the value, or a message naming the file and, for bad JSON, the line and column."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from units.json_file import JsonFileError, read_json_file

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


@given(json_values)
def test_a_json_file_reads_back_its_value(value: object) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "v.json"
        path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        assert read_json_file(path, "thing") == value


def test_bad_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": }\n', encoding="utf-8")
    with pytest.raises(JsonFileError) as info:
        read_json_file(path, "thing")
    assert str(info.value).startswith(f"{path}: line 3 column 8: invalid JSON (")


def test_a_missing_or_binary_file_names_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(JsonFileError, match=r"missing\.json: cannot read load config \(No such file"):
        read_json_file(tmp_path / "missing.json", "load config")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(JsonFileError, match=r"bin\.json: cannot read prompts file"):
        read_json_file(tmp_path / "bin.json", "prompts file")


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(JsonFileError, match=r"deep\.json"):
        read_json_file(tmp_path / "deep.json", "thing")
