"""The schema as ordered migrations, one source of truth for SQLite and PostgreSQL.

The DDL is written for SQLite; `postgres_script` maps its few non-portable types (an
`INTEGER PRIMARY KEY` becomes an identity column, BLOB bytea, REAL double precision) and adds
`POSTGRES_ONLY` statements for what SQLite has no use for (the ticket-number sequence that
lets several nodes open tickets at once); `sqlite_script` adds `SQLITE_ONLY` statements where
each store needs its own way to the same result (the tickets' search index, dropping a
constraint). Times stay fixed-width ISO 8601 UTC text on both, so comparisons and ordering
are the same everywhere.
SQLite records how far a file is in `PRAGMA user_version`, PostgreSQL in the one-row table
`intake_schema`.
"""

from __future__ import annotations

import re

# The indexes of page chains since migration 16 (on both databases).
_CHAIN_PER_TICKET = """
    CREATE UNIQUE INDEX IF NOT EXISTS page_chains_one_running ON page_chains(ticket_id)
        WHERE state != 'stopped';
    CREATE INDEX IF NOT EXISTS page_chains_ticket ON page_chains(ticket_id, id);
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: the accepted-input queue, tickets and their threads, the outbox, the audit log.
    """
    CREATE TABLE inbox (
        id           INTEGER PRIMARY KEY,
        channel      TEXT NOT NULL,              -- email | voice | sms
        kind         TEXT NOT NULL,              -- message | recorded | transcription | ...
        received_at  TEXT NOT NULL,              -- ISO 8601 UTC
        source_key   TEXT UNIQUE,                -- provider id for idempotent webhooks
        meta         TEXT NOT NULL,              -- JSON: SMTP envelope or webhook form
        raw          BLOB,                       -- the bytes exactly as received
        state        TEXT NOT NULL DEFAULT 'new',-- new | done | failed
        attempts     INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        processed_at TEXT
    );
    CREATE INDEX inbox_pending ON inbox(channel, id) WHERE state = 'new';

    CREATE TABLE tickets (
        id                 INTEGER PRIMARY KEY,
        number             INTEGER NOT NULL UNIQUE,
        channel            TEXT NOT NULL,
        customer           TEXT NOT NULL,        -- email address or E.164 number
        customer_name      TEXT NOT NULL DEFAULT '',
        desk               TEXT NOT NULL,
        policy             TEXT NOT NULL,
        subject            TEXT NOT NULL,
        declared_priority  TEXT,
        proposed_priority  TEXT,
        effective_priority TEXT NOT NULL,
        confidence         REAL,
        reasons            TEXT NOT NULL DEFAULT '[]',
        received_at        TEXT NOT NULL,
        due_at             TEXT,
        after_hours        INTEGER NOT NULL DEFAULT 0,
        status             TEXT NOT NULL DEFAULT 'open',
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL
    );
    CREATE INDEX tickets_customer ON tickets(customer, status);

    CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
        inbox_id     INTEGER REFERENCES inbox(id),
        direction    TEXT NOT NULL,              -- in | out
        channel      TEXT NOT NULL,
        message_id   TEXT UNIQUE,                -- RFC 5322 Message-ID or provider id
        content_hash TEXT,
        sender       TEXT NOT NULL DEFAULT '',
        subject      TEXT NOT NULL DEFAULT '',
        body_text    TEXT NOT NULL DEFAULT '',
        latest_text  TEXT NOT NULL DEFAULT '',
        meta         TEXT NOT NULL DEFAULT '{}',
        created_at   TEXT NOT NULL
    );
    CREATE INDEX messages_ticket ON messages(ticket_id, id);
    CREATE UNIQUE INDEX messages_unique_bytes ON messages(content_hash)
        WHERE message_id IS NULL AND direction = 'in';

    CREATE TABLE attachments (
        id           INTEGER PRIMARY KEY,
        message_id   INTEGER NOT NULL REFERENCES messages(id),
        filename     TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size         INTEGER NOT NULL,
        content      BLOB                        -- NULL when over the size limit
    );

    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        ticket_id       INTEGER REFERENCES tickets(id),
        kind            TEXT NOT NULL,           -- email | sms
        purpose         TEXT NOT NULL,           -- ack | page | reply | ...
        idempotency_key TEXT NOT NULL UNIQUE,
        recipient       TEXT NOT NULL,
        payload         TEXT NOT NULL,           -- JSON
        state           TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed | cancelled
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        provider_id     TEXT,
        created_at      TEXT NOT NULL,
        sent_at         TEXT
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
    CREATE INDEX outbox_recipient ON outbox(recipient, purpose, created_at);

    CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        ticket_id INTEGER REFERENCES tickets(id),
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL,
        detail    TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_ticket ON events(ticket_id, id);

    CREATE TABLE corrections (
        id            INTEGER PRIMARY KEY,
        ticket_number INTEGER NOT NULL,
        policy        TEXT NOT NULL,
        subject       TEXT NOT NULL,
        body          TEXT NOT NULL,
        old_priority  TEXT,
        new_priority  TEXT NOT NULL,
        reason        TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    """,
    # 2: voice and paging: voicemails awaiting transcripts, page chains and their pages, the
    # delivery status Twilio reports for each SMS, and a lookup of outbox rows by MessageSid.
    """
    CREATE TABLE voicemails (
        id                INTEGER PRIMARY KEY,
        recording_sid     TEXT NOT NULL UNIQUE,
        call_sid          TEXT NOT NULL,
        ticket_id         INTEGER NOT NULL REFERENCES tickets(id),
        message_id        INTEGER NOT NULL REFERENCES messages(id),
        caller            TEXT,                  -- E.164; NULL when withheld
        desk              TEXT NOT NULL,
        recording_url     TEXT,
        duration          INTEGER,
        recording_status  TEXT,                  -- completed | absent | failed
        transcript_state  TEXT NOT NULL DEFAULT 'pending', -- pending | received | failed |
                                                 -- timed-out | none
        transcript_due_at TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        settled_at        TEXT
    );
    CREATE INDEX voicemails_waiting ON voicemails(transcript_due_at)
        WHERE transcript_state = 'pending';

    CREATE TABLE page_chains (
        id         INTEGER PRIMARY KEY,
        ticket_id  INTEGER NOT NULL UNIQUE REFERENCES tickets(id),  -- one chain per ticket
        state      TEXT NOT NULL DEFAULT 'active', -- active | acknowledged | exhausted
        reason     TEXT NOT NULL,
        summary    TEXT NOT NULL,                -- first line of the text, quoted in every page
        started_at TEXT NOT NULL,
        step       INTEGER NOT NULL DEFAULT 0,   -- the step paged last (1-based)
        next_at    TEXT,                         -- next step is paged then unless acknowledged
        acked_by   TEXT,
        acked_at   TEXT
    );
    CREATE INDEX page_chains_due ON page_chains(next_at) WHERE state = 'active';

    CREATE TABLE pages (
        id         INTEGER PRIMARY KEY,
        chain_id   INTEGER NOT NULL REFERENCES page_chains(id),
        step       INTEGER NOT NULL,
        round      INTEGER NOT NULL,
        staff_id   TEXT NOT NULL,
        phone      TEXT NOT NULL,
        outbox_key TEXT NOT NULL UNIQUE,
        send_at    TEXT NOT NULL,                -- later than created_at when rate limited
        created_at TEXT NOT NULL,
        UNIQUE (chain_id, step)
    );
    CREATE INDEX pages_phone ON pages(phone, send_at);

    CREATE TABLE sms_status (
        message_sid TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        rank        INTEGER NOT NULL,            -- statuses only ever move to a higher rank
        error_code  TEXT,
        updated_at  TEXT NOT NULL
    );

    CREATE INDEX outbox_provider ON outbox(provider_id) WHERE provider_id IS NOT NULL;
    """,
    # 3: sends whose answer was lost. State `unconfirmed` (reconciled or resent a capped number
    # of times while `sent_at` is NULL, settled once it is set); `unconfirmed` counts the
    # attempts of a row that ended without an answer; `attempt_started_at` is set while an
    # attempt is in flight, so a row whose process died mid-send is known to be unconfirmed.
    """
    ALTER TABLE outbox ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN attempt_started_at TEXT;
    CREATE INDEX outbox_unconfirmed_due ON outbox(next_attempt_at)
        WHERE state = 'unconfirmed' AND sent_at IS NULL;
    """,
    # 4: claims with a lease, so that several nodes never process the same inbox row; a node
    # that dies mid-claim leaves a lease that simply runs out.
    """
    ALTER TABLE inbox ADD COLUMN claimed_until TEXT;
    """,
    # 5: pages wait per recipient and go out coalesced: a page is `queued` until the rate
    # limits let an SMS go to its number, then `sent` in that SMS (`sms_key`, shared by every
    # page it carried); `overdue_at` records the alarm for a page that waited past its validity.
    """
    ALTER TABLE pages ADD COLUMN state TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE pages ADD COLUMN sms_key TEXT;
    ALTER TABLE pages ADD COLUMN overdue_at TEXT;
    UPDATE pages SET sms_key = outbox_key;
    CREATE INDEX pages_queued ON pages(send_at) WHERE state = 'queued';
    CREATE INDEX pages_sms ON pages(sms_key);
    """,
    # 6: what makes an email the same message, the same text again or a loop (issue 9.3, 9.5,
    # 10.6): a fingerprint over Message-ID, sender, Date and content; the subject stem and a
    # hash of the newest text. A Message-ID names the first message stored with it; a
    # different message reusing it is stored without (its id stays in `meta`).
    """
    ALTER TABLE messages ADD COLUMN fingerprint TEXT;
    ALTER TABLE messages ADD COLUMN subject_stem TEXT;
    ALTER TABLE messages ADD COLUMN body_hash TEXT;
    CREATE INDEX messages_fingerprint ON messages(fingerprint) WHERE fingerprint IS NOT NULL;
    CREATE INDEX messages_same_text ON messages(body_hash, subject_stem, created_at)
        WHERE direction = 'in' AND body_hash IS NOT NULL;
    CREATE INDEX outbox_purpose_created ON outbox(purpose, created_at);
    CREATE INDEX outbox_ticket ON outbox(ticket_id);
    CREATE INDEX messages_sender ON messages(sender) WHERE direction = 'in';
    """,
    # 7: staff accounts, their API tokens, the assignee of a ticket, the responses stored
    # under an Idempotency-Key, and indexes for listing tickets newest first by a filter.
    """
    CREATE TABLE staff (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,      -- lower case; the login and the identity
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,             -- agent | lead | admin
        phone         TEXT,                      -- E.164; the same person as [oncall.staff]
        password_hash TEXT NOT NULL,             -- argon2id, PHC string
        created_at    TEXT NOT NULL,
        disabled_at   TEXT
    );
    CREATE UNIQUE INDEX staff_phone ON staff(phone) WHERE phone IS NOT NULL;

    CREATE TABLE api_tokens (
        id           INTEGER PRIMARY KEY,
        staff_id     INTEGER NOT NULL REFERENCES staff(id),
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the token; never the token
        hint         TEXT NOT NULL,              -- the token's first characters, to recognise it
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT,
        UNIQUE (staff_id, name)
    );

    CREATE TABLE api_idempotency (
        staff_id     INTEGER NOT NULL REFERENCES staff(id),
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,              -- method, path and body the key was used for
        status       INTEGER NOT NULL,
        response     TEXT NOT NULL,              -- the JSON body answered the first time
        created_at   TEXT NOT NULL,
        PRIMARY KEY (staff_id, key)
    );

    -- Deferred: `intake store migrate` copies tables in creation order, tickets before staff.
    ALTER TABLE tickets ADD COLUMN assignee_id INTEGER
        REFERENCES staff(id) DEFERRABLE INITIALLY DEFERRED;
    CREATE INDEX tickets_status_number ON tickets(status, number);
    CREATE INDEX tickets_priority_number ON tickets(effective_priority, number);
    CREATE INDEX tickets_policy_number ON tickets(policy, number);
    CREATE INDEX tickets_assignee_number ON tickets(assignee_id, number);
    CREATE INDEX tickets_received ON tickets(received_at);
    CREATE INDEX tickets_due ON tickets(due_at);
    """,
    # 8: the ticket lifecycle. `resolved_at` and `auto_close_at` (resolved_at plus the policy's
    # auto_close_after, fixed when the ticket is resolved, so a restart or a policy edit never
    # moves a promise already made) let the closer find due tickets by index; `monitoring`
    # marks a ticket resolved but left open for monitoring; `previous_ticket_id` links a
    # ticket opened by a message on a closed one to that ticket.
    """
    ALTER TABLE tickets ADD COLUMN resolved_at TEXT;
    ALTER TABLE tickets ADD COLUMN auto_close_at TEXT;
    ALTER TABLE tickets ADD COLUMN monitoring INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN previous_ticket_id INTEGER REFERENCES tickets(id);
    CREATE INDEX tickets_auto_close ON tickets(auto_close_at) WHERE status = 'resolved';
    """,
    # 9: SLA clocks (policies/clocks.py) as last computed for each ticket, and the warnings
    # and breaches recorded for them, once each (the unique key is what makes it once).
    # `watch` is 1 while the scanner must look at a clock: not met in time, not paused, breach
    # not yet recorded; the partial indexes make each scan read only what falls due, and
    # `tickets_updated` lets it find tickets changed since their clocks were computed.
    """
    CREATE TABLE sla_clocks (
        id           INTEGER PRIMARY KEY,
        ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
        clock        TEXT NOT NULL,              -- respond | ongoing | resolve | rfo
        cycle        INTEGER NOT NULL DEFAULT 0, -- the ongoing clock's cycle, from 1
        policy       TEXT NOT NULL,
        priority     TEXT NOT NULL,
        business     INTEGER NOT NULL,           -- counted in business hours
        started_at   TEXT NOT NULL,
        due_at       TEXT NOT NULL,
        state        TEXT NOT NULL,              -- pending | met | breached | paused
        met_at       TEXT,
        watch        INTEGER NOT NULL,
        next_warn_at TEXT,                       -- the next warning point not yet notified
        warned       TEXT NOT NULL DEFAULT '[]', -- JSON: warning points notified
        breached_at  TEXT,                       -- the breach's true time, once recorded
        updated_at   TEXT NOT NULL,
        UNIQUE (ticket_id, clock, cycle)
    );
    CREATE INDEX sla_clocks_due ON sla_clocks(due_at) WHERE watch = 1;
    CREATE INDEX sla_clocks_warn ON sla_clocks(next_warn_at)
        WHERE watch = 1 AND next_warn_at IS NOT NULL;
    CREATE INDEX sla_clocks_at_risk ON sla_clocks(ticket_id) WHERE watch = 1 AND warned != '[]';
    CREATE INDEX sla_clocks_started ON sla_clocks(started_at);

    CREATE TABLE sla_alerts (
        id          INTEGER PRIMARY KEY,
        ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
        clock       TEXT NOT NULL,
        cycle       INTEGER NOT NULL,
        point       TEXT NOT NULL,               -- a warning point ("75%", "15m") or "breach"
        due_at      TEXT NOT NULL,               -- when it happened (the deadline, for a breach)
        recorded_at TEXT NOT NULL,
        UNIQUE (ticket_id, clock, cycle, point)
    );
    CREATE INDEX sla_alerts_point ON sla_alerts(point, ticket_id);
    CREATE INDEX sla_clocks_updated ON sla_clocks(updated_at);
    CREATE INDEX tickets_updated ON tickets(updated_at);  -- the scanner's "changed since"
    """,
    # 10: the staff workspace. A browser session is kept by the SHA-256 of its cookie (like an
    # API token) with its CSRF token and a server-side expiry; failed sign-ins are recorded
    # per account and per address so both can be throttled.
    """
    CREATE TABLE web_sessions (
        token_hash  TEXT PRIMARY KEY,
        staff_id    INTEGER NOT NULL REFERENCES staff(id),
        csrf        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    CREATE INDEX web_sessions_expires ON web_sessions(expires_at);
    CREATE TABLE login_failures (
        key  TEXT NOT NULL,                     -- 'account:<email>' or 'address:<ip>'
        at   TEXT NOT NULL
    );
    CREATE INDEX login_failures_key_at ON login_failures(key, at);
    """,
    # 11: the ticket page lists a ticket's attachments and voicemails: by message and by
    # ticket, not by scanning every attachment ever received (0.5 s at 100,000 of them).
    """
    CREATE INDEX attachments_message ON attachments(message_id);
    CREATE INDEX voicemails_ticket ON voicemails(ticket_id);
    """,
    # 12: the workspace's queue walks the running clocks by deadline (every clock of a ticket,
    # also one whose breach was recorded and is no longer watched) and stops after a page.
    """
    CREATE INDEX sla_clocks_running ON sla_clocks(due_at) WHERE state = 'pending';
    """,
    # 13: counters every node of a desk shares (`store/counters.py`): how many of something
    # (a client's messages, `smtp:<address>`) fell into one fixed window, added to by an
    # atomic upsert, so a limit holds across nodes; rows past `expires_at` are forgotten.
    """
    CREATE TABLE rate_counters (
        key          TEXT NOT NULL,
        window_start TEXT NOT NULL,              -- ISO 8601 UTC start of the window
        count        INTEGER NOT NULL,
        expires_at   TEXT NOT NULL,
        PRIMARY KEY (key, window_start)
    );
    CREATE INDEX rate_counters_expires ON rate_counters(expires_at);
    """,
    # 14: the desk's acknowledgement budget is counted on every new ticket; joining each
    # recent acknowledgement to its ticket made that cost grow with the storm (issue 14). An
    # outbox row keeps the desk of its ticket, and the desk's acknowledgements are indexed.
    """
    ALTER TABLE outbox ADD COLUMN desk TEXT;
    UPDATE outbox SET desk = (SELECT t.desk FROM tickets t WHERE t.id = outbox.ticket_id)
        WHERE ticket_id IS NOT NULL;
    CREATE INDEX outbox_desk_acks ON outbox(desk, created_at) WHERE purpose = 'ack';
    """,
    # 15: the workspace's search (text anywhere in a ticket's subject, customer address or
    # name, any case) reads an index of the three columns' trigrams instead of every ticket:
    # each store builds its own (SQLITE_ONLY, POSTGRES_ONLY; gateway/store/listing.py).
    """
    -- 15: ticket search by trigram (the index is the store's own, below)
    """,
    # 16: a ticket lowered below paging (its chain stopped) and raised again pages again: a
    # new chain. At most one chain per ticket that is not `stopped` (running, acknowledged or
    # run out); stopped ones stay as history. Each store drops the old one-chain-per-ticket
    # UNIQUE its own way (SQLITE_ONLY, POSTGRES_ONLY), then both add `_CHAIN_PER_TICKET`.
    """
    -- 16: page chains: one per ticket that is not stopped (the constraint is the store's own)
    """,
    # 17: in a storm the outbox holds thousands of acknowledgements; a page (or any row that
    # is not an acknowledgement or promise) is claimed before them, found by its own index
    # rather than by walking past every acknowledgement due before it (store/outbox.py).
    """
    CREATE INDEX IF NOT EXISTS outbox_urgent_due ON outbox(next_attempt_at)
        WHERE state = 'pending' AND purpose NOT IN ('ack', 'promise');
    """,
    # 18: the urgent lane (gateway/scout.py). During a backlog the scout reads each pending
    # mail's headers and first lines, asks the classifier, and records its reading in a table
    # of its own (small rows: an UPDATE of the inbox would rewrite each 3 KB row in the WAL
    # during the burst): `urgency` (0: arrival order; higher is claimed first) and
    # `thread_key` (a hash of sender and subject stem). A row leaves the lane when its inbox
    # row is processed, so the lane holds only waiting mail.
    """
    CREATE TABLE IF NOT EXISTS inbox_lane (
        inbox_id   INTEGER NOT NULL PRIMARY KEY REFERENCES inbox(id),
        urgency    INTEGER NOT NULL,
        thread_key TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS inbox_lane_urgent ON inbox_lane(urgency DESC, inbox_id)
        WHERE urgency > 0;
    CREATE INDEX IF NOT EXISTS inbox_lane_thread ON inbox_lane(thread_key, inbox_id);
    """,
)

# Statements run on SQLite only, after the migration of the same number.
SQLITE_ONLY: dict[int, str] = {
    # An FTS5 table over the tickets (external content: it stores the trigrams, not the
    # text), filled from the tickets already there and kept in step by triggers, so every
    # writer of `tickets` keeps it right without knowing of it.
    15: """
    CREATE VIRTUAL TABLE tickets_search USING fts5(
        subject, customer, customer_name,
        content = 'tickets', content_rowid = 'id', tokenize = 'trigram'
    );
    INSERT INTO tickets_search (tickets_search) VALUES ('rebuild');
    CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO tickets_search (rowid, subject, customer, customer_name)
            VALUES (new.id, new.subject, new.customer, new.customer_name);
    END;
    CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
        INSERT INTO tickets_search (tickets_search, rowid, subject, customer, customer_name)
            VALUES ('delete', old.id, old.subject, old.customer, old.customer_name);
    END;
    CREATE TRIGGER tickets_search_update AFTER UPDATE OF subject, customer, customer_name
        ON tickets BEGIN
        INSERT INTO tickets_search (tickets_search, rowid, subject, customer, customer_name)
            VALUES ('delete', old.id, old.subject, old.customer, old.customer_name);
        INSERT INTO tickets_search (rowid, subject, customer, customer_name)
            VALUES (new.id, new.subject, new.customer, new.customer_name);
    END;
    """,
    # SQLite cannot drop a UNIQUE column constraint: the table is rebuilt, and the pages'
    # references to it are checked at COMMIT (when the rows are back).
    16: """
    PRAGMA defer_foreign_keys = ON;
    CREATE TEMP TABLE page_chains_before AS SELECT * FROM page_chains;
    DROP TABLE page_chains;
    CREATE TABLE page_chains (
        id         INTEGER PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
        state      TEXT NOT NULL DEFAULT 'active', -- active | acknowledged | exhausted | stopped
        reason     TEXT NOT NULL,
        summary    TEXT NOT NULL,
        started_at TEXT NOT NULL,
        step       INTEGER NOT NULL DEFAULT 0,
        next_at    TEXT,
        acked_by   TEXT,
        acked_at   TEXT
    );
    INSERT INTO page_chains SELECT * FROM page_chains_before;
    DROP TABLE page_chains_before;
    CREATE INDEX page_chains_due ON page_chains(next_at) WHERE state = 'active';
    """
    + _CHAIN_PER_TICKET,
}

# Statements run on PostgreSQL only, after the migration of the same number.
POSTGRES_ONLY: dict[int, str] = {
    4: """
    CREATE SEQUENCE ticket_numbers;
    SELECT setval('ticket_numbers', GREATEST(1000, (SELECT COALESCE(MAX(number), 0) FROM tickets)));
    """,
    # pg_trgm (contrib: in Debian's postgresql package; a trusted extension, so the
    # database's owner may create it): one GIN index over the three columns' trigrams, which
    # ILIKE '%text%' uses for text of three characters or more.
    15: """
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX tickets_search ON tickets
        USING gin (subject gin_trgm_ops, customer gin_trgm_ops, customer_name gin_trgm_ops);
    """,
    16: "ALTER TABLE page_chains DROP CONSTRAINT IF EXISTS page_chains_ticket_id_key;"
    + _CHAIN_PER_TICKET,
}

_POSTGRES_TYPES = (
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
)


def postgres_script(number: int) -> str:
    """Migration `number` (1-based) as PostgreSQL runs it."""
    script = MIGRATIONS[number - 1]
    for pattern, replacement in _POSTGRES_TYPES:
        script = pattern.sub(replacement, script)
    return script + POSTGRES_ONLY.get(number, "")


def sqlite_script(number: int) -> str:
    """Migration `number` (1-based) as SQLite runs it."""
    return MIGRATIONS[number - 1] + SQLITE_ONLY.get(number, "")


# A table's name where a migration creates it (18 on may say IF NOT EXISTS: run again, they
# must not fail).
_CREATE_TABLE = r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)"


def tables_with_rowid() -> frozenset[str]:
    """Tables keyed by an `id INTEGER PRIMARY KEY` (what `lastrowid` means on PostgreSQL)."""
    found = re.findall(_CREATE_TABLE + r" \(\s*id\s+INTEGER PRIMARY KEY", "".join(MIGRATIONS))
    return frozenset(found)


def tables() -> tuple[str, ...]:
    """Every table, in creation order (parents before the tables that reference them)."""
    return tuple(re.findall(_CREATE_TABLE, "".join(MIGRATIONS)))
