"""Datadog Agent check that submits the gauge my_metric, a random integer from 0 to 1000."""

import random

try:
    # Agent 6.6 and later ship the check base as the datadog_checks.base package.
    from datadog_checks.base import AgentCheck
except ImportError:
    # Older Agents provide it as the top-level checks module.
    from checks import AgentCheck

__version__ = "1.0.0"

METRIC_NAME = "my_metric"
MIN_VALUE = 0
MAX_VALUE = 1000


class MyMetricCheck(AgentCheck):
    """Agent check that submits one my_metric gauge per run, tagged with the instance's tags."""

    def check(self, instance):
        tags = list(instance.get("tags") or [])
        # randint includes both bounds.
        self.gauge(METRIC_NAME, random.randint(MIN_VALUE, MAX_VALUE), tags=tags)
