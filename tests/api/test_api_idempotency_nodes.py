"""An `Idempotency-Key` across nodes: the same POST reaching two nodes of one desk at once acts
once, and both callers get the same answer (the second one marked as replayed), never a 500."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import BaseModel

from gateway.api.endpoint import answer_once
from gateway.api.errors import ApiError
from gateway.app import Gateway
from gateway.clock import ManualClock
from gateway.store import Store
from gateway.store import staff as staff_sql
from gateway.store.connection import Connection
from tests.pg_server import PASSWORD

from ..gateway.gateway_harness import SATURDAY_MORNING, DefaultProposer, make_settings, query
from .api_harness import PASSWORD_HASH, Api, seed_tickets, staff_with_token


class Answer(BaseModel):
    ran_on: str


async def _agent(store: Store, now: object) -> int:
    async def add(db: Connection) -> int:
        member = await staff_sql.insert_staff(
            db,
            email="agent@example.com",
            name="Agent",
            role="agent",
            phone=None,
            password_hash=PASSWORD_HASH,
            now=SATURDAY_MORNING,
        )
        assert member is not None
        return member.id

    return await store.write(add)


async def test_a_retry_racing_an_unfinished_first_attempt_on_another_node_is_told_to_wait(
    pg_url: str, tmp_path: Path
) -> None:
    # Node a's transaction is held open after its handler ran; node b gets the same key then.
    # Before the claim, b found no answer, ran the handler too and failed on the primary key.
    node_a = await Store.connect(pg_url, default_path=tmp_path / "unused", password=PASSWORD)
    node_b = await Store.connect(pg_url, default_path=tmp_path / "unused", password=PASSWORD)
    try:
        staff_id = await _agent(node_a, SATURDAY_MORNING)
        fingerprint = hashlib.sha256(b"POST /tickets/1/notes {}").hexdigest()
        ran: list[str] = []
        a_ran, release = asyncio.Event(), asyncio.Event()

        async def slow() -> Answer:
            ran.append("a")
            a_ran.set()
            await release.wait()
            return Answer(ran_on="a")

        async def fast() -> Answer:
            ran.append("b")
            return Answer(ran_on="b")

        async def attempt(store: Store, run: Callable[[], Awaitable[Answer]]) -> object:
            async def op(db: Connection) -> tuple[int, str, bool]:
                return await answer_once(
                    db, staff_id, "k-1", fingerprint, SATURDAY_MORNING, run, status=201
                )

            return await store.write(op)

        first = asyncio.create_task(attempt(node_a, slow))
        await a_ran.wait()
        with pytest.raises(ApiError) as busy:
            await asyncio.wait_for(attempt(node_b, fast), timeout=5)
        assert (busy.value.status, busy.value.code) == (409, "idempotency_key_in_use")
        assert busy.value.headers == {"Retry-After": "1"}
        release.set()
        assert await first == (201, '{"ran_on":"a"}', False)
        assert await attempt(node_b, fast) == (201, '{"ran_on":"a"}', True)
        assert ran == ["a"]
    finally:
        await node_a.close()
        await node_b.close()


async def test_forgetting_old_keys_never_waits_for_another_node(
    pg_url: str, tmp_path: Path
) -> None:
    # Both nodes drop the agent's expired keys before answering. Before, node b's DELETE
    # waited for node a's open transaction, which had deleted the same rows: a node's whole
    # group commit stalled behind another's (and two batches doing that for two agents in
    # opposite orders deadlocked).
    node_a = await Store.connect(pg_url, default_path=tmp_path / "unused", password=PASSWORD)
    node_b = await Store.connect(pg_url, default_path=tmp_path / "unused", password=PASSWORD)
    try:
        staff_id = await _agent(node_a, SATURDAY_MORNING)

        async def old_key(db: Connection) -> None:
            long_ago = SATURDAY_MORNING - timedelta(days=30)
            assert await staff_sql.claim_key(db, staff_id, "old", request_hash="h", now=long_ago)

        await node_a.write(old_key)
        a_ran, release = asyncio.Event(), asyncio.Event()

        async def slow() -> Answer:
            a_ran.set()
            await release.wait()
            return Answer(ran_on="a")

        async def fast() -> Answer:
            return Answer(ran_on="b")

        async def attempt(store: Store, key: str, run: Callable[[], Awaitable[Answer]]) -> object:
            async def op(db: Connection) -> tuple[int, str, bool]:
                return await answer_once(db, staff_id, key, "h", SATURDAY_MORNING, run, status=201)

            return await store.write(op)

        first = asyncio.create_task(attempt(node_a, "k-a", slow))
        await a_ran.wait()
        try:
            answered = await asyncio.wait_for(attempt(node_b, "k-b", fast), timeout=5)
        finally:
            release.set()
            await first
        assert answered == (201, '{"ran_on":"b"}', False)
    finally:
        await node_a.close()
        await node_b.close()


async def test_a_failed_first_attempt_leaves_the_key_free(
    store_url: str | None, tmp_path: Path
) -> None:
    store = await Store.connect(store_url, default_path=tmp_path / "intake.db", password=PASSWORD)
    try:
        staff_id = await _agent(store, SATURDAY_MORNING)

        async def failing() -> Answer:
            raise RuntimeError("the handler failed")

        async def working() -> Answer:
            return Answer(ran_on="retry")

        def op(run: Callable[[], Awaitable[Answer]]) -> Callable[[Connection], Awaitable[Any]]:
            async def inner(db: Connection) -> tuple[int, str, bool]:
                return await answer_once(
                    db, staff_id, "k-2", "hash", SATURDAY_MORNING, run, status=201
                )

            return inner

        with pytest.raises(RuntimeError):
            await store.write(op(failing))
        assert await store.write(op(working)) == (201, '{"ran_on":"retry"}', False)
    finally:
        await store.close()


@pytest.fixture
async def two_nodes(
    store_url: str | None, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    # On SQLite both nodes share one data directory, hence one database file.
    nodes = [
        Gateway(
            make_settings(tmp_path, store__url=store_url),
            clock=ManualClock(SATURDAY_MORNING),
            proposer=DefaultProposer(),
            workers=False,
        )
        for _ in range(2)
    ]
    for node in nodes:
        await node.start()
    try:
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            await node.stop()


async def test_the_same_post_at_two_nodes_at_once_acts_once(
    two_nodes: tuple[Gateway, Gateway],
) -> None:
    a, b = two_nodes
    token = await staff_with_token(a, "agent@example.com")
    (number,) = await seed_tickets(a, 1)
    async with aiohttp.ClientSession() as session:
        apis = [
            Api(session, f"http://{host}:{port}/api/v1", token)
            for host, port in (a.http_address, b.http_address)
        ]

        async def post(api: Api, key: str) -> tuple[int, object]:
            return await api.call(
                "POST",
                f"/tickets/{number}/notes",
                json={"body": f"note {key}"},
                headers={"Idempotency-Key": key},
            )

        keys = [f"same-{n}" for n in range(12)]
        answers = await asyncio.gather(*(post(api, key) for key in keys for api in apis))
        # A node that found the other still answering says so (409); its retry replays.
        for n, key in enumerate(keys):
            pair = answers[2 * n : 2 * n + 2]
            assert all(status in (201, 409) for status, _ in pair), pair
            assert any(status == 201 for status, _ in pair), pair
            for i, (status, body) in enumerate(pair):
                if status == 409:
                    assert body["error"]["code"] == "idempotency_key_in_use"  # type: ignore[index]
                    pair[i] = await post(apis[i], key)
            assert pair[0] == pair[1]
    notes = query(a, "SELECT COUNT(*) FROM events WHERE kind = 'note'")[0][0]
    assert notes == len(keys)
