"""Errors and markers that let resource handlers respond like Datadog: ``ApiError`` and the ``api_key_only`` marker."""


class ApiError(Exception):
    """An API failure, sent as ``status`` with the body ``{"errors": errors}``.

    ``headers`` adds response headers, for example the rate-limit headers of a 429.
    """

    def __init__(self, status, errors, headers=None):
        if isinstance(errors, str):
            errors = [errors]
        super().__init__("HTTP %s: %s" % (status, "; ".join(errors)))
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def body(self):
        return {"errors": self.errors}


def api_key_only(handler):
    """Mark a handler that needs only DD-API-KEY (like ``GET /api/v1/validate``), not the application key."""
    handler.api_key_only = True
    return handler
