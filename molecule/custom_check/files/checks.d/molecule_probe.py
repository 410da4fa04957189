"""Second check of the custom_check scenario: deployed and then removed by the tests."""

try:
    from datadog_checks.base import AgentCheck
except ImportError:
    from checks import AgentCheck


class MoleculeProbeCheck(AgentCheck):
    def check(self, instance):
        self.gauge("molecule_probe.up", 1, tags=list(instance.get("tags") or []))
