"""llmdrill gateway: the runbook resilience stack under test."""
