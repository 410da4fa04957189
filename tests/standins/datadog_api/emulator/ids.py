"""Identifiers and timestamps in the formats Datadog uses."""

import datetime
import random
import string
import uuid

# Dashboard ids look like "abc-def-ghi": three groups of three lowercase letters or digits.
_DASHBOARD_ID_ALPHABET = string.ascii_lowercase + string.digits


def next_int_id(state, kind, start=100000000):
    """Return the next integer id for ``kind`` (monitors: 9-digit integers, increasing)."""
    counters = state.setdefault("counters", {})
    if kind not in counters:
        counters[kind] = start + random.randint(0, 9999999)
    counters[kind] += random.randint(1, 97)
    return counters[kind]


def dashboard_id():
    """Return a new dashboard id such as ``6bg-rgq-fxc``."""
    groups = []
    for group in range(3):
        groups.append("".join(random.choice(_DASHBOARD_ID_ALPHABET) for position in range(3)))
    return "-".join(groups)


def time_uuid():
    """Return a time-based UUID string, the format of v2 downtime ids."""
    return str(uuid.uuid1())


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso_now():
    """Return the current UTC time as Datadog writes it: ``2023-01-09T10:07:16.513455+00:00``."""
    return now().isoformat()


def epoch_millis():
    return int(now().timestamp()) * 1000
