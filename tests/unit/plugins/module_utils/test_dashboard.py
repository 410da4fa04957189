# -*- coding: utf-8 -*-
"""Table-driven tests of dashboard validation, normalization and the legacy Timeboard conversion."""

from __future__ import absolute_import, division, print_function

import copy
import glob
import importlib
import os

import datadog_api_client.v1.model as models
import pytest

from ansible_collections.ddlab.observability.plugins.module_utils import dashboard as dash

HOST_QUERY = "avg:my_metric{host:ddlab-local}"
ANOMALY_QUERY = "anomalies(avg:mysql.performance.com_select{*}, 'basic', 2)"
ROLLUP_QUERY = "avg:my_metric{*}.rollup(sum, 3600)"

LEGACY_TIMEBOARD = {
    "title": "Datadog Assignment Timeboard",
    "description": "my_metric and MySQL selects",
    "graphs": [
        {"title": "my_metric on the host",
         "definition": {"viz": "timeseries",
                        "requests": [{"q": HOST_QUERY, "type": "line",
                                      "style": {"palette": "dog_classic", "type": "solid", "width": "normal"}}]}},
        {"title": "MySQL selects with anomalies", "definition": {"viz": "timeseries", "requests": [{"q": ANOMALY_QUERY}]}},
        {"title": "my_metric summed per hour", "definition": {"viz": "query_value",
                                                              "requests": [{"q": ROLLUP_QUERY, "aggregator": "sum"}],
                                                              "precision": 0}},
    ],
    "template_variables": [{"name": "host", "prefix": "host", "default": "ddlab-local"}],
}

NATIVE_DASHBOARD = {
    "title": "Datadog Assignment Timeboard",
    "description": "my_metric and MySQL selects",
    "layout_type": "ordered",
    "widgets": [
        {"definition": {"type": "timeseries", "title": "my_metric on the host",
                        "requests": [{"q": HOST_QUERY, "display_type": "line",
                                      "style": {"palette": "dog_classic", "line_type": "solid",
                                                "line_width": "normal"}}]}},
        {"definition": {"type": "timeseries", "title": "MySQL selects with anomalies",
                        "requests": [{"q": ANOMALY_QUERY}]}},
        {"definition": {"type": "query_value", "title": "my_metric summed per hour",
                        "requests": [{"q": ROLLUP_QUERY, "aggregator": "sum"}], "precision": 0}},
    ],
    "template_variables": [{"name": "host", "prefix": "host", "defaults": ["ddlab-local"]}],
}


def test_legacy_timeboard_gives_native_payload():
    legacy = dash.build_desired(copy.deepcopy(LEGACY_TIMEBOARD))
    native = dash.build_desired(copy.deepcopy(NATIVE_DASHBOARD))
    assert dash.request_body(legacy, None) == dash.request_body(native, None)
    assert dash.differences(legacy, native) == []


def test_legacy_layout_is_ordered():
    legacy = dash.build_desired(copy.deepcopy(LEGACY_TIMEBOARD))
    assert legacy["layout_type"] == "ordered"
    assert [w["definition"]["type"] for w in legacy["widgets"]] == ["timeseries", "timeseries", "query_value"]


LEGACY_GRAPH_CASES = [
    ("bars", {"viz": "timeseries", "requests": [{"q": "a", "type": "bars"}]},
     {"type": "timeseries", "requests": [{"q": "a", "display_type": "bars"}]}),
    ("events", {"viz": "timeseries", "requests": [{"q": "a"}], "events": [{"q": "tags:deploy"}]},
     {"type": "timeseries", "requests": [{"q": "a"}], "events": [{"q": "tags:deploy"}]}),
    ("toplist", {"viz": "toplist", "requests": [{"q": "top(avg:a{*} by {host}, 10, 'mean', 'desc')"}]},
     {"type": "toplist", "requests": [{"q": "top(avg:a{*} by {host}, 10, 'mean', 'desc')"}]}),
    ("heatmap style palette only", {"viz": "heatmap", "requests": [{"q": "a", "style": {"palette": "warm"}}]},
     {"type": "heatmap", "requests": [{"q": "a", "style": {"palette": "warm"}}]}),
]


@pytest.mark.parametrize("definition,expected", [case[1:] for case in LEGACY_GRAPH_CASES],
                         ids=[case[0] for case in LEGACY_GRAPH_CASES])
def test_convert_legacy_graph(definition, expected):
    widget = dash.convert_legacy_graph({"definition": definition}, "graphs[0]")
    assert widget == {"definition": expected}


def widget(layout=None, **definition):
    definition.setdefault("type", "note")
    definition.setdefault("content", "text")
    result = {"definition": definition}
    if layout is not None:
        result["layout"] = layout
    return result


LAYOUT = {"x": 0, "y": 0, "width": 4, "height": 2}

VALID_CASES = [
    ("ordered auto without layouts", {"layout_type": "ordered", "reflow_type": "auto", "widgets": [widget(), widget()]}),
    ("ordered without reflow and without layouts", {"layout_type": "ordered", "widgets": [widget()]}),
    ("ordered without reflow all layouts", {"layout_type": "ordered", "widgets": [widget(LAYOUT), widget(LAYOUT)]}),
    ("ordered fixed with layouts", {"layout_type": "ordered", "reflow_type": "fixed", "widgets": [widget(LAYOUT)]}),
    ("free with layouts", {"layout_type": "free", "widgets": [widget(LAYOUT)]}),
    ("empty widget list", {"layout_type": "ordered", "widgets": []}),
    ("team tags", {"layout_type": "ordered", "widgets": [], "tags": ["team:sre"]}),
]


@pytest.mark.parametrize("dashboard", [case[1] for case in VALID_CASES], ids=[case[0] for case in VALID_CASES])
def test_valid_dashboards(dashboard):
    dash.validate_dashboard(dict(dashboard, title="t"))


# (case, dashboard fields, field named in the error, words in the message)
INVALID_CASES = [
    ("free without layout", {"layout_type": "free", "widgets": [widget()]}, "widgets[0].layout", "layout_type=free"),
    ("fixed without layout", {"layout_type": "ordered", "reflow_type": "fixed", "widgets": [widget(LAYOUT), widget()]},
     "widgets[1].layout", "reflow_type=fixed"),
    ("auto with layout", {"layout_type": "ordered", "reflow_type": "auto", "widgets": [widget(LAYOUT)]},
     "widgets[0].layout", "not allowed"),
    ("auto with layout in a group", {"layout_type": "ordered", "reflow_type": "auto",
                                     "widgets": [widget(type="group", layout_type="ordered",
                                                        widgets=[widget(LAYOUT)])]},
     "widgets[0].definition.widgets[0].layout", "not allowed"),
    ("mixed layouts", {"layout_type": "ordered", "widgets": [widget(LAYOUT), widget()]}, "widgets[1].layout",
     "other widgets"),
    ("reflow on free", {"layout_type": "free", "reflow_type": "fixed", "widgets": [widget(LAYOUT)]}, "reflow_type",
     "ordered"),
    ("unknown reflow", {"layout_type": "ordered", "reflow_type": "sometimes", "widgets": []}, "reflow_type",
     "sometimes"),
    ("unknown layout type", {"layout_type": "grid", "widgets": []}, "layout_type", "grid"),
    ("incomplete layout", {"layout_type": "free", "widgets": [widget({"x": 0, "y": 0})]}, "widgets[0].layout",
     "width"),
    ("widget without definition", {"layout_type": "ordered", "widgets": [{"layout": LAYOUT}]},
     "widgets[0].definition", "type"),
    ("widget unknown key", {"layout_type": "ordered", "widgets": [dict(widget(), title="x")]}, "widgets[0]", "title"),
    ("widgets not a list", {"layout_type": "ordered", "widgets": {"a": 1}}, "widgets", "list"),
    ("non-team tag", {"layout_type": "ordered", "widgets": [], "tags": ["env:prod"]}, "tags", "team:"),
    ("template variable without name", {"layout_type": "ordered", "widgets": [], "template_variables": [{"prefix": "host"}]},
     "template_variables[0].name", "required"),
    ("template variable twice", {"layout_type": "ordered", "widgets": [],
                                 "template_variables": [{"name": "host"}, {"name": "host"}]},
     "template_variables[1].name", "twice"),
    ("template defaults not a list", {"layout_type": "ordered", "widgets": [],
                                      "template_variables": [{"name": "host", "defaults": "web"}]},
     "template_variables[0].defaults", "list"),
    ("negative width", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, width=-4))]}, "widgets[0].layout.width",
     "1 or more"),
    ("width not a number", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, width="wide"))]},
     "widgets[0].layout.width", "'wide'"),
    ("zero height", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, height=0))]}, "widgets[0].layout.height",
     "1 or more"),
    ("negative x", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, x=-1))]}, "widgets[0].layout.x",
     "0 or more"),
    ("fractional y", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, y=1.5))]}, "widgets[0].layout.y",
     "whole number"),
    ("boolean width", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, width=True))]},
     "widgets[0].layout.width", "True"),
    ("unknown layout key", {"layout_type": "free", "widgets": [widget(dict(LAYOUT, depth=1))]}, "widgets[0].layout",
     "depth"),
    ("unknown widget type", {"layout_type": "ordered", "widgets": [widget(type="pie_chart")]},
     "widgets[0].definition.type", "timeseries"),
    ("unknown widget type in a group", {"layout_type": "ordered",
                                        "widgets": [widget(type="group", layout_type="ordered",
                                                           widgets=[widget(type="pie_chart")])]},
     "widgets[0].definition.widgets[0].definition.type", "'pie_chart'"),
]


def test_widget_types_match_datadog_api_client():
    known = set()
    for path in glob.glob(os.path.join(os.path.dirname(models.__file__), "*_widget_definition_type.py")):
        module = importlib.import_module("datadog_api_client.v1.model." + os.path.basename(path)[:-3])
        for name in dir(module):
            if name.endswith("WidgetDefinitionType"):
                known.update(getattr(module, name).allowed_values)
    assert known
    assert set(dash.WIDGET_TYPES) == known


@pytest.mark.parametrize("dashboard,field,words", [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_invalid_dashboards(dashboard, field, words):
    with pytest.raises(dash.DashboardError) as raised:
        dash.validate_dashboard(dict(dashboard, title="t"))
    assert raised.value.field == field
    assert words in str(raised.value)


# (case, module parameters, field named in the error, words in the message)
INVALID_PARAMS = [
    ("no title", {"widgets": []}, "title", "required"),
    ("no widgets", {"title": "t"}, "widgets", "graphs"),
    ("legacy graph without definition", {"title": "t", "graphs": [{"title": "g"}]}, "graphs[0].definition", "viz"),
    ("legacy unknown viz", {"title": "t", "graphs": [{"definition": {"viz": "sunburst", "requests": [{"q": "a"}]}}]},
     "graphs[0].definition.viz", "sunburst"),
    ("legacy request without q", {"title": "t", "graphs": [{"definition": {"viz": "timeseries", "requests": [{}]}}]},
     "graphs[0].definition.requests[0].q", "required"),
    ("legacy unknown request key",
     {"title": "t", "graphs": [{"definition": {"viz": "timeseries", "requests": [{"q": "a", "foo": 1}]}}]},
     "graphs[0].definition.requests[0]", "foo"),
    ("legacy with widgets", {"title": "t", "graphs": [], "widgets": []}, "graphs", "widgets"),
    ("legacy with free layout", {"title": "t", "layout_type": "free", "graphs": []}, "graphs", "layout_type"),
    ("legacy default and defaults",
     {"title": "t", "graphs": [{"definition": {"viz": "timeseries", "requests": [{"q": "a"}]}}],
      "template_variables": [{"name": "h", "default": "a", "defaults": ["a"]}]},
     "template_variables[0]", "not both"),
]


@pytest.mark.parametrize("params,field,words", [case[1:] for case in INVALID_PARAMS],
                         ids=[case[0] for case in INVALID_PARAMS])
def test_invalid_parameters(params, field, words):
    with pytest.raises(dash.DashboardError) as raised:
        dash.build_desired(params)
    assert raised.value.field == field
    assert words in str(raised.value)


def server_copy(dashboard):
    """Return ``dashboard`` as Datadog returns it: with server fields, widget ids and null defaults."""
    answer = copy.deepcopy(dashboard)
    answer.update({"id": "abc-def-ghi", "url": "/dashboard/abc-def-ghi/x", "author_handle": "frog@example.com",
                   "author_name": None, "created_at": "2026-01-01T00:00:00+00:00",
                   "modified_at": "2026-01-01T00:00:00+00:00", "is_read_only": False, "restricted_roles": []})
    answer.setdefault("description", None)
    answer.setdefault("notify_list", None)
    answer.setdefault("template_variables", None)
    for index, item in enumerate(answer["widgets"]):
        item["id"] = 1000 + index
        item["definition"].setdefault("title_align", None)
    return answer


NORMALIZE_CASES = [
    ("server fields ignored", {}, []),
    ("title edited", {"title": "Edited in the UI"}, ["title"]),
    ("description edited", {"description": "x"}, ["description"]),
    ("widget query edited",
     {"widgets": [{"id": 1, "definition": {"type": "timeseries", "requests": [{"q": "avg:other{*}"}]}}]},
     ["widgets"]),
    ("template default edited", {"template_variables": [{"name": "host", "prefix": "host", "defaults": ["other"]}]},
     ["template_variables"]),
    ("deprecated default form", {"template_variables": [{"name": "host", "prefix": "host", "default": "ddlab-local",
                                                         "available_values": None}]}, []),
    ("description cleared", {"description": None}, ["description"]),
]


@pytest.mark.parametrize("edit,expected", [case[1:] for case in NORMALIZE_CASES], ids=[case[0] for case in NORMALIZE_CASES])
def test_differences_against_server_copy(edit, expected):
    desired = dash.build_desired({"title": "Board", "layout_type": "ordered", "description": "Shown on top",
                                  "widgets": [{"definition": {"type": "timeseries", "requests": [{"q": HOST_QUERY}]}}],
                                  "template_variables": [{"name": "host", "prefix": "host", "defaults": ["ddlab-local"]}]})
    current = server_copy(dash.request_body(desired, None))
    current.update(copy.deepcopy(edit))
    assert dash.differences(desired, current) == expected


@pytest.mark.parametrize("server_value", [None, ""])
def test_empty_description_same_as_null(server_value):
    desired = dash.build_desired({"title": "Board", "widgets": [], "description": ""})
    current = server_copy({"title": "Board", "layout_type": "ordered", "widgets": [], "description": server_value})
    assert dash.differences(desired, current) == []


def test_unset_fields_are_not_compared_and_kept():
    desired = dash.build_desired({"title": "Board", "widgets": []})
    current = server_copy({"title": "Board", "layout_type": "ordered", "widgets": [], "description": "kept",
                           "notify_list": ["ops@example.com"], "tags": ["team:sre"]})
    assert dash.differences(desired, current) == []
    body = dash.request_body(dict(desired, title="Renamed"), current)
    assert body["description"] == "kept"
    assert body["notify_list"] == ["ops@example.com"]
    assert body["tags"] == ["team:sre"]
    assert body["title"] == "Renamed"
    assert "id" not in body


def test_update_keeps_unmanaged_fields():
    desired = dash.build_desired({"title": "Board", "widgets": []})
    current = server_copy({"title": "Old", "layout_type": "ordered", "widgets": [],
                           "template_variable_presets": [{"name": "web", "template_variables": []}]})
    current["restricted_roles"] = ["role-uuid"]
    body = dash.request_body(desired, current)
    assert body["restricted_roles"] == ["role-uuid"]
    assert body["template_variable_presets"] == [{"name": "web", "template_variables": []}]
    assert "author_handle" not in body
    assert "url" not in body


def test_group_widget_ids_ignored():
    group = {"definition": {"type": "group", "layout_type": "ordered",
                            "widgets": [{"definition": {"type": "note", "content": "a"}}]}}
    desired = dash.build_desired({"title": "Board", "widgets": [group]})
    current = server_copy(dash.request_body(desired, None))
    current["widgets"][0]["definition"]["widgets"][0]["id"] = 55
    assert dash.differences(desired, current) == []


def test_tags_compared_as_set():
    desired = dash.build_desired({"title": "Board", "widgets": [], "tags": ["team:b", "team:a"]})
    current = server_copy({"title": "Board", "layout_type": "ordered", "widgets": [], "tags": ["team:a", "team:b"]})
    assert dash.differences(desired, current) == []


def test_create_body_has_no_nulls():
    desired = dash.build_desired({"title": "Board", "widgets": [], "description": None})
    assert dash.request_body(desired, None) == {"title": "Board", "layout_type": "ordered", "widgets": []}
