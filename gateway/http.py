"""The HTTP side of the gateway: health, Prometheus metrics, and the routes others add.

`/healthz` and `/metrics` are admin routes: on the public (webhook) app by default, or on an
app of their own when `[http] admin_listen` is set, so they need not be exposed publicly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.health import Health
from gateway.metrics import Metrics
from gateway.store import Store, StoreUnavailable
from gateway.store.inbox import inbox_counts
from gateway.store.outbox import outbox_counts

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
METRICS = web.AppKey("metrics", Metrics)
HEALTH = web.AppKey("health", Health)


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


def build_http_app(
    store: Store, metrics: Metrics, health: Health, *, max_body: int, admin_routes: bool = True
) -> web.Application:
    """The public app (webhooks are added by their owners); with the admin routes unless they
    have a listener of their own."""
    app = web.Application(client_max_size=max_body, middlewares=[database_unavailable])
    if admin_routes:
        add_admin_routes(app, store, metrics, health)
    return app


def build_admin_app(store: Store, metrics: Metrics, health: Health) -> web.Application:
    app = web.Application(middlewares=[database_unavailable])
    add_admin_routes(app, store, metrics, health)
    return app


def add_admin_routes(app: web.Application, store: Store, metrics: Metrics, health: Health) -> None:
    app[STORE] = store
    app[METRICS] = metrics
    app[HEALTH] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)


async def _refresh_gauges(store: Store, metrics: Metrics) -> tuple[dict[str, int], dict[str, int]]:
    inbox = await store.read(inbox_counts)
    outbox = await store.read(outbox_counts)
    metrics.inbox_pending.set(inbox.get("new", 0))
    metrics.outbox_pending.set(outbox.get("pending", 0))
    metrics.outbox_failed_total.set(outbox.get("failed", 0))
    metrics.outbox_unconfirmed_rows.set(outbox.get("unconfirmed", 0))
    return inbox, outbox


async def healthz(request: web.Request) -> web.Response:
    status, body = await request.app[HEALTH].report()
    try:
        body["inbox"], body["outbox"] = await _refresh_gauges(
            request.app[STORE], request.app[METRICS]
        )
    except Exception:  # already reported by the checks; the counts are a courtesy
        log.exception("health: could not count queues")
    return web.json_response(body, status=status)


async def prometheus(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    try:
        await _refresh_gauges(request.app[STORE], metrics)
    except Exception:  # stale gauges beat no metrics at all
        log.exception("could not refresh gauges")
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
