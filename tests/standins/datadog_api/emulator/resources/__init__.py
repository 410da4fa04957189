"""One module per API resource. Each exports ``ROUTES``; see ../../README.md for the interface."""
