"""Failure notifications: POST a JSON message to the webhook in LAKEPULSE_ALERT_WEBHOOK.

The URL may carry a token, so it comes from the environment only and is never
logged. A notification that cannot be delivered is a warning, not a second
failure of the run.
"""

from __future__ import annotations

import logging
import os

import httpx

WEBHOOK_ENV = "LAKEPULSE_ALERT_WEBHOOK"


def notify_failure(flow: str, run_name: str, failure: str, details: str = "") -> bool:
    """Send the failure to the webhook, if one is configured; True when it was delivered."""
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return False
    message = {
        "text": f"LakePulse {flow} run {run_name} failed: {failure}",
        "flow": flow,
        "run": run_name,
        "failure": failure,
        "details": details[:4000],
    }
    try:
        response = httpx.post(url, json=message, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logging.getLogger(__name__).warning(
            "failure notification not delivered (%s); check %s", type(exc).__name__, WEBHOOK_ENV
        )
        return False
    return True
