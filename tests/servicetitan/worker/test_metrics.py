"""The worker's metrics as Prometheus scrapes them: names and labels by
Prometheus' conventions (``_total`` counters, ``_seconds`` histograms, base
units, label values from a short known list), the queue's gauges read from
the database, and nothing that names a tenant, a credential or a secret."""

from __future__ import annotations

import re
import socket
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from servicetitan.worker import metrics
from servicetitan.worker.queue import queue_sync
from servicetitan.worker.settings import FEEDS

BOUNDED = {
    "feed": set(FEEDS),
    "outcome": {"completed", "failed", "stopped", "skipped"},
    "result": {"synced", "rejected"},
    "reason": {
        "transient",
        "worker_stopped",
        "stalled",
        "rate_limited",
        "server_error",
        "timeout",
        "connection",
        "token_expired",
    },
    "trigger": {"manual", "scheduled"},
    "status": {"todo", "doing", "failed"},
    "le": None,  # a histogram's buckets
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_metrics_are_served_named_by_the_conventions_with_bounded_labels(
    queue, queued_jobs, credential
):
    queued_jobs.append(credential.id)
    await queue_sync(credential.id, "jobs", "scheduled")
    await metrics.refresh_queue_gauges()
    metrics.SYNC_RUNS.labels(feed="jobs", outcome="completed").inc()
    port = free_port()
    server = metrics.serve(port)
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    ours = {name: f for name, f in families.items() if name.startswith("servicetitan_")}
    assert {
        "servicetitan_sync_runs",
        "servicetitan_sync_records",
        "servicetitan_sync_duration_seconds",
        "servicetitan_sync_start_delay_seconds",
        "servicetitan_sync_retries",
        "servicetitan_api_rate_limited",
        "servicetitan_api_retries",
        "servicetitan_tokens_obtained",
        "servicetitan_queue_jobs",
        "servicetitan_queue_oldest_waiting_seconds",
    } <= set(ours)
    for name, family in ours.items():
        assert re.fullmatch(r"[a-z_]+", name), name
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), name
        if family.type == "histogram":
            assert name.endswith("_seconds"), name
        for sample in family.samples:
            for label, value in sample.labels.items():
                assert label in BOUNDED, (name, label)
                assert BOUNDED[label] is None or value in BOUNDED[label], (name, label, value)
    waiting = {s.labels["status"]: s.value for s in ours["servicetitan_queue_jobs"].samples}
    assert waiting["todo"] >= 1
    assert str(credential.id) not in text and str(credential.tenant_id) not in text
    assert credential.client_id not in text
