"""Capacity planning over the twin, pure: a plan's spec, its knobs, its points, and the answer.

- ``spec``: ``PLAN.yaml`` → ``PlanSpec`` (errors as ``file:line: field: message``);
- ``knobs``: each knob's check and its edit of the base scenario's YAML mapping;
- ``points``: the points' jobs (plain data a worker rebuilds into a ``Scenario``);
- ``result``/``recommend``: a point's figures from its report; what holds, the knee, the cheapest, the fix;
- ``table``/``plots``: the writers.

Running the points (local processes, Dask) is ``drill.plan``: it needs the live planner.
"""
