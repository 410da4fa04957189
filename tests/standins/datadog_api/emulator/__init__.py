"""Local stand-in for the Datadog API: see ../README.md for the routes, the resource interface and the admin API."""
