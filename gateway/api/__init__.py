"""The JSON API under /api/v1: staff work tickets with a bearer token (see `routes.py`)."""

from gateway.api.app import API_PREFIX, build_api
from gateway.api.endpoint import ApiContext

__all__ = ["API_PREFIX", "ApiContext", "build_api"]
