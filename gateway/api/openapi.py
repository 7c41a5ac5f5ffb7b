"""The OpenAPI 3.1 document, generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.api.errors import ERROR_CODES
from gateway.api.models import ErrorOut

_PATH_PARAM = re.compile(r"{(\w+)}")
_REF = "#/components/schemas/{model}"


def _route_models(routes: Sequence[Any]) -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = [ErrorOut]
    for route in routes:
        for model in (route.body, route.response):
            if model is not None and model not in models:
                models.append(model)
    return models


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.pop("description", ""),
            "schema": prop,
        }
        for name, prop in schema["properties"].items()
    ]


def _error(status: int) -> dict[str, Any]:
    return {
        "description": f"{ERROR_CODES.get(status, 'error')}",
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorOut")}}},
    }


def build_openapi(routes: Sequence[Any], prefix: str, version: str) -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "validation") for model in _route_models(routes)], ref_template=_REF
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__ if route.handler else "openapi",
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
                for name in _PATH_PARAM.findall(route.path)
            ],
            "responses": {},
        }
        if route.query is not None:
            operation["parameters"] += _query_parameters(route.query)
        if route.idempotent:
            operation["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "A retry with the same key returns the first answer and "
                    "changes nothing; one racing a first attempt still running on another "
                    "node is answered 409 idempotency_key_in_use: retry it a moment later.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            )
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model=route.body.__name__)}}
                },
            }
        ok: dict[str, Any] = {"description": "OK" if route.status == 200 else "Created"}
        if route.response is not None:
            ok["content"] = {
                "application/json": {"schema": {"$ref": _REF.format(model=route.response.__name__)}}
            }
        elif route.role is None:
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        operation["responses"][str(route.status)] = ok
        statuses = set(route.errors)
        if route.role is not None:
            operation["security"] = [{"bearer": []}]
            statuses |= {401, 403}
        if route.query is not None or route.body is not None:
            statuses.add(422)
        if route.body is not None:
            statuses.add(400)
        if route.idempotent and route.writes:
            statuses.add(409)  # idempotency_key_in_use
        for status in sorted(statuses):
            operation["responses"][str(status)] = _error(status)
        paths.setdefault(prefix + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Intake API",
            "version": version,
            "description": "Tickets, replies, notes and SLA attainment of an Intake gateway. "
            'Errors are {"error": {"code", "message"}}.',
        },
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
