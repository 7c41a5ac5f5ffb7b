"""The HTTP side of the gateway: health, Prometheus metrics, and the routes others add."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.metrics import Metrics
from gateway.store import Store, StoreUnavailable
from gateway.store.inbox import inbox_counts
from gateway.store.outbox import outbox_counts

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
METRICS = web.AppKey("metrics", Metrics)


@web.middleware
async def database_unavailable(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Any route, the database gone: 503 (the caller retries; nothing was committed)."""
    try:
        return await handler(request)
    except StoreUnavailable as exc:
        log.error("%s %s: %s", request.method, request.path, exc)
        raise web.HTTPServiceUnavailable(text="database unavailable, try again later") from None


def build_http_app(store: Store, metrics: Metrics, *, max_body: int) -> web.Application:
    app = web.Application(client_max_size=max_body, middlewares=[database_unavailable])
    app[STORE] = store
    app[METRICS] = metrics
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)
    return app


async def _refresh_gauges(store: Store, metrics: Metrics) -> tuple[dict[str, int], dict[str, int]]:
    inbox = await store.read(inbox_counts)
    outbox = await store.read(outbox_counts)
    metrics.inbox_pending.set(inbox.get("new", 0))
    metrics.outbox_pending.set(outbox.get("pending", 0))
    metrics.outbox_failed_total.set(outbox.get("failed", 0))
    metrics.outbox_unconfirmed_rows.set(outbox.get("unconfirmed", 0))
    return inbox, outbox


async def healthz(request: web.Request) -> web.Response:
    try:
        inbox, outbox = await _refresh_gauges(request.app[STORE], request.app[METRICS])
    except Exception as exc:
        log.exception("health check failed")
        return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
    return web.json_response({"status": "ok", "inbox": inbox, "outbox": outbox})


async def prometheus(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    try:
        await _refresh_gauges(request.app[STORE], metrics)
    except Exception:  # stale gauges beat no metrics at all
        log.exception("could not refresh gauges")
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
