"""Live open-model load: arrival schedules, the Locust user, and the runner that drives Locust.

Importing this package never imports gevent or Locust (they monkey-patch the
process); only ``locustfile.py`` and ``open_user.py``, loaded inside Locust, do.
"""

from workload.prompts import Gold, Prompt, PromptsError, choose_prompt, load_prompts, parse_prompts
from workload.schedule import Arrival, ScheduleError, Stage, arrival_times, arrivals, expected_count, schedule_end

from .config import CONFIG_ENV, ConfigError, LoadConfig, load_config, parse_config, write_config
from .merge import MergeResult, merge_records, read_records
from .runner import LoadResult, run_load

__all__ = [
    "CONFIG_ENV",
    "Arrival",
    "ConfigError",
    "Gold",
    "LoadConfig",
    "LoadResult",
    "MergeResult",
    "Prompt",
    "PromptsError",
    "ScheduleError",
    "Stage",
    "arrival_times",
    "arrivals",
    "choose_prompt",
    "expected_count",
    "load_config",
    "load_prompts",
    "merge_records",
    "parse_config",
    "parse_prompts",
    "read_records",
    "run_load",
    "schedule_end",
    "write_config",
]
