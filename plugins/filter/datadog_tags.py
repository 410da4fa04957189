# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: datadog_tags
short_description: Normalize and merge Datadog host tags into a list of strings
version_added: 0.1.0
author: ddlab maintainers
description:
  - Turns host tags written as a list of C(key:value) or bare C(value) strings, a mapping of keys to
    values, or a list mixing both into the list of strings that C(datadog.yaml) expects.
  - Merges a second set of tags deterministically, for example host variables on top of group
    variables. The result keeps the tags of O(_input) in their order, then appends those of O(extra)
    in their order, and drops a tag that is an exact duplicate of an earlier one. Mapping entries
    keep the order in which they are written. Two values for one key (V(role:web) and V(role:db))
    are both kept, because Datadog allows several tags with the same key.
  - Strings, numbers and booleans are accepted as values. Booleans become V(true) or V(false).
    Leading and trailing spaces are removed.
  - Raises an error that names the variable and the tag for a comma-separated string (the Agent reads
    V(great:success, datadogisthebest) as one tag), an empty tag, an empty key or value, a colon in a
    mapping key, a line break or other control character, and a value that is not a scalar.
options:
  _input:
    description: Tags as a list, a mapping or a list mixing strings and mappings. V(null) means no tags.
    type: raw
    required: true
  extra:
    description: Tags in the same forms, appended after O(_input).
    type: raw
  name:
    description: Name of the variable that holds O(_input), used in error messages.
    type: str
    default: tags
  extra_name:
    description: Name of the variable that holds O(extra), used in error messages.
    type: str
    default: extra tags
"""

EXAMPLES = r"""
- name: Render tags from a list and a mapping
  ansible.builtin.debug:
    msg: "{{ ['great:success', 'datadogisthebest'] | ddlab.observability.datadog_tags({'env': 'lab'}) }}"
  # msg: ['great:success', 'datadogisthebest', 'env:lab']

- name: Name the variables so errors point at them
  ansible.builtin.set_fact:
    host_tags: >-
      {{ agent_tags | ddlab.observability.datadog_tags(agent_extra_tags,
         name='agent_tags', extra_name='agent_extra_tags') }}
"""

RETURN = r"""
_value:
  description: The merged tags, each a C(key:value) or bare string, in the order described above.
  type: list
  elements: str
"""

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

_SCALARS = (str, int, float, bool)


def _has_control_character(text):
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


def _scalar_text(value, where):
    """Return the tag text of a key or value, or raise for a type a tag cannot hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        text = str(value)
        # Checked before stripping, so that a trailing line break is reported, not dropped.
        if _has_control_character(text):
            raise AnsibleFilterError(
                f"{where}: tag {value!r} contains a line break or another control character. "
                "Write the tag on one line."
            )
        return text.strip()
    raise AnsibleFilterError(
        f"{where}: {value!r} is a {_kind(value)}, not a scalar. A tag key or value must be a "
        "string, number or boolean; for several values of one key write one tag per value, "
        "for example ['role:web', 'role:db']."
    )


def _kind(value):
    """Name the YAML kind of ``value``; Ansible's lazy containers have internal class names."""
    if isinstance(value, Mapping):
        return "mapping (dict)"
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return "list"
    return type(value).__name__


def _check_text(text, where, original):
    if "," in text:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        raise AnsibleFilterError(
            f"{where}: tag {original!r} contains a comma, and the Agent would read it as one tag. "
            f"Write each tag as its own list item: {parts!r}."
        )


def _tag_from_string(text, where):
    original = text
    text = _scalar_text(text, where)
    _check_text(text, where, original)
    if not text:
        raise AnsibleFilterError(f"{where}: tag {original!r} is empty. Remove it or give it a value.")
    key, colon, value = text.partition(":")
    if colon and not key.strip():
        raise AnsibleFilterError(
            f"{where}: tag {original!r} has an empty key. Write 'key:value' or a bare 'value'."
        )
    if colon and not value.strip():
        raise AnsibleFilterError(
            f"{where}: tag {original!r} has an empty value after the colon. Write 'key:value' or a bare 'key'."
        )
    return text


def _tags_from_mapping(mapping, where):
    tags = []
    for raw_key, raw_value in mapping.items():
        entry = f"{where}[{raw_key!r}]"
        if raw_key is None:
            raise AnsibleFilterError(f"{entry}: the key is empty. Write 'key: value'.")
        key = _scalar_text(raw_key, entry)
        if not key:
            raise AnsibleFilterError(f"{entry}: the key is empty (value {raw_value!r}). Write 'key: value'.")
        if raw_value is None:
            raise AnsibleFilterError(
                f"{entry}: the value of key {key!r} is empty. Give it a value, or list {key!r} as a bare tag."
            )
        value = _scalar_text(raw_value, entry)
        as_written = f"{raw_key}: {raw_value!r}"
        _check_text(key, entry, as_written)
        _check_text(value, entry, as_written)
        if ":" in key:
            raise AnsibleFilterError(
                f"{entry}: key {key!r} contains a colon, so the tag would be ambiguous. Use a key without ':'."
            )
        if not value:
            raise AnsibleFilterError(
                f"{entry}: the value of key {key!r} is empty. Give it a value, or list {key!r} as a bare tag."
            )
        tags.append(f"{key}:{value}")
    return tags


def _normalize(tags, name):
    if tags is None:
        return []
    if isinstance(tags, str):
        if "," in tags:
            parts = [part.strip() for part in tags.split(",") if part.strip()]
            raise AnsibleFilterError(
                f"{name}: {tags!r} is a comma-separated string, and the Agent would read it as one tag. "
                f"Write a YAML list instead: {parts!r}."
            )
        raise AnsibleFilterError(
            f"{name}: expected a list or a mapping of tags, got the string {tags!r}. "
            f"Write a YAML list instead: [{tags!r}]."
        )
    if isinstance(tags, Mapping):
        return _tags_from_mapping(tags, name)
    if not isinstance(tags, Sequence):
        raise AnsibleFilterError(
            f"{name}: expected a list or a mapping of tags, got a {_kind(tags)} {tags!r}."
        )

    normalized = []
    for index, item in enumerate(tags):
        where = f"{name}[{index}]"
        if isinstance(item, Mapping):
            normalized.extend(_tags_from_mapping(item, where))
        elif item is None:
            raise AnsibleFilterError(f"{where}: tag is empty (null). Remove it or give it a value.")
        elif isinstance(item, _SCALARS):
            normalized.append(_tag_from_string(item, where))
        else:
            _scalar_text(item, where)
    return normalized


def datadog_tags(tags, extra=None, name="tags", extra_name="extra tags"):
    """Normalize two tag sources and merge them: first ``tags``, then ``extra``, without duplicates."""
    merged = []
    seen = set()
    for tag in _normalize(tags, name) + _normalize(extra, extra_name):
        if tag not in seen:
            seen.add(tag)
            merged.append(tag)
    return merged


class FilterModule:
    """Datadog tag filters."""

    def filters(self):
        return {"datadog_tags": datadog_tags}
