"""``python -m partner_center_emulator``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .config import SCOPE, EmulatorConfig
from .server import make_store, uvicorn_config


def parse_args(argv: list[str] | None = None) -> EmulatorConfig:
    parser = argparse.ArgumentParser(
        prog="python -m partner_center_emulator",
        description="A local emulator of the Microsoft Partner Center REST API (the subset Cloudbroker uses).",
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8765)")
    parser.add_argument("--state", dest="state_file", help="JSON file to load the state from and save it to")
    parser.add_argument("--rate-limit", type=int, help="API calls per minute per partner (default 500; 0 = off)")
    parser.add_argument("--page-size", type=int, help="largest page of a list (default 100)")
    parser.add_argument("--tenant-id", help="partner tenant id the token endpoint accepts")
    parser.add_argument("--client-id", help="application (client) id the token endpoint accepts")
    parser.add_argument("--client-secret", help="client secret the token endpoint accepts")
    parser.add_argument("--tls", action="store_true", default=None, help="serve https with a self-signed certificate")
    parser.add_argument("--tls-dir", help="where to keep the self-signed certificate (default: a temporary folder)")
    parser.add_argument(
        "--seed-demo",
        action="store_true",
        help="add the demo customers (not linked to any organization) when they are not there yet",
    )
    args = vars(parser.parse_args(argv))
    seed = args.pop("seed_demo")
    config = EmulatorConfig.from_env(**args)
    config.extra["seed_demo"] = seed
    return config


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = parse_args(argv)
    store = make_store(config)
    if config.extra.get("seed_demo"):
        from .demo import seed_demo

        seed_demo(store)
    server_config = uvicorn_config(config, store)
    scheme = "https" if config.tls else "http"
    base = f"{scheme}://{config.host}:{config.port}"
    lines = [
        "Partner Center emulator",
        f"  API base URL     {base}   (Partner Center paths: {base}/v1/...)",
        f"  Token authority  {base}/{config.tenant_id}",
        f"  MSAL authority   https://{config.host}:{config.port}/{config.tenant_id}"
        + ("" if config.tls else "   (with an http_client that uses http; see docs/emulator.md)"),
        f"  Tenant id        {config.tenant_id}",
        f"  Client id        {config.client_id}",
        f"  Client secret    {config.client_secret}",
        f"  Scope            {SCOPE}",
        f"  Rate limit       {config.rate_limit or 'off'} calls/minute; page size {config.page_size}",
        f"  State file       {config.state_file or '(memory only)'}",
        f"  Control          {base}/_emulator/ (clock, faults, customers, subscriptions, users, reset, state, stats)",
    ]
    if config.tls:
        lines.append(f"  CA certificate   {config.extra['ca_file']}")
    print("\n".join(lines), flush=True)  # noqa: T201 - the start banner
    store.start_saver()
    try:
        uvicorn.Server(server_config).run()
    finally:
        store.stop_saver()
    return 0


if __name__ == "__main__":
    sys.exit(main())
