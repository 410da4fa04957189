"""Bad host tags fail the agent role before it writes anything; good ones merge as documented."""

import pytest
import yaml

import agent_runner
from agent_runner import (
    CONFIG_PATH,
    KEYRING_PATH,
    SOURCE_PATH,
    count_starts,
    explain,
    file_state,
    recap_counts,
    run_agent_playbook,
)

converged_agent = agent_runner.converged_agent
pytestmark = pytest.mark.usefixtures("converged_agent")

# (case, extra vars, fragments the error output must contain)
BAD_TAGS = [
    ("comma string", {"agent_tags": "great:success, datadogisthebest"},
     ["agent_tags:", "great:success, datadogisthebest", "comma-separated"]),
    ("comma inside list item", {"agent_tags": ["env:lab", "great:success, datadogisthebest"]},
     ["agent_tags[1]", "great:success, datadogisthebest", "comma"]),
    ("empty key in string", {"agent_tags": [":lab"]}, ["agent_tags[0]", ":lab", "empty key"]),
    ("empty key in mapping", {"agent_tags": {"": "lab"}}, ["agent_tags['']", "key is empty"]),
    ("newline in value", {"agent_tags": {"env": "lab\nprod"}}, ["agent_tags['env']", "line break"]),
    ("newline in list item", {"agent_tags": ["env:lab\n"]}, ["agent_tags[0]", "line break"]),
    ("list as value", {"agent_tags": {"roles": ["web", "db"]}}, ["agent_tags['roles']", "not a scalar"]),
    ("mapping as value", {"agent_tags": [{"env": {"name": "lab"}}]}, ["agent_tags[0]['env']", "not a scalar"]),
    ("bad extra tags", {"agent_extra_tags": ["team:sre, team:ops"]}, ["agent_extra_tags[0]", "comma"]),
    ("receiver port too high", {"agent_apm_receiver_port": 70000}, ["agent_apm_receiver_port 70000", "1 to 65535"]),
    ("receiver port negative", {"agent_apm_receiver_port": -1}, ["agent_apm_receiver_port -1", "1 to 65535"]),
    ("newline in site", {"agent_site": "datadoghq.com\nfoo: bar"}, ["agent_site", "datadoghq.eu"]),
    ("newline in hostname", {"agent_hostname": "host\napi_key: evil"}, ["agent_hostname", "letters, digits"]),
]


@pytest.mark.parametrize("case, extra_vars, fragments", BAD_TAGS, ids=[row[0] for row in BAD_TAGS])
def test_bad_tags_fail_before_writing(case, extra_vars, fragments):
    watched = [CONFIG_PATH, KEYRING_PATH, SOURCE_PATH]
    before = {path: file_state(path) for path in watched}
    starts_before = count_starts()

    result = run_agent_playbook(extra_vars)

    output = result.stdout + result.stderr
    assert result.returncode != 0, explain(result)
    for fragment in fragments:
        assert fragment in output, explain(result)
    assert recap_counts(result.stdout)["changed"] == 0
    for path in watched:
        assert file_state(path) == before[path], path
    assert count_starts() == starts_before


def test_tags_merge_written_as_strings():
    starts_before = count_starts()
    result = run_agent_playbook({
        "agent_tags": ["great:success", {"env": "lab"}, "datadogisthebest", 42],
        "agent_extra_tags": {"env": "lab", "team": "sre", "canary": True},
    })
    assert result.returncode == 0, explain(result)
    with open(CONFIG_PATH, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    assert config["tags"] == ["great:success", "env:lab", "datadogisthebest", "42", "team:sre", "canary:true"]
    assert count_starts() == starts_before + 1
