"""The supervisor's guarantees that no signal handler can give: children die with a SIGKILLed parent, they
never inherit the operator's provider pin, keys or proxies, and a child's death is reported once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.child_process import child_environment
from drill.supervisor import ChildExit, Supervisor

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def _script(tmp_path: Path, name: str, body: str) -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


@pytest.mark.timeout(60)
def test_children_die_when_the_supervising_process_is_sigkilled(tmp_path: Path) -> None:
    # a parent that starts two long-lived children through the Supervisor, says their pids, then waits
    parent = _script(tmp_path, "parent", f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from drill.supervisor import Supervisor
        sup = Supervisor({str(tmp_path / 'logs')!r})
        sup.__enter__()
        kids = [sup.start(f"kid{{i}}", [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"])
                for i in range(2)]
        print(" ".join(str(k.pid) for k in kids), flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen(parent, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        kids = [int(p) for p in proc.stdout.readline().split()]
        assert len(kids) == 2 and all(_alive(k) for k in kids)
        os.kill(proc.pid, signal.SIGKILL)   # no handler, no atexit: only the kernel can stop the children
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [k for k in kids if _alive(k)], "children outlived their SIGKILLed parent"
    finally:
        if proc.poll() is None:
            proc.kill()


SHELL = {
    "LLM_PROVIDER": "claude", "DASHSCOPE_API_KEY": "sk-d", "ANTHROPIC_API_KEY": "sk-a", "OPENAI_API_KEY": "sk-o",
    "HTTP_PROXY": "http://proxy:1", "https_proxy": "http://proxy:2", "ALL_PROXY": "socks5://p:3",
    "no_proxy": "*", "LLMDRILL_ADMIN_TOKEN": "t", "LLMDRILL_QWEN_URL": "http://elsewhere",
    "LLMDRILL_QWEN_API_KEY": "k", "PATH": os.environ.get("PATH", ""), "HOME": "/home/x", "LANG": "C.UTF-8",
}


def test_a_child_does_not_inherit_the_operators_pin_keys_or_proxies(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SHELL.items():
        monkeypatch.setenv(k, v)
    dump = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)), flush=True)"]
    with Supervisor(tmp_path / "logs") as sup:
        child = sup.start("env", dump, env={"LLMDRILL_QWEN_URL": "http://127.0.0.1:9", "LLM_PROVIDER": "auto"})
        seen = json.loads(child.address or "{}")
    assert seen["LLMDRILL_QWEN_URL"] == "http://127.0.0.1:9" and seen["LLM_PROVIDER"] == "auto"
    leaked = {k for k in SHELL if k in seen} - {"PATH", "HOME", "LANG", "LLMDRILL_QWEN_URL", "LLM_PROVIDER"}
    assert not leaked, leaked
    assert seen["HOME"] == "/home/x" and seen["PYTHONUNBUFFERED"] == "1"


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefxyz"), min_size=1, max_size=20),
                       st.text(max_size=5), max_size=10),
       st.dictionaries(st.sampled_from(sorted(SHELL)), st.text(max_size=5), max_size=4))
def test_child_environment_drops_exactly_the_shell_only_variables(base: dict[str, str],
                                                                  explicit: dict[str, str]) -> None:
    env = child_environment({**base, **SHELL}, explicit)
    for key, value in explicit.items():
        assert env[key] == value   # what the caller passes always wins
    for key in SHELL:
        if key not in explicit and key not in ("PATH", "HOME", "LANG"):
            assert key not in env, key
    for key, value in base.items():
        shell_only = (key.startswith("LLMDRILL_") or key.endswith("_API_KEY") or key == "LLM_PROVIDER"
                      or (key.upper() in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
                      and key in (key.upper(), key.lower())))
        if key not in explicit and key not in SHELL and key != "PYTHONUNBUFFERED":
            assert (key in env) == (not shell_only), key
            if key in env:
                assert env[key] == value


def test_watch_reports_a_child_that_dies_but_not_one_it_stops(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    deaths: list[ChildExit] = []
    seen = threading.Event()

    def on_exit(dead: ChildExit) -> None:
        deaths.append(dead)
        seen.set()

    with Supervisor(tmp_path / "logs") as sup:
        victim = sup.start("victim", sleeper)
        kept = sup.start("kept", sleeper)
        stop = sup.watch(on_exit, interval_s=0.02)
        sup.stop(kept, grace_s=2)            # stopped by us: no death
        time.sleep(0.3)
        assert not deaths
        os.kill(victim.pid, signal.SIGKILL)
        assert seen.wait(5), "the watch did not notice the SIGKILLed child"
        stop()
    assert [(d.name, d.returncode) for d in deaths] == [("victim", -signal.SIGKILL)]
    assert "SIGKILL" in deaths[0].describe() and "victim" in deaths[0].describe()


def test_stop_all_is_never_reported_as_a_death(tmp_path: Path) -> None:
    deaths: list[ChildExit] = []
    with Supervisor(tmp_path / "logs") as sup:
        for i in range(3):
            sup.start(f"c{i}", [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"])
        stop = sup.watch(deaths.append, interval_s=0.01)
        sup.stop_all(grace_s=2)
        time.sleep(0.2)
        stop()
    assert deaths == []
