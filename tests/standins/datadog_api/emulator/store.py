"""Emulator state in one JSON file, shared by every process through an fcntl lock.

Layout of the state dict::

    {
      "objects":  {"<kind>": {"<id as string>": {...object as the API returns it...}}},
      "counters": {"<kind>": <last integer id>},
      "requests": [<request log entries, oldest first>],
      "faults":   [<pending fault injections>],
    }

Kinds used so far: ``monitor`` (v1), ``dashboard`` (v1), ``downtime`` (v2).
"""

import contextlib
import copy
import fcntl
import json
import os
import tempfile


def empty_state():
    return {"objects": {}, "counters": {}, "requests": [], "faults": []}


class Store:
    """Read and change the state file; every change runs under an exclusive lock."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.lock_path = self.path + ".lock"
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        if not os.path.exists(self.path):
            with self.transaction():
                pass

    @contextlib.contextmanager
    def _locked(self, mode):
        with open(self.lock_path, "a+") as lock_file:
            fcntl.flock(lock_file, mode)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _load(self):
        try:
            with open(self.path) as handle:
                state = json.load(handle)
        except FileNotFoundError:
            state = empty_state()
        for key, value in empty_state().items():
            state.setdefault(key, value)
        return state

    def snapshot(self):
        """Return a copy of the whole state (read under a shared lock)."""
        with self._locked(fcntl.LOCK_SH):
            return self._load()

    @contextlib.contextmanager
    def transaction(self):
        """Yield the state for changes; it is written back atomically when the block ends without error."""
        with self._locked(fcntl.LOCK_EX):
            state = self._load()
            yield state
            directory = os.path.dirname(self.path)
            fd, temporary = tempfile.mkstemp(dir=directory, prefix=".state-")
            with os.fdopen(fd, "w") as handle:
                json.dump(state, handle, indent=1)
            os.replace(temporary, self.path)

    # Convenience accessors for resource handlers.

    def get_object(self, kind, object_id):
        obj = self.snapshot()["objects"].get(kind, {}).get(str(object_id))
        return copy.deepcopy(obj)

    def list_objects(self, kind):
        return list(self.snapshot()["objects"].get(kind, {}).values())
