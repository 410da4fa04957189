# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: datadog_agent_version
short_description: Turn a Datadog Agent version into the Debian package version to pin
version_added: 0.1.0
author: ddlab maintainers
description:
  - Accepts the version as Datadog writes it (V(7.52.0)) or as the Debian package has it
    (V(1:7.52.0-1)), and returns the Debian package version. Datadog's packages use epoch V(1)
    and Debian revision V(1), which are added when missing.
  - An empty value or V(null) returns an empty string, meaning no pin.
  - Raises an error for anything that is not such a version, and for another major version than O(major).
options:
  _input:
    description: The version, for example V(7.52.0), V(1:7.52.0-1) or V(7.53.0~rc.2-1).
    type: raw
    required: true
  major:
    description: The Agent major version that the result must have.
    type: int
    default: 7
  name:
    description: Name of the variable that holds O(_input), used in error messages.
    type: str
    default: version
"""

EXAMPLES = r"""
- name: Pin the package version
  ansible.builtin.debug:
    msg: "datadog-agent={{ '7.52.0' | ddlab.observability.datadog_agent_version }}"
  # msg: datadog-agent=1:7.52.0-1
"""

RETURN = r"""
_value:
  description: The Debian package version, such as V(1:7.52.0-1), or an empty string when no version is given.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

# epoch (optional) : upstream (major.minor.patch, optional ~pre-release) - Debian revision (optional)
_VERSION = re.compile(
    r"^(?:(?P<epoch>\d+):)?(?P<upstream>(?P<major>\d+)\.\d+\.\d+(?:~[0-9A-Za-z.+]+)?)(?:-(?P<revision>[0-9A-Za-z.+~]+))?$"
)


def datadog_agent_version(version, major=7, name="version"):
    """Return the Debian package version for a Datadog Agent version, or '' for no pin."""
    if version is None:
        return ""
    if not isinstance(version, str):
        raise AnsibleFilterError(
            f"{name}: {version!r} is a {type(version).__name__}; quote the version in YAML, for example '7.52.0'."
        )
    text = version.strip()
    if not text:
        return ""
    match = _VERSION.match(text)
    if not match:
        raise AnsibleFilterError(
            f"{name}: {version!r} is not an Agent version. Write it as 7.52.0 or 1:7.52.0-1, "
            "or leave it empty to install the newest version."
        )
    if int(match.group("major")) != int(major):
        raise AnsibleFilterError(
            f"{name}: {version!r} is Agent {match.group('major')}, but this role installs Agent {major}."
        )
    epoch = match.group("epoch") or "1"
    revision = match.group("revision") or "1"
    return f"{epoch}:{match.group('upstream')}-{revision}"


class FilterModule:
    """Datadog Agent version filters."""

    def filters(self):
        return {"datadog_agent_version": datadog_agent_version}
