"""Every metric of the expectation language, one module each: adding a metric is adding a module here.

Each module of this package declares ``METRICS``, a tuple of
:class:`~scenarios.expectations.metric_def.MetricDef`; :func:`discover` imports every module of the
package and collects them into :data:`METRICS` (name -> definition), which the parser, the formatter
and ``reports.expect_metrics`` read.  Discovery rather than a list, so that no second file names a new
metric; the modules import only ``metric_def`` and ``measure``, so the order they load in is free.
"""

from __future__ import annotations

import importlib
import pkgutil

from scenarios.expectations.metric_def import MetricDef

__all__ = ["METRICS", "discover"]


def discover(package: str = __name__) -> dict[str, MetricDef]:
    """name -> definition of every metric the modules of ``package`` declare, in module-name order."""
    found: dict[str, MetricDef] = {}
    search = importlib.import_module(package).__path__
    for module_info in sorted(pkgutil.iter_modules(search), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{module_info.name}")
        declared = getattr(module, "METRICS", None)
        if not isinstance(declared, tuple) or not all(isinstance(d, MetricDef) for d in declared):
            raise TypeError(f"{module.__name__} declares no METRICS tuple of MetricDef")
        for definition in declared:
            if definition.name in found:
                raise ValueError(f"metric {definition.name!r} is declared twice (again in {module.__name__})")
            found[definition.name] = definition
    return found


#: name -> definition: the whole language of metrics
METRICS: dict[str, MetricDef] = discover()
