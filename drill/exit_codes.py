"""The exit codes every ``llmdrill`` command shares (a CI job reads them)."""

from __future__ import annotations

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_HARNESS", "EXIT_OK"]

#: the run passed (its expectations held)
EXIT_OK = 0
#: the run completed and an expectation failed
EXIT_FAILED = 1
#: bad input: a scenario, plan, flag or file that cannot be used; nothing ran
EXIT_BAD_INPUT = 2
#: the harness itself failed (a process of the stack died, a run could not be measured)
EXIT_HARNESS = 3
