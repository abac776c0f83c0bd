"""`python -m tests.pinger URL`: send signed GitHub `ping` webhooks to URL one after another, printing
each round trip (seconds) on its own line, until stopped.

A separate process, so that it measures the bot from outside: a thread of the test process
would wait for the same interpreter lock as a stalled event loop and never see the stall.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
import uuid

from tests.harness import sign


def ping(url: str) -> float:
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-GitHub-Event": "ping", "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body)})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        if response.status != 200:
            raise SystemExit(f"ping answered {response.status}")
    return time.perf_counter() - started


def main(url: str) -> None:
    while True:
        print(f"{ping(url):.6f}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main(sys.argv[1])
