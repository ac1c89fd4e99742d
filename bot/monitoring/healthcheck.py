"""`python -m bot.monitoring.healthcheck`: exit 0 when the running bot's /healthz answers (Docker HEALTHCHECK)."""

from __future__ import annotations

import os
import sys
import urllib.request


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    listen = (env.get("ENTRAIDE_METRICS_LISTEN") or "").strip()
    if not listen:
        print("ENTRAIDE_METRICS_LISTEN is not set: no /healthz to ask", file=sys.stderr)
        return 1
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 (a local URL)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"/healthz did not answer ({type(error).__name__})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
