"""The whole config file (`Settings`) and how it is loaded.

Precedence: built-in demo defaults < TOML config file < INTAKE_* environment < command-line
flags. Everything is validated up front by pydantic; a bad file fails with one line that names
the file, the key and the problem, before anything starts listening.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from gateway.config.base import Duration, StrictModel
from gateway.config.demo import DEMO_DESKS, with_demo_defaults
from gateway.config.oncall import OnCallConfig
from gateway.config.paging import PagingSettings
from gateway.config.sla import SlaSettings
from gateway.config.webhooks import WebhookSettings


class ConfigError(Exception):
    """A configuration problem, already worded for the user: `file: key: problem`."""


class SmtpSettings(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(2525, ge=0, le=65535)
    hostname: str = Field(
        "localhost", description="Name announced in the greeting and used in Message-IDs."
    )
    max_message_size: int = Field(25 * 1024 * 1024, gt=0)
    max_attachment_size: int = Field(10 * 1024 * 1024, gt=0)
    max_connections: int = Field(1000, gt=0)
    max_connections_per_client: int = Field(50, gt=0)
    max_messages_per_client_per_minute: int = Field(600, gt=0)
    max_connections_per_network: int = Field(
        200, gt=0, description="Connections from one /24 (IPv4) or /64 (IPv6) network."
    )
    reserved_connections: int = Field(
        100,
        ge=0,
        description="Last slots kept for new clients: past max_connections minus these, a new"
        " connection closes the session that has been idle (or NOOP-ing) longest.",
    )
    session_budget: float = Field(
        120, gt=0, description="Seconds a session may spend without delivering a message."
    )
    max_idle_commands: int = Field(
        30, gt=0, description="NOOP/RSET/VRFY/HELP a session may send per message delivered."
    )
    data_deadline: float = Field(
        60, gt=0, description="Seconds DATA may take, plus one per data_min_rate bytes received."
    )
    data_min_rate: int = Field(1024, gt=0, description="Bytes per second that extend DATA.")
    listen_backlog: int = Field(4096, gt=0, description="Pending connections the kernel queues.")
    timeout: float = Field(300, gt=0, description="Idle seconds before a session is dropped.")
    shutdown_grace: float = Field(
        10, ge=0, description="Seconds open sessions get to finish on SIGTERM."
    )
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key must be set together")
        if self.reserved_connections >= self.max_connections:
            raise ValueError("reserved_connections must be smaller than max_connections")
        return self


class HttpSettings(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body: int = Field(64 * 1024, gt=0, description="Largest webhook body accepted (bytes).")
    admin_listen: str | None = Field(
        None,
        description="host:port for /healthz and /metrics apart from the public webhook port"
        " (then they are served only there).",
    )

    @field_validator("admin_listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or int(port) > 65535:
                raise ValueError(f"must be host:port, got {value!r}")
        return value

    @property
    def admin_address(self) -> tuple[str, int] | None:
        if self.admin_listen is None:
            return None
        host, _, port = self.admin_listen.rpartition(":")
        return host.strip("[]"), int(port)


class RelaySettings(StrictModel):
    """Outbound SMTP relay; credentials come from the environment, never from the file."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username_env: str | None = "INTAKE_RELAY_USERNAME"
    password_env: str | None = "INTAKE_RELAY_PASSWORD"
    # RFC 5321 section 4.5.3.2: a client waits 5 minutes for the greeting, MAIL and RCPT and
    # 10 minutes for the answer to the final "." of DATA; a relay that is slow to say 250 has
    # usually already taken the message, and giving up sooner is how duplicates are made.
    timeout: float = Field(300, gt=0, description="Seconds to wait for a reply to a command.")
    data_timeout: float = Field(600, gt=0, description="Seconds to wait for the reply to DATA.")


class DeskSettings(StrictModel):
    """A support address (and optionally the phone number callers dial) served under a policy."""

    address: str
    policy: str
    name: str = "Support"
    phone: str | None = Field(None, description="Twilio number callers dial for this desk (E.164).")
    forward_to: str | None = Field(None, description="Staffed line to <Dial> in business hours.")
    sms_from: str | None = Field(None, description="Number acknowledgements are texted from.")
    paging: Literal["after-hours", "always"] = Field(
        "after-hours",
        description="When urgent tickets page: after hours (as the policy says) or at any hour"
        " (an emergency address).",
    )

    @field_validator("address")
    @classmethod
    def _lower(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"not an email address: {value!r}")
        return value.strip().lower()


class CustomerSettings(StrictModel):
    """Customers under a contract: `match` is an address (a@b.com) or a domain (b.com)."""

    match: str
    policy: str
    name: str | None = None

    @field_validator("match")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower().lstrip("@")


class AckSettings(StrictModel):
    """When the desk answers automatically, and when it must not (loops, backscatter)."""

    enabled: bool = True
    max_per_sender: int = Field(5, ge=0, description="Acknowledgements per sender per window.")
    window: Duration = timedelta(hours=1)
    # A backstop against floods the other rules miss (a spam run from random addresses): high
    # enough for a real outage, when hundreds of customers write within minutes.
    desk_budget: int = Field(
        1000, ge=0, description="Acknowledgements per desk per desk_window, whoever they go to."
    )
    desk_window: Duration = timedelta(hours=1)
    loop_senders: int = Field(
        3,
        ge=2,
        description="This many senders of one subject and text within loop_window "
        "is a mail loop: no acknowledgement.",
    )
    loop_window: Duration = timedelta(hours=1)
    third_party_window: Duration = Field(
        timedelta(hours=24),
        description="A Reply-To outside the sender's domain that has never written to the "
        "desk gets at most one acknowledgement per this window; then the From address does.",
    )


class EmailSettings(StrictModel):
    """How incoming mail joins tickets."""

    followup_window: Duration = Field(
        timedelta(hours=24),
        description="The same subject and text from the same sender within this window is a "
        "follow-up on the open ticket, not a new one.",
    )
    automated_tickets: int = Field(
        10,
        ge=1,
        description="Tickets one sender's automated mail (auto-replies, alerts) may open "
        "within automated_window; past it, its mail adds to its latest open ticket.",
    )
    automated_window: Duration = timedelta(hours=1)
    trusted_authserv_ids: tuple[str, ...] = Field(
        (),
        description="Authserv-ids of the MTAs in front of Intake whose Authentication-Results "
        "header is trusted: mail from a staff address is their reply to the customer only when "
        "one of them says dmarc=pass or dkim=pass for its domain (see gateway/staffauth.py).",
    )
    trust_loopback_staff_mail: bool = Field(
        False,
        description="Accept staff mail handed over from this machine (127.0.0.1, ::1) as "
        "proven: for the demo desk without an MTA; never behind a local MTA relaying the "
        "internet's mail.",
    )


class WorkerSettings(StrictModel):
    """Background processing of accepted messages."""

    max_defer: Duration = Field(
        timedelta(seconds=10),
        description="During a burst, processing yields to accepting for at most this long.",
    )
    batch: int = Field(16, gt=0, description="Messages processed between checks for a burst.")
    claim_lease: Duration = Field(
        timedelta(seconds=30),
        description="How long a node that died keeps the messages it claimed from the others.",
    )
    scout_backlog: int = Field(
        200,
        gt=0,
        description="Waiting messages from which a scout reads each one's headers and first "
        "lines, so the ones the classifier finds most urgent are processed (and paged) first.",
    )


class HealthSettings(StrictModel):
    """When `/healthz` reports degraded (200 with reasons) for things that need a person."""

    backlog_age: Duration = Field(
        timedelta(minutes=5),
        description="Accepted mail waiting longer than this for processing is a backlog.",
    )
    outbox_failure_window: Duration = Field(
        timedelta(hours=24),
        description="Outbox rows that failed within this window keep the outbox check degraded.",
    )


class OutboxSettings(StrictModel):
    backoff_initial: Duration = timedelta(seconds=30)
    backoff_max: Duration = timedelta(hours=1)
    give_up_after: Duration = timedelta(days=3)
    # A safety net above each transport's own protocol timeouts (the relay alone may wait
    # 5 + 5 + 5 + 10 minutes); an attempt it cuts off counts as unconfirmed, not failed. It
    # is also the lease: a row in flight when the process died is looked at again after it.
    send_timeout: Duration = timedelta(minutes=30)
    # The same for an SMS, one HTTP request (Twilio's client gives up after 15 s): short, so
    # a page in flight at a crash is reconciled within minutes.
    sms_send_timeout: Duration = timedelta(minutes=2)
    # How often a message whose answer was lost is sent again when the provider cannot be
    # asked whether it has it (an SMTP relay: same Message-ID, so receivers can deduplicate).
    unconfirmed_resends: int = Field(1, ge=0)
    # Twilio's message list is asked this long after a send whose answer was lost.
    reconcile_after: Duration = timedelta(seconds=30)
    concurrency: int = Field(8, gt=0)
    # Storm order (docs/design.md, outbox): while this many accepted messages wait for the
    # intake worker, acknowledgements and promises wait too (pages never do), unless one has
    # been due for `defer_max`; then they go `defer_slice` per round.
    defer_backlog: int = Field(200, gt=0)
    defer_max: Duration = timedelta(minutes=2)
    defer_slice: int = Field(8, gt=0)


class TwilioSettings(StrictModel):
    """Credentials come from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN in the environment."""

    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    api_base_url: str | None = Field(None, description="Override the REST API host (tests).")
    sms_from: str | None = Field(None, description="Default number SMS are sent from (E.164).")
    transcription_timeout: Duration = timedelta(minutes=10)
    page_validity: Duration = timedelta(minutes=30)


class StoreSettings(StrictModel):
    """Where tickets live: SQLite in `data_dir` unless `url` names a PostgreSQL database."""

    url: str | None = Field(
        None, description="postgresql://user@host[:port]/db, or sqlite: (the default)."
    )
    password_env: str = Field(
        "INTAKE_DB_PASSWORD", description="Environment variable holding the database password."
    )

    @field_validator("url")
    @classmethod
    def _supported_url(cls, value: str | None) -> str | None:
        if value is None or value == "sqlite:" or value.startswith("sqlite:///"):
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"must be postgresql://user@host/db or sqlite:, got {value!r}")
        userinfo = value.split("://", 1)[1].split("@", 1)[0] if "@" in value else ""
        if ":" in userinfo:
            raise ValueError(
                "must not contain a password: put it in the environment variable named by"
                " store.password_env"
            )
        return value


class Settings(StrictModel):
    data_dir: Path = Path("var")
    store: StoreSettings = StoreSettings()
    # Where staff and Twilio reach this gateway (page links, webhook signatures). Left unset, it
    # follows [http]: a desk started with `--http-port 9000` links to port 9000, not 8080
    # (an ephemeral port 0 keeps this default: set public_url for links to work there).
    public_url: str = "http://127.0.0.1:8080"
    smtp: SmtpSettings = SmtpSettings()
    http: HttpSettings = HttpSettings()
    relay: RelaySettings | None = None
    desks: tuple[DeskSettings, ...] = tuple(DeskSettings(**desk) for desk in DEMO_DESKS)
    customers: tuple[CustomerSettings, ...] = ()
    ack: AckSettings = AckSettings()
    email: EmailSettings = EmailSettings()
    outbox: OutboxSettings = OutboxSettings()
    health: HealthSettings = HealthSettings()
    worker: WorkerSettings = WorkerSettings()
    twilio: TwilioSettings = TwilioSettings()
    oncall: OnCallConfig | None = None
    paging: PagingSettings = PagingSettings()
    webhooks: tuple[WebhookSettings, ...] = ()
    sla: SlaSettings = SlaSettings()

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/]+", value):
            raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="before")
    @classmethod
    def _public_url_follows_http(cls, data: Any) -> Any:
        if isinstance(data, dict) and "public_url" not in data:
            try:
                http = HttpSettings.model_validate(data.get("http", {}))
            except ValidationError:
                return data  # [http] reports its own error; the default URL stands meanwhile
            if http.port:  # port 0 is chosen by the OS at bind time: nothing to link to yet
                data = {**data, "public_url": local_url(http.host, http.port)}
        return data

    @model_validator(mode="after")
    def _desks_and_policies(self) -> Self:
        if not self.desks:
            raise ValueError("at least one desk is needed")
        seen: set[str] = set()
        for desk in self.desks:
            if desk.address in seen:
                raise ValueError(f"desk address {desk.address!r} is listed twice")
            seen.add(desk.address)
        return self

    def desk_for(self, address: str) -> DeskSettings | None:
        """The desk an address reaches; postmaster (RFC 5321 4.5.1) of a desk's domain, or bare,
        reaches that domain's first desk."""
        address = address.strip().lower()
        desk = next((d for d in self.desks if d.address == address), None)
        local, _, domain = address.rpartition("@") if "@" in address else (address, "", "")
        if desk is None and local == "postmaster":
            desk = next(
                (d for d in self.desks if not domain or d.address.rpartition("@")[2] == domain),
                None,
            )
        return desk

    def policy_for_customer(self, sender: str) -> str | None:
        """The contract of a customer by exact address first, then by domain (and parents)."""
        sender = sender.strip().lower()
        by_match = {c.match: c.policy for c in self.customers}
        if sender in by_match:
            return by_match[sender]
        domain = sender.rpartition("@")[2]
        while domain:
            if domain in by_match:
                return by_match[domain]
            domain = domain.partition(".")[2]
        return None


def local_url(host: str, port: int) -> str:
    """The URL of the HTTP listener as seen from this machine: a wildcard bind is reached on
    loopback, and an IPv6 literal needs brackets (RFC 3986 3.2.2)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _check_policies(settings: Settings, source: str) -> None:
    from policies import PolicyError, load_policy

    named = [(f"desks[{i}].policy", d.policy) for i, d in enumerate(settings.desks)]
    named += [(f"customers[{i}].policy", c.policy) for i, c in enumerate(settings.customers)]
    problems = []
    for key, name in named:
        try:
            load_policy(name)
        except (PolicyError, OSError, KeyError) as exc:
            problems.append(f"{source}: {key}: cannot load policy {name!r}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))


_ENV_KEYS: dict[str, tuple[str, ...]] = {
    "INTAKE_DATA_DIR": ("data_dir",),
    "INTAKE_STORE_URL": ("store", "url"),
    "INTAKE_PUBLIC_URL": ("public_url",),
    "INTAKE_SMTP_HOST": ("smtp", "host"),
    "INTAKE_SMTP_PORT": ("smtp", "port"),
    "INTAKE_HTTP_HOST": ("http", "host"),
    "INTAKE_HTTP_PORT": ("http", "port"),
}


def _set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[tuple[str, ...], Any] | None = None,
) -> Settings:
    """Read the TOML file (if any), apply INTAKE_* variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    if config_file is None and environ.get("INTAKE_CONFIG"):
        config_file = Path(environ["INTAKE_CONFIG"])
    data: dict[str, Any] = {}
    source = str(config_file) if config_file else "defaults"
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{config_file}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file}: invalid TOML: {exc}") from None
    for var, path in _ENV_KEYS.items():
        if environ.get(var):
            _set_path(data, path, environ[var])
            source = f"{source} + ${var}" if source == "defaults" else source
    for path, value in (overrides or {}).items():
        if value is not None:
            _set_path(data, path, value)
    if config_file is None:
        data = with_demo_defaults(data)  # `make run`: the demo desk and its rotation
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        # Every problem, one line each, so a file with three mistakes takes one round to fix.
        raise ConfigError(
            "\n".join(
                f"{source}: {_loc(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
        ) from None
    _check_policies(settings, source)
    return settings
