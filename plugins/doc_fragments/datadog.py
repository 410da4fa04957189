# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every Datadog API module; the matching argument spec is
    # datadog_argument_spec() in plugins/module_utils/datadog_api.py.
    DOCUMENTATION = r"""
options:
  api_key:
    description:
      - Datadog API key of the organization.
      - If not set, the value of the E(DD_API_KEY) environment variable is used. An empty value is an error.
    type: str
    required: true
  app_key:
    description:
      - Datadog application key, which the API needs to read and write monitors, dashboards and downtimes.
      - If not set, the value of the E(DD_APP_KEY) environment variable is used. An empty value is an error.
    type: str
    required: true
  site:
    description:
      - Datadog site of the organization; selects the API host, for example V(datadoghq.eu) calls
        U(https://api.datadoghq.eu).
      - If not set, the value of the E(DD_SITE) environment variable is used.
      - Ignored for API calls when O(api_url) is set.
    type: str
    default: datadoghq.com
    choices:
      - datadoghq.com
      - us3.datadoghq.com
      - us5.datadoghq.com
      - datadoghq.eu
      - ap1.datadoghq.com
      - ap2.datadoghq.com
      - ddog-gov.com
  api_url:
    description:
      - Base URL of the API, without C(/api/v1), to reach Datadog through a proxy or a local API emulator,
        for example V(http://127.0.0.1:8702).
      - When set, it replaces the host derived from O(site), and links in the results point to it.
      - Must have the form C(scheme://host[:port]) with scheme C(http) or C(https) and no path; an invalid
        URL or one with a path such as C(/api/v1) fails before any API call.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API host.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each API response before the request counts as timed out.
      - Timed-out reads and dropped connections are retried with exponential backoff for at most
        60 seconds in total.
      - A create is never sent twice while the first may still be running. After a dropped connection or
        an HTTP 5xx, the module looks the object up and sends the create again only when it is absent.
        After a timeout, it polls for the object for O(timeout) plus 5 seconds and does not send the
        create again; when the object does not appear, the task fails, and a later run finds the object
        or creates it.
    type: float
    default: 30
requirements:
  - datadog (datadogpy) Python package on the host that runs the module (usually the controller)
notes:
  - Keys are not checked up front. When Datadog rejects a call with HTTP 401 or 403, the module calls
    C(GET /api/v1/validate) once, so that its error names the rejected key (API key or application key).
    Every module reads before it writes, so no write is sent with a rejected key.
  - Responses with HTTP 429 are retried after the number of seconds in C(X-RateLimit-Reset), at most 30
    seconds per wait.
"""
