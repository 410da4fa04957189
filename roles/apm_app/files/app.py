"""Small Flask app whose requests Datadog APM traces.

Tracing comes only from starting the WSGI server under ``ddtrace-run``. This module imports
nothing from ddtrace and adds no tracing middleware, because instrumenting the app a second way
would trace every request twice.
"""

import logging

from flask import Flask

app = Flask(__name__)
log = logging.getLogger(__name__)


@app.route("/")
def entrypoint():
    log.info("entrypoint requested")
    return "Entrypoint to the Application"


@app.route("/api/apm")
def apm_endpoint():
    log.info("apm endpoint requested")
    return "Getting APM Started"


@app.route("/api/trace")
def trace_endpoint():
    log.info("trace endpoint requested")
    return "Posting Traces"
