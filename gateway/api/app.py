"""The API as an aiohttp sub-application: its route table, error middleware and OpenAPI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api import handlers
from gateway.api.endpoint import ApiContext, Route, endpoint
from gateway.api.errors import json_errors
from gateway.api.models import (
    NoteRequest,
    ReplyOut,
    ReplyRequest,
    SlaReport,
    SlaReportQuery,
    TicketDetail,
    TicketListQuery,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from gateway.api.openapi import build_openapi

API_PREFIX = "/api/v1"
API_VERSION = "1.0.0"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/openapi.json", None, "This document.", role=None),
    Route(
        "GET",
        "/tickets",
        handlers.list_tickets,
        "List tickets, newest first, a page at a time.",
        query=TicketListQuery,
        response=TicketPage,
        errors=(400,),
    ),
    Route(
        "GET",
        "/tickets/{number}",
        handlers.get_ticket,
        "A ticket with its messages, events and clocks.",
        response=TicketDetail,
        errors=(404,),
    ),
    Route(
        "POST",
        "/tickets/{number}/replies",
        handlers.post_reply,
        "Reply to the customer (email or SMS, through the outbox).",
        body=ReplyRequest,
        response=ReplyOut,
        status=201,
        writes=True,
        errors=(404, 409),
    ),
    Route(
        "POST",
        "/tickets/{number}/notes",
        handlers.post_note,
        "Add an internal note (never sent to the customer).",
        body=NoteRequest,
        response=ReplyOut,
        status=201,
        writes=True,
        errors=(404,),
    ),
    Route(
        "PATCH",
        "/tickets/{number}",
        handlers.patch_ticket,
        "Change the status, the priority (lead or admin; with a reason) or the assignee.",
        body=TicketPatch,
        response=TicketOut,
        writes=True,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/sla/report",
        handlers.sla_report,
        "Attainment per policy, priority and clock for tickets received in a period (lead).",
        role="lead",
        query=SlaReportQuery,
        response=SlaReport,
    ),
)


def build_api(context: ApiContext, routes: tuple[Route, ...] = ROUTES) -> web.Application:
    api = web.Application(middlewares=[json_errors])
    document = build_openapi(routes, API_PREFIX, API_VERSION)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(document)

    for route in routes:
        handle: Any = endpoint(route, context) if route.handler else openapi
        api.router.add_route(route.method, route.path, handle)
    return api
