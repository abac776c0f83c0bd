"""Prometheus metrics (SPEC §2 /metrics). One process-wide registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

deliveries_received = Counter(
    "governance_deliveries_received_total", "Webhook deliveries accepted and stored", ["event"], registry=REGISTRY
)
deliveries_processed = Counter(
    "governance_deliveries_processed_total", "Deliveries processed successfully", ["event"], registry=REGISTRY
)
deliveries_failed = Counter(
    "governance_deliveries_failed_total", "Deliveries whose processing failed (each attempt)", ["event", "final"],
    registry=REGISTRY,
)
webhook_rejected = Counter(
    "governance_webhook_rejected_total", "Webhook requests refused, by HTTP status", ["status"], registry=REGISTRY
)
connections_dropped = Counter(
    "governance_connections_dropped_total", "Connections closed to stay within the intake limits", ["reason"],
    registry=REGISTRY,
)
queue_depth = Gauge("governance_queue_depth", "Deliveries waiting or in progress", registry=REGISTRY)
processing_seconds = Histogram(
    "governance_processing_seconds", "Time from claim to completion of a delivery", ["event"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
github_api_calls = Counter(
    "governance_github_api_calls_total", "GitHub API requests by method and status", ["method", "status"],
    registry=REGISTRY,
)
rate_limit_remaining = Gauge(
    "governance_github_rate_limit_remaining", "Last seen x-ratelimit-remaining per installation", ["installation"],
    registry=REGISTRY,
)

sweeps = Counter(
    "governance_delivery_sweeps_total", "Sweeps of the App's delivery log, by outcome (complete, partial, failed)",
    ["outcome"], registry=REGISTRY,
)
sweep_missing = Counter(
    "governance_sweep_missing_total", "Deliveries found in GitHub's log as never delivered and not held by the bot",
    registry=REGISTRY,
)
sweep_redeliveries = Counter(
    "governance_sweep_redeliveries_total", "Redeliveries asked of GitHub by the sweep (once per delivery GUID)",
    registry=REGISTRY,
)
sweep_seconds = Histogram(
    "governance_sweep_seconds", "Duration of a sweep of the App's delivery log", registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def render() -> bytes:
    return generate_latest(REGISTRY)
