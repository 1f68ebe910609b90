"""Benchmark: a full Partner Center sync of 2,000 customers with 5 subscriptions and 20 users each.

Starts the Partner Center emulator as its own process (the same command `make run` uses), fills it
through its control endpoints (kept in a state file under var/bench so later runs start at once),
sets its rate limit, then runs the product's sync (`cloudbroker.microsoft365.sync.sync_broker`, the
code behind the periodic job and `manage.py sync_partner_center`) into a fresh database, twice:

    .venv/bin/python bench/sync_partner_center.py
    .venv/bin/python bench/sync_partner_center.py --postgres postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/sync_partner_center.py --customers 200 --rate-limit 0   # quick, unthrottled

Prints Partner Center calls per customer, wall time, the request rate reached as a fraction of
the emulator's limit, 429 answers received, and what the second sync changed (it should be nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from partner_center_emulator.config import DEV_CLIENT_SECRET  # noqa: E402

OFFERS = [  # five subscriptions per customer: Business Basic, Standard, Premium, Microsoft 365 E3, Office 365 E1
    "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
    "CFQ7TTC0LDPB:0001:CFQ7TTC0K5DM",
    "CFQ7TTC0LCHC:0002:CFQ7TTC0KFFN",
    "CFQ7TTC0LFLX:0001:CFQ7TTC0K4TR",
    "CFQ7TTC0LF8Q:0001:CFQ7TTC0K39X",
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(state_file: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "partner_center_emulator",
            "--port",
            str(port),
            "--state",
            str(state_file),
            "--rate-limit",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start")


def seed(base: str, customers: int, subscriptions: int, users: int) -> None:
    http = httpx.Client(base_url=base, timeout=30)

    def post(path: str, body: dict) -> dict:
        response = http.post("/_emulator" + path, json=body)
        response.raise_for_status()
        return response.json()

    def one(i: int) -> None:
        domain = f"benchcustomer{i:05d}.onmicrosoft.com"
        customer = post("/customers", {"companyName": f"Bench Customer {i:05d}", "domain": domain, "country": "US"})
        for s in range(subscriptions):
            post(
                "/subscriptions",
                {"customerId": customer["id"], "catalogItemId": OFFERS[s % len(OFFERS)], "quantity": 5 + s},
            )
        for u in range(users):
            post("/users", {"customerId": customer["id"], "userPrincipalName": f"user{u:02d}@{domain}"})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n, _ in enumerate(pool.map(one, range(customers)), 1):
            if n % 200 == 0:
                print(f"  seeded {n} customers ({time.perf_counter() - started:.0f} s)", file=sys.stderr)


def wait_saved(state_file: Path, customers: int) -> None:
    for _ in range(600):
        if state_file.exists():
            try:
                if len(json.loads(state_file.read_text("utf-8")).get("customers", [])) >= customers:
                    return
            except ValueError:
                pass
        time.sleep(0.5)
    raise SystemExit("the emulator did not save its state")


def prepare_database(postgres: str | None) -> None:
    from bench._database import use_fresh_database

    use_fresh_database(postgres, "cloudbroker_bench_sync")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cloudbroker.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=5)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rate-limit", type=int, default=500, help="the emulator's calls per minute (0 = off)")
    parser.add_argument(
        "--client-rate",
        type=int,
        help="the connection's requests per minute (default: 97%% of --rate-limit; unlimited when it is 0)",
    )
    parser.add_argument("--runs", type=int, default=2, help="syncs in a row (the second should change nothing)")
    parser.add_argument("--postgres", help="PostgreSQL URL (a cloudbroker_bench_sync database is made beside it)")
    args = parser.parse_args()

    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    state_dir = ROOT / "var" / "bench"
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / f"pc-state-{args.customers}x{args.subscriptions}x{args.users}.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_emulator(state_file, port)
    try:
        control = httpx.Client(base_url=base + "/_emulator", timeout=30)
        if control.get("/stats").json()["customers"] < args.customers:
            control.post("/reset")
            print(f"Seeding the emulator with {args.customers} customers ...", file=sys.stderr)
            seed(base, args.customers, args.subscriptions, args.users)
            wait_saved(state_file, args.customers)
        figures = control.get("/stats").json()
        print(
            f"Emulator: {figures['customers']} customers, {figures['subscriptions']} subscriptions, "
            f"{figures['users']} users; rate limit {args.rate_limit or 'off'} calls/minute",
            file=sys.stderr,
        )
        control.post("/config", json={"rateLimit": args.rate_limit})
        settings = control.get("/config").json()

        prepare_database(args.postgres)
        from cloudbroker.brokers.models import Broker
        from cloudbroker.microsoft365.models import (
            MicrosoftTenant,
            PartnerCenterConnection,
            TenantSubscription,
            TenantUser,
        )
        from cloudbroker.microsoft365.partner_center import client_for
        from cloudbroker.microsoft365.sync import sync_broker

        client_rate = args.client_rate
        if client_rate is None:
            client_rate = int(args.rate_limit * 0.97) if args.rate_limit else 0
        broker = Broker.objects.create(
            name="Bench", slug="bench", notification_email="a@b.test", support_email="s@b.test"
        )
        connection = PartnerCenterConnection(
            broker=broker,
            tenant_id=settings["tenantId"],
            client_id=settings["clientId"],
            authority_base=base,
            api_base_url=base,
            scope="https://api.partnercenter.microsoft.com/.default",
            requests_per_minute=client_rate,
        )
        connection.client_secret = DEV_CLIENT_SECRET
        connection.save()

        runs = []
        for label in ("first sync", "second sync", "third sync")[: args.runs]:
            control.delete("/stats")
            with client_for(broker.pk) as client:
                started = time.perf_counter()
                result = sync_broker(broker.pk, client=client)
                seconds = time.perf_counter() - started
                client_stats = client.stats
            calls = control.get("/stats").json()
            runs.append((label, result, seconds, calls, client_stats))

        print()
        print(
            f"Sync of {args.customers} customers × {args.subscriptions} subscriptions × {args.users} users "
            f"({'PostgreSQL' if args.postgres else 'SQLite'}; emulator limit {args.rate_limit or 'off'}/min, "
            f"client limit {client_rate or 'off'}/min)"
        )
        print(
            "| run | wall s | API calls | calls per customer | calls/min | fraction of limit | 429s | "
            "customers failed | rows created | rows changed |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, result, seconds, calls, client_stats in runs:
            total = calls["totalCalls"]
            per_minute = total / seconds * 60
            fraction = f"{per_minute / args.rate_limit:.2f}" if args.rate_limit else "–"
            created = sum(v for k, v in result.items() if k.endswith("_created"))
            changed = sum(v for k, v in result.items() if k.endswith(("_changed", "_removed")))
            print(
                f"| {label} | {seconds:.1f} | {total} | {total / max(1, args.customers):.2f} | {per_minute:.0f} | "
                f"{fraction} | {calls['throttled']} (client saw {client_stats.throttled}) | "
                f"{result.get('customers_failed', 0)} | {created} | {changed} |"
            )
        print()
        print(
            "Rows:",
            MicrosoftTenant.objects.count(),
            "tenants,",
            TenantSubscription.objects.count(),
            "subscriptions,",
            TenantUser.objects.count(),
            "users",
        )
        print("Calls of the first sync by endpoint:", json.dumps(runs[0][3]["calls"], sort_keys=True))
    finally:
        process.terminate()
        process.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
