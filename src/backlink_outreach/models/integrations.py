"""Integrations (issue 18): API keys, webhook endpoints, the events outbox and its deliveries.

- `api_keys`: a workspace's keys, stored as SHA-256 hashes of the key (shown once).
- `webhook_endpoints`: where a workspace's events go; the signing secret only sealed.
- `events`: the transactional outbox. A row is written in the same transaction as the change it
  reports, only when an enabled endpoint of the workspace subscribes to its type; `payload` is
  the exact body every delivery sends; `endpoint_ids` the endpoints that subscribed then, until
  the delivery duty has fanned the event out.
- `webhook_deliveries`: one per (event, endpoint), made by the fan-out: the queue the delivery
  duty claims from (`status`, `next_attempt_at`) and where the delivery stands.
- `webhook_attempts`: the delivery log, one row per attempt (`GET /webhooks/{id}/deliveries`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

EndpointStatus = Literal["enabled", "disabled"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_workspace_created", "workspace_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_workspace", "workspace_id", "status"),
        Index("ix_webhook_endpoints_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[EndpointStatus] = mapped_column(String(20), default="enabled")
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # Deliveries given up in a row; a success sets it back to 0; 20 disable the endpoint.
    give_ups_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace_created", "workspace_id", "created_at", "id"),
        # The fan-out's queue: only the events not fanned out yet, a handful at any time.
        Index(
            "ix_events_to_fan_out",
            "id",
            postgresql_where=text("endpoint_ids IS NOT NULL"),
            sqlite_where=text("endpoint_ids IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    # The endpoints subscribed when the event was recorded, space-separated; NULL once the
    # fan-out (`webhooks/fanout.py`) has made their deliveries. Writing them here rather than a
    # delivery row per endpoint keeps the change's transaction at one INSERT (issue 18).
    endpoint_ids: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The duty's claim: due pending deliveries, oldest due first.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When pending: due then. A claimed delivery's is pushed a lease ahead, so a worker killed
    # mid-delivery leaves it due again once the lease runs out (with the same webhook-id).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint_at", "endpoint_id", "at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    delivery_id: Mapped[str | None] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
