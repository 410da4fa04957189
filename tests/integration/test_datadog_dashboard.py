"""datadog_dashboard against the Datadog API emulator: lifecycle, legacy form, invalid inputs."""

import copy

import pytest

from module_runner import connection, run_module, run_tasks, wait_for_faulted_requests

MODULE = "ddlab.observability.datadog_dashboard"
TITLE = "Datadog Assignment Timeboard"
WIDGETS = [
    {"definition": {"type": "timeseries", "title": "my_metric on web-1",
                    "requests": [{"q": "avg:my_metric{host:web-1}", "display_type": "line"}]}},
    {"definition": {"type": "timeseries", "title": "MySQL SELECT rate with anomaly band",
                    "requests": [{"q": "anomalies(avg:mysql.performance.com_select{*}, 'basic', 2)"}]}},
    {"definition": {"type": "timeseries", "title": "my_metric summed per hour",
                    "requests": [{"q": "avg:my_metric{*}.rollup(sum, 3600)", "display_type": "bars"}]}},
]
TEMPLATE_VARIABLES = [{"name": "host", "prefix": "host", "defaults": ["web-1"]}]
LEGACY_GRAPHS = [
    {"title": "my_metric on web-1", "definition": {"viz": "timeseries",
                                                   "requests": [{"q": "avg:my_metric{host:web-1}", "type": "line"}]}},
    {"title": "MySQL SELECT rate with anomaly band",
     "definition": {"viz": "timeseries",
                    "requests": [{"q": "anomalies(avg:mysql.performance.com_select{*}, 'basic', 2)"}]}},
    {"title": "my_metric summed per hour",
     "definition": {"viz": "timeseries", "requests": [{"q": "avg:my_metric{*}.rollup(sum, 3600)", "type": "bars"}]}},
]


def timeboard_task(emulator, **overrides):
    arguments = dict(connection(emulator), title=TITLE, identity="assignment-timeboard",
                     description="Three graphs", layout_type="ordered", reflow_type="auto",
                     widgets=copy.deepcopy(WIDGETS), template_variables=copy.deepcopy(TEMPLATE_VARIABLES))
    arguments.update(overrides)
    arguments = {key: value for key, value in arguments.items() if value is not None}
    return {"name": "Timeboard", MODULE: arguments}


def run_one(run_playbook, task, **options):
    result = run_tasks(run_playbook, [task], **options)[0]
    assert not result.get("failed"), result.get("msg")
    return result


def test_dashboard_lifecycle(datadog_emulator, run_playbook):
    task = timeboard_task(datadog_emulator)

    predicted_create = run_one(run_playbook, task, check=True)
    assert predicted_create["changed"] is True
    assert datadog_emulator.write_requests() == []
    created = run_one(run_playbook, task)
    assert created["changed"] is True
    assert created["dashboard"] == predicted_create["dashboard"]
    dashboard_id = created["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]
    stored = datadog_emulator.get_object("dashboard", dashboard_id)
    assert stored["title"] == TITLE
    assert stored["layout_type"] == "ordered"
    assert [w["definition"]["requests"][0]["q"] for w in stored["widgets"]] == [
        "avg:my_metric{host:web-1}",
        "anomalies(avg:mysql.performance.com_select{*}, 'basic', 2)",
        "avg:my_metric{*}.rollup(sum, 3600)",
    ]
    assert stored["template_variables"] == TEMPLATE_VARIABLES
    assert created["url"].startswith(datadog_emulator.url + "/dashboard/%s/" % dashboard_id)

    datadog_emulator.clear_requests()
    again = run_one(run_playbook, task)
    assert again["changed"] is False
    assert again["id"] == dashboard_id
    assert datadog_emulator.write_requests() == []

    # A rename in the UI: the identity key still finds the dashboard.
    datadog_emulator.patch_object("dashboard", dashboard_id, {"title": "Renamed in the UI"})
    datadog_emulator.clear_requests()
    predicted = run_one(run_playbook, task, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["changed_paths"] == ["title"]
    assert predicted["diff"]["before"]["title"] == "Renamed in the UI"
    assert predicted["diff"]["after"]["title"] == TITLE
    assert datadog_emulator.write_requests() == []
    assert datadog_emulator.get_object("dashboard", dashboard_id)["title"] == "Renamed in the UI"

    restored = run_one(run_playbook, task)
    assert restored["changed"] is True
    assert restored["id"] == dashboard_id
    assert restored["dashboard"] == predicted["dashboard"]
    assert restored["changed_paths"] == predicted["changed_paths"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["PUT"]
    assert datadog_emulator.get_object("dashboard", dashboard_id)["title"] == TITLE
    assert len(datadog_emulator.objects("dashboard")) == 1

    datadog_emulator.clear_requests()
    assert run_one(run_playbook, task, check=True)["changed"] is False
    assert datadog_emulator.write_requests() == []

    absent_task = {"name": "Timeboard", MODULE: dict(connection(datadog_emulator), title=TITLE,
                                                     identity="assignment-timeboard", state="absent")}
    checked_absent = run_one(run_playbook, absent_task, check=True)
    assert checked_absent["changed"] is True
    assert datadog_emulator.write_requests() == []
    removed = run_one(run_playbook, absent_task)
    assert removed["changed"] is True
    assert datadog_emulator.objects("dashboard") == []
    datadog_emulator.clear_requests()
    assert run_one(run_playbook, absent_task)["changed"] is False
    assert datadog_emulator.write_requests() == []


def test_widget_edit_detected_and_restored(datadog_emulator, run_playbook):
    task = timeboard_task(datadog_emulator, identity=None)
    dashboard_id = run_one(run_playbook, task)["id"]
    stored = datadog_emulator.get_object("dashboard", dashboard_id)
    stored["widgets"][2]["definition"]["requests"][0]["q"] = "avg:my_metric{*}.rollup(avg, 60)"
    datadog_emulator.put_object("dashboard", dashboard_id, stored)
    datadog_emulator.clear_requests()

    predicted = run_one(run_playbook, task, check=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["changed_paths"] == ["widgets"]
    assert datadog_emulator.write_requests() == []

    assert run_one(run_playbook, task)["changed"] is True
    restored = datadog_emulator.get_object("dashboard", dashboard_id)
    assert restored["widgets"][2]["definition"]["requests"][0]["q"] == "avg:my_metric{*}.rollup(sum, 3600)"


def test_legacy_timeboard_same_as_native(datadog_emulator, run_playbook):
    legacy = timeboard_task(datadog_emulator, widgets=None, layout_type=None, reflow_type=None,
                            graphs=copy.deepcopy(LEGACY_GRAPHS),
                            template_variables=[{"name": "host", "prefix": "host", "default": "web-1"}])
    created = run_one(run_playbook, legacy)
    assert created["changed"] is True
    datadog_emulator.clear_requests()

    native = timeboard_task(datadog_emulator, reflow_type=None)
    same = run_one(run_playbook, native)
    assert same["changed"] is False
    assert same["id"] == created["id"]
    assert datadog_emulator.write_requests() == []


def test_duplicate_titles_fail_with_ids(datadog_emulator, tmp_path):
    body = {"title": TITLE, "layout_type": "ordered", "widgets": []}
    first = datadog_emulator.api("POST", "/api/v1/dashboard", body)[1]["id"]
    second = datadog_emulator.api("POST", "/api/v1/dashboard", body)[1]["id"]
    datadog_emulator.clear_requests()
    result = run_module(tmp_path, "datadog_dashboard", dict(connection(datadog_emulator), title=TITLE, widgets=[]))
    assert result["failed"] is True
    assert sorted(result["ids"]) == sorted([first, second])
    assert first in result["msg"]
    assert second in result["msg"]
    assert datadog_emulator.write_requests() == []


LAYOUT = {"x": 0, "y": 0, "width": 4, "height": 2}
NOTE = {"definition": {"type": "note", "content": "text"}}

# (case, module arguments without the connection, words the failure message must contain)
INVALID_INPUTS = [
    ("free layout without widget layout", {"title": "t", "layout_type": "free", "widgets": [NOTE]},
     "widgets[0].layout"),
    ("fixed reflow without widget layout", {"title": "t", "reflow_type": "fixed", "widgets": [NOTE]},
     "reflow_type=fixed"),
    ("auto reflow with widget layout", {"title": "t", "reflow_type": "auto", "widgets": [dict(NOTE, layout=LAYOUT)]},
     "not allowed with reflow_type=auto"),
    ("reflow on a free layout", {"title": "t", "layout_type": "free", "reflow_type": "auto",
                                 "widgets": [dict(NOTE, layout=LAYOUT)]}, "reflow_type"),
    ("widget without type", {"title": "t", "widgets": [{"definition": {"content": "x"}}]}, "widgets[0].definition"),
    ("unknown widget key", {"title": "t", "widgets": [dict(NOTE, size="big")]}, "size"),
    ("non-team tag", {"title": "t", "widgets": [], "tags": ["env:prod"]}, "team:"),
    ("empty title", {"title": " ", "widgets": []}, "title"),
    ("widgets and graphs", {"title": "t", "widgets": [], "graphs": []}, "mutually exclusive"),
    ("no widgets", {"title": "t"}, "widgets"),
    ("legacy graph unknown viz", {"title": "t", "graphs": [{"title": "g", "definition": {"viz": "sunburst",
                                                                                         "requests": [{"q": "a"}]}}]},
     "graphs[0].definition.viz"),
    ("legacy request without q", {"title": "t", "graphs": [{"definition": {"viz": "timeseries", "requests": [{}]}}]},
     "graphs[0].definition.requests[0].q"),
    ("legacy graphs with free layout", {"title": "t", "layout_type": "free", "graphs": [
        {"definition": {"viz": "timeseries", "requests": [{"q": "a"}]}}]}, "layout_type"),
    ("template variable without name", {"title": "t", "widgets": [], "template_variables": [{"prefix": "host"}]},
     "template_variables[0].name"),
    ("identity on two lines", {"title": "t", "widgets": [], "identity": "a\nb"}, "identity"),
    ("unknown layout type", {"title": "t", "layout_type": "grid", "widgets": []}, "layout_type"),
    ("present without title", {"id": "abc-def-ghi", "widgets": []}, "title"),
    ("negative width", {"title": "t", "layout_type": "free", "widgets": [dict(NOTE, layout=dict(LAYOUT, width=-4))]},
     "widgets[0].layout.width"),
    ("width not a number", {"title": "t", "layout_type": "free",
                            "widgets": [dict(NOTE, layout=dict(LAYOUT, width="wide"))]}, "'wide'"),
    ("unknown widget type", {"title": "t", "widgets": [{"definition": {"type": "pie_chart"}}]},
     "widgets[0].definition.type: 'pie_chart' is not a widget type"),
    ("empty id", {"title": "t", "widgets": [], "id": ""}, "id is empty"),
    ("empty api_key", {"title": "t", "widgets": [], "api_key": ""}, "api_key is empty: set api_key or DD_API_KEY"),
    ("api_url with a path", {"title": "t", "widgets": [], "api_url": "http://127.0.0.1:9/api/v1"}, "base URL"),
]


@pytest.mark.parametrize("arguments,words", [case[1:] for case in INVALID_INPUTS], ids=[case[0] for case in INVALID_INPUTS])
def test_invalid_input_makes_no_call(datadog_emulator, tmp_path, arguments, words):
    result = run_module(tmp_path, "datadog_dashboard", dict(connection(datadog_emulator), **arguments))
    assert result.get("failed") is True
    assert words in result["msg"]
    assert datadog_emulator.requests() == []


def test_unknown_id_fails_without_write(datadog_emulator, tmp_path):
    result = run_module(tmp_path, "datadog_dashboard", dict(connection(datadog_emulator), id="abc-def-ghi",
                                                            title=TITLE, widgets=[]))
    assert result["failed"] is True
    assert "abc-def-ghi" in result["msg"]
    assert datadog_emulator.write_requests() == []


def test_null_defaults_and_tag_order_no_op(datadog_emulator, tmp_path):
    arguments = dict(connection(datadog_emulator), title="Board with defaults", description="", notify_list=[],
                     template_variables=[], tags=["team:b", "team:a"], widgets=[NOTE])
    first = run_module(tmp_path, "datadog_dashboard", arguments)
    assert first["changed"] is True
    datadog_emulator.clear_requests()
    second = run_module(tmp_path, "datadog_dashboard", arguments)
    assert second["changed"] is False
    assert datadog_emulator.write_requests() == []


def test_dropped_create_makes_one_dashboard(datadog_emulator, tmp_path):
    datadog_emulator.add_fault("drop_after_commit", method="POST", path="^/api/v1/dashboard$")
    result = run_module(tmp_path, "datadog_dashboard", dict(connection(datadog_emulator), title=TITLE,
                                                            identity="assignment-timeboard", widgets=[NOTE]))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    (stored,) = datadog_emulator.objects("dashboard")
    assert result["id"] == stored["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]


def test_slow_create_makes_one_dashboard(datadog_emulator, tmp_path):
    datadog_emulator.add_fault("delay", method="POST", path="^/api/v1/dashboard$", seconds=3)
    result = run_module(tmp_path, "datadog_dashboard", dict(connection(datadog_emulator), title=TITLE, timeout=1,
                                                            identity="assignment-timeboard", widgets=[NOTE]))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    wait_for_faulted_requests(datadog_emulator, "delay")
    (stored,) = datadog_emulator.objects("dashboard")
    assert result["id"] == stored["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]


# The emulator's strict pass reaches into widget definitions (a oneOf): unknown keys answer 400 as in Datadog.
@pytest.mark.parametrize("definition, key", [
    ({"type": "note", "content": "text", "size": "big"}, "size"),
    ({"type": "timeseries", "requests": [{"q": "avg:my_metric{*}", "colour": "red"}]}, "colour"),
    ({"type": "group", "layout_type": "ordered", "widgets": [{"definition": {"type": "note", "content": "x",
                                                                             "size": "big"}}]}, "size"),
])
def test_emulator_rejects_unknown_definition_keys(datadog_emulator, definition, key):
    status, body, _headers = datadog_emulator.api("POST", "/api/v1/dashboard", {
        "title": TITLE, "layout_type": "ordered", "widgets": [{"definition": definition}]})
    assert status == 400, body
    assert "'%s' was unexpected" % key in body["errors"][0]
    assert datadog_emulator.objects("dashboard") == []
