"""A Prometheus rule file: its groups, their recording and alerting rules, and its YAML with a comment
before each rule (``reports.export_prometheus`` fills it with the runbook's rules).

Pure: groups in, text out; no I/O.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["AlertRule", "RuleGroup", "render_rule_file"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule of a group: a recording rule (``record``) or an alert (``alert``), with its comment."""

    name: str
    expr: str
    record: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record" if self.record else "alert": self.name, "expr": self.expr}
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@dataclass(frozen=True, slots=True)
class RuleGroup:
    name: str
    rules: tuple[AlertRule, ...]
    comment: str = ""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def _comment(text: str, indent: str) -> str:
    lines = [w for line in text.splitlines() for w in (textwrap.wrap(line, 100 - len(indent)) or [""])]
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in lines)


def _indent(text: str, indent: str) -> str:
    return "".join(indent + line + "\n" if line else "\n" for line in text.splitlines())


def render_rule_file(groups: Sequence[RuleGroup], header: str = "") -> str:
    """The groups as a Prometheus rule file, each rule preceded by its comment."""
    out = [_comment(header, "")] if header else []
    out.append("groups:\n")
    for g in groups:
        out.append(_comment(g.comment, "  ") if g.comment else "")
        out.append(f"  - name: {g.name}\n    rules:\n")
        for r in g.rules:
            if r.comment:
                out.append(_comment(r.comment, "      "))
            body = yaml.dump([r.to_dict()], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
            out.append(_indent(body.rstrip("\n"), "      "))
    return "".join(out)
