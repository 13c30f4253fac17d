"""Settings read from the environment (and a `.env` file); names are fixed by API.md."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_PREFIX = "/api/v1/backlink-outreach"


class ConfigError(Exception):
    """A setting makes the service unable to start; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    data_dir: Path = Path("./data")
    database_url: str = ""

    auth_mode: Literal["clerk", "dev"] = "clerk"
    clerk_jwt_key: SecretStr | None = None
    clerk_jwks_url: str | None = None
    clerk_issuer: str | None = None
    clerk_authorized_parties: str | None = None
    # The web app's sign-in page in clerk mode loads Clerk's script with these (issue 19).
    clerk_publishable_key: str | None = None
    clerk_frontend_api: str | None = None
    jwks_timeout_seconds: float = 3.0
    jwks_min_refetch_seconds: float = 1.0

    max_body_bytes: int = 10 * 1024 * 1024
    # `POST /campaigns/{id}/leads/import` alone may take a body up to this size (a CSV file,
    # read as a stream); over it, the same 413 as MAX_BODY_BYTES.
    max_import_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    public_base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout_seconds: float = 15.0
    # A CA bundle to trust for the SMTP server's certificate (an internal CA); the system's
    # trust store otherwise. Certificates are always verified.
    smtp_ca_file: Path | None = None
    mail_outbox_dir: Path | None = None
    smtp_from_email: str = "outreach@localhost.localdomain"
    smtp_from_name: str = "Backlink Outreach"
    smtp_reply_to: str | None = None
    unsubscribe_mailto: str | None = None
    unsubscribe_secret: SecretStr | None = None
    sender_postal_address: str | None = None
    dkim_private_key: SecretStr | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None

    imap_host: str | None = None
    imap_port: int = 993
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_security: Literal["none", "starttls", "ssl"] = "ssl"
    imap_folder: str = "INBOX"
    poll_interval_seconds: int = 300
    # How many mailboxes one worker pass (or one manual poll) reads at once.
    poll_concurrency: int = Field(default=8, ge=1, le=256)
    # `host:port` of the DNS server that `POST /mailboxes/{id}/test` asks; the system resolver
    # when unset.
    dns_resolver: str | None = None

    search_provider: str | None = None
    searxng_url: str | None = None
    brave_api_key: SecretStr | None = None
    tavily_api_key: SecretStr | None = None
    exa_api_key: SecretStr | None = None
    serper_api_key: SecretStr | None = None
    discovery_http_proxy: str | None = None
    discovery_allow_private_networks: bool = False
    # Crawler limits (issue 6): politeness and resource bounds for POST /discover/deep.
    discovery_concurrency: int = Field(default=32, ge=1, le=256)
    discovery_per_host_concurrency: int = Field(default=2, ge=1, le=16)
    discovery_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    discovery_read_timeout_seconds: float = Field(default=10.0, gt=0)
    discovery_page_timeout_seconds: float = Field(default=20.0, gt=0)
    discovery_max_page_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    discovery_search_timeout_seconds: float = Field(default=15.0, gt=0)
    # Discovery jobs (issue 19): how long a running job stays its worker's without a progress
    # write (they come every few seconds at most); a killed worker's job runs again after it.
    discovery_job_lease_seconds: float = Field(default=120.0, gt=0)
    # Placements (issue 17): the re-check interval (each gets jitter of at most 10 % of it);
    # the checker fetches with the crawler's limits above, at most this many pages at once.
    link_check_interval_hours: float = Field(default=168.0, gt=0, le=24 * 365)
    link_check_concurrency: int = Field(default=64, ge=1, le=256)
    link_check_batch: int = Field(default=1000, ge=1, le=10_000)

    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    # Per attempt (the writer retries once); on expiry the offline writer answers instead.
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    # A second opinion from that model on human replies the rules are unsure of.
    reply_llm_classify: bool = False

    policy_sender_daily_cap: int = Field(default=50, ge=0)
    policy_domain_daily_cap: int = Field(default=5, ge=0)
    policy_workspace_daily_cap: int = Field(default=500, ge=0)
    policy_duplicate_window_days: int = Field(default=30, ge=0)
    # An initial message to a site that got one from the same workspace this recently is
    # blocked `recently_contacted` (0 turns it off).
    policy_recontact_days: int = Field(default=90, ge=0)
    # Sequences: scheduled sends are spread by up to this many seconds inside the window.
    send_jitter_seconds: int = Field(default=600, ge=0, le=86_400)

    # Mailboxes (issue 13): the key that seals their passwords and DKIM keys (base64 of 32
    # bytes; AUTH_MODE=dev makes a key file in the data folder when unset), and the bounce
    # breaker: a mailbox with 3+ hard bounces in its last 50 sends, over this percentage of them,
    # is paused (0 turns the breaker off).
    secrets_key: SecretStr | None = None
    bounce_breaker_percent: float = Field(default=5.0, ge=0, le=100)

    # Webhooks (issue 18): loopback and private addresses allowed (tests, private deployments);
    # each delivery's timeout; how long a claimed delivery stays another worker's before it is
    # due again (a killed worker's deliveries come back after it); a claim's size; posts in
    # flight per worker.
    webhook_allow_private_networks: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_batch_size: int = Field(default=200, ge=1, le=5000)
    webhook_concurrency: int = Field(default=32, ge=1, le=512)
    # Events no enabled endpoint still waits for, and the delivery log, are pruned after this.
    webhook_retention_days: float = Field(default=30.0, gt=0, le=3650)

    worker_interval_seconds: float = 5.0

    @field_validator(
        "clerk_jwks_url",
        "clerk_issuer",
        "clerk_authorized_parties",
        "smtp_host",
        "imap_host",
        "searxng_url",
        "llm_base_url",
        "discovery_http_proxy",
        "search_provider",
        "mail_outbox_dir",
        "smtp_ca_file",
        "dns_resolver",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not configured", not "configured as empty".
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        return normalize_database_url(
            self.database_url or f"sqlite:///{(self.data_dir / 'backlink-outreach.db').as_posix()}"
        )

    @property
    def authorized_parties(self) -> list[str]:
        raw = self.clerk_authorized_parties or ""
        return [p.strip() for p in raw.split(",") if p.strip()]

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "dev-jwt-private-key.pem"

    def check_startable(self) -> None:
        """Raise ConfigError when the service must refuse to start."""
        if self.auth_mode == "clerk" and not (self.clerk_jwt_key or self.clerk_jwks_url):
            raise ConfigError(
                "AUTH_MODE=clerk needs CLERK_JWT_KEY (PEM public key) or CLERK_JWKS_URL; "
                "set one, or use AUTH_MODE=dev for local development."
            )


def normalize_database_url(url: str) -> str:
    """Switch plain SQLAlchemy URLs to the async drivers we ship."""
    for plain, asynchronous in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return asynchronous + url[len(plain) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
