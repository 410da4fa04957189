"""``GET /api/v1/validate``: checks only the API key, like Datadog."""

from ..errors import api_key_only


@api_key_only
def validate_keys(request):
    return 200, {"valid": True}


ROUTES = [
    ("GET", r"/api/v1/validate", validate_keys),
]
