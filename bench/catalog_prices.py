"""Benchmark: every price of one organization, with 5,000 item codes and 100,000 customer prices.

Builds a fresh database (SQLite in a temporary folder, or a `cloudbroker_bench_prices` database on
the PostgreSQL server given with --postgres): a catalog of 5,000 item codes with vendor prices
(one price change each), a global price list (a rule for every product, one per product group,
fixed prices for a fifth of the item codes) and 20 organizations with a customer price for every
item code (100,000 entries). Then, in the same run:

* ours: the item codes offered to one organization (``offered_offers``) priced by its price book
  (``PriceBook.prices``) — what the e-store page and the customer price list read;
* the floor: one SQL query returning the same numbers (item code, sales price, cost), resolving the
  same precedence with window functions.

It checks that both give the same numbers and that the price book's query count does not grow
with the number of item codes, and prints the median of N runs of each (run in turn, so that the
machine's load weighs on both alike) and the ratio:

    .venv/bin/python bench/catalog_prices.py
    .venv/bin/python bench/catalog_prices.py --postgres postgres://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DAY = dt.date(2026, 6, 15)
TERMS = (("P1M", "monthly", 1), ("P1Y", "monthly", 12), ("P1Y", "annual", 1))


def build(item_codes: int, organizations: int):
    from django.core.management import call_command

    from cloudbroker.brokers.models import Broker
    from cloudbroker.catalog.models import Category, Offer, PriceEntry, Product, ProductGroup, VendorPrice, item_code
    from cloudbroker.organizations.models import Organization

    call_command("migrate", verbosity=0)
    broker = Broker.objects.create(
        name="Bench", slug="bench", notification_email="a@b.test", support_email="s@b.test", currency="EUR"
    )
    category = Category.objects.create(broker=broker, name="Licence-based", slug="licence-based")
    groups = ProductGroup.objects.bulk_create(
        [ProductGroup(broker=broker, name=f"Group {i}", slug=f"group-{i}") for i in range(8)]
    )
    products = Product.objects.bulk_create(
        [
            Product(
                id=uuid.uuid4(),
                broker=broker,
                vendor_product_id=f"CFQ7TTC0{i:04d}",
                vendor_sku_id="0001",
                title=f"Product {i:04d}",
                category=category,
                group=groups[i % len(groups)],
            )
            for i in range((item_codes + len(TERMS) - 1) // len(TERMS))
        ]
    )
    offers = []
    for product in products:
        for term, plan, _ in TERMS:
            if len(offers) < item_codes:
                offers.append(
                    Offer(
                        id=uuid.uuid4(),
                        broker=broker,
                        product=product,
                        term=term,
                        billing_plan=plan,
                        item_code=item_code(product.product_sku, term, plan),
                    )
                )
    Offer.objects.bulk_create(offers, batch_size=2000)
    prices = []
    for i, offer in enumerate(offers):
        base = Decimal(60 + i % 400) * (12 if offer.term == "P1Y" else 1)
        prices.append(
            VendorPrice(
                broker=broker,
                offer=offer,
                market="DE",
                currency="EUR",
                cost=base,
                erp=base * Decimal("1.25"),
                effective_from=dt.date(2026, 1, 1),
                effective_to=dt.date(2026, 4, 30),
            )
        )
        prices.append(
            VendorPrice(
                broker=broker,
                offer=offer,
                market="DE",
                currency="EUR",
                cost=base + 12,
                erp=(base + 12) * Decimal("1.25"),
                effective_from=dt.date(2026, 5, 1),
            )
        )
    VendorPrice.objects.bulk_create(prices, batch_size=5000)
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                broker=broker,
                name=f"Customer {i:03d}",
                primary_domain=f"customer{i}.example.com",
                notification_email=f"it@customer{i}.example.com",
                billing_start_date=dt.date(2026, 1, 1),
                country="DE",
            )
            for i in range(organizations)
        ]
    )

    def entry(**kw):
        e = PriceEntry(
            broker=broker, currency="EUR", effective_from=kw.pop("effective_from", dt.date(2026, 1, 1)), **kw
        )
        from cloudbroker.catalog.models import slot_scope_key, slot_target_key

        e.scope_key, e.target_key = slot_scope_key(e.organization_id), slot_target_key(e)
        return e

    entries = [entry(kind="margin", value=Decimal(18))]
    entries += [entry(group=g, kind="markup", value=Decimal(20 + i)) for i, g in enumerate(groups)]
    entries += [entry(offer=o, kind="amount", value=Decimal(90 + i % 50)) for i, o in enumerate(offers) if i % 5 == 0]
    kinds = ("amount", "margin", "markup", "erp_discount")
    for n, org in enumerate(orgs):
        for i, offer in enumerate(offers):
            kind = kinds[(i + n) % 4]
            value = Decimal(80 + i % 90) if kind == "amount" else Decimal((i + n) % 30)
            entries.append(entry(organization=org, offer=offer, kind=kind, value=value))
        # Half of the organizations changed some prices later: two dates in a slot.
        if n % 2 == 0:
            entries += [
                entry(organization=org, offer=o, kind="margin", value=Decimal(25), effective_from=dt.date(2026, 3, 1))
                for o in offers[:500]
            ]
    PriceEntry.objects.bulk_create(entries, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return broker, orgs, len(entries)


FLOOR_SQL = """
WITH vp AS (
    SELECT offer_id, cost, erp FROM (
        SELECT offer_id, cost, erp,
               ROW_NUMBER() OVER (PARTITION BY offer_id ORDER BY effective_from DESC) AS n
        FROM catalog_vendorprice
        WHERE broker_id = %(broker)s AND market = 'DE' AND currency = 'EUR' AND effective_from <= %(day)s
          AND (effective_to IS NULL OR effective_to >= %(day)s)
    ) latest WHERE n = 1
),
e AS (
    SELECT organization_id, offer_id, product_id, group_id, category_id, kind, value FROM (
        SELECT organization_id, offer_id, product_id, group_id, category_id, kind, value,
               ROW_NUMBER() OVER (PARTITION BY scope_key, target_key ORDER BY effective_from DESC, created_at DESC) AS n
        FROM catalog_priceentry
        WHERE broker_id = %(broker)s AND scope_key IN ('global', %(org_key)s) AND effective_from <= %(day)s
    ) latest WHERE n = 1 AND kind <> 'inherit'
),
c AS (SELECT * FROM e WHERE organization_id = %(org)s),
g AS (SELECT * FROM e WHERE organization_id IS NULL),
ca AS MATERIALIZED (
    SELECT kind, value FROM c WHERE offer_id IS NULL AND product_id IS NULL AND group_id IS NULL AND category_id IS NULL
),
ga AS MATERIALIZED (
    SELECT kind, value FROM g WHERE offer_id IS NULL AND product_id IS NULL AND group_id IS NULL AND category_id IS NULL
),
priced AS (
    SELECT o.item_code,
           vp.cost / (CASE WHEN o.term = 'P1Y' AND o.billing_plan = 'monthly' THEN 12 ELSE 1 END) AS cost,
           vp.erp / (CASE WHEN o.term = 'P1Y' AND o.billing_plan = 'monthly' THEN 12 ELSE 1 END) AS erp,
           COALESCE(co.kind, cp.kind, cg.kind, cc.kind, ca.kind, go.kind, gp.kind, gg.kind, gc.kind, ga.kind) AS kind,
           COALESCE(co.value, cp.value, cg.value, cc.value, ca.value, go.value, gp.value, gg.value, gc.value, ga.value)
               AS value
    FROM catalog_offer o
    JOIN catalog_product p ON p.id = o.product_id
    LEFT JOIN vp ON vp.offer_id = o.id
    LEFT JOIN c co ON co.offer_id = o.id
    LEFT JOIN c cp ON cp.product_id = o.product_id
    LEFT JOIN c cg ON cg.group_id = p.group_id
    LEFT JOIN c cc ON cc.category_id = p.category_id
    LEFT JOIN ca ON TRUE
    LEFT JOIN g go ON go.offer_id = o.id
    LEFT JOIN g gp ON gp.product_id = o.product_id
    LEFT JOIN g gg ON gg.group_id = p.group_id
    LEFT JOIN g gc ON gc.category_id = p.category_id
    LEFT JOIN ga ON TRUE
    WHERE o.broker_id = %(broker)s AND p.hidden = %(false)s AND o.withdrawn_on IS NULL AND p.withdrawn_on IS NULL
)
SELECT item_code,
       ROUND(CASE kind
           WHEN 'amount' THEN value
           WHEN 'margin' THEN cost / ((100.0 - value) / 100.0)
           WHEN 'markup' THEN cost * ((100.0 + value) / 100.0)
           WHEN 'erp_discount' THEN erp * ((100.0 - value) / 100.0)
           ELSE erp END, 2) AS sales
FROM priced
"""


def floor(connection, broker, org, *, sql: str = FLOOR_SQL, limit: int | None = None) -> dict[str, Decimal]:
    """The same numbers from one query (the bench's offers are all offered: no billing plan off,
    nothing hidden or withdrawn, terms of one month or one year)."""
    sqlite = connection.vendor == "sqlite"
    params = {
        "broker": broker.pk.hex if sqlite else broker.pk,
        "org": org.pk.hex if sqlite else org.pk,
        "org_key": str(org.pk),
        "day": DAY,
        "false": False,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {code: Decimal(str(sales)).quantize(Decimal("0.01")) for code, sales in cursor.fetchall()}


def ours(broker, org) -> dict[str, Decimal]:
    from cloudbroker.catalog.pricing import PriceBook
    from cloudbroker.catalog.services import offered_offers

    rows = PriceBook(broker, organization=org, day=DAY).price_list(offered_offers(broker, organization=org, day=DAY))
    return {row.item_code: price.sales.amount for row, price in rows}


def timed_in_turn(first, second, repeat):
    """Medians (ms) and last results of ``first`` and ``second`` run in turn, so that a change in
    the machine's load during the run weighs on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    results = [None, None]
    for _ in range(repeat):
        for i, fn in enumerate((first, second)):
            t0 = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return statistics.median(times[0]) * 1000, results[0], statistics.median(times[1]) * 1000, results[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--item-codes", type=int, default=5000)
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--postgres", help="server URL; a database cloudbroker_bench_prices is (re)created there")
    args = parser.parse_args()
    from bench._database import use_fresh_database

    use_fresh_database(args.postgres, "cloudbroker_bench_prices")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cloudbroker.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t0 = time.perf_counter()
    broker, orgs, entries = build(args.item_codes, args.organizations)
    import gc

    gc.collect()  # what building left behind, as a server process would not carry it
    print(f"built {args.item_codes} item codes, {entries} price entries in {time.perf_counter() - t0:.1f} s")
    org = orgs[0]
    # Django's query log keeps the latest 9,000 queries, and building filled most of it: empty it
    # before counting, or the count stops at the log's end.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        mine = ours(broker, org)
    book_queries = len(queries)
    ours_ms, mine, floor_ms, theirs = timed_in_turn(
        lambda: ours(broker, org), lambda: floor(connection, broker, org), args.repeat
    )
    if connection.vendor == "postgresql":
        assert mine == theirs, "the floor query and the price book disagree"
    else:  # SQLite computes in floating point: compare to the cent
        differ = [k for k in mine if abs(mine[k] - theirs[k]) > Decimal("0.01")]
        assert not differ, differ[:5]
    print(f"\n{connection.vendor}, {len(mine)} item codes for one organization, median of {args.repeat} runs")
    print("| what | ms |\n|---|---|")
    print(f"| price book (offered item codes + prices) | {ours_ms:.1f} |")
    print(f"| floor: one SQL query, same numbers | {floor_ms:.1f} |")
    print(f"| ratio | {ours_ms / floor_ms:.2f}× |")
    print(f"| queries of the price book | {book_queries} |")

    # The customer price list page (its first page, as a Super Admin) against the floor query
    # limited to the rows that page shows.
    from django.conf import settings
    from django.test import Client

    from cloudbroker.accounts.models import User
    from cloudbroker.core.permissions import StaffRole

    settings.ALLOWED_HOSTS = ["testserver"]
    admin = User.objects.create_user("admin@bench.test", "x", broker=broker, staff_role=StaffRole.SUPER_ADMIN)
    client = Client()
    client.force_login(admin, backend="cloudbroker.accounts.backends.EmailBackend")
    path = f"/organizations/{org.pk}/prices/"
    assert client.get(path).status_code == 200  # warm-up (the first request marks the session)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as page_queries:
        response = client.get(path)
    page_query_count = len(page_queries)
    rows = response.content.decode().count('name="offers"')
    limited = FLOOR_SQL.rstrip() + " ORDER BY item_code LIMIT %(limit)s"
    page_ms, _, page_floor_ms, _ = timed_in_turn(
        lambda: client.get(path), lambda: floor(connection, broker, org, sql=limited, limit=rows), args.repeat
    )
    print(f"| price list page, first page ({rows} rows, {page_query_count} queries) | {page_ms:.1f} |")
    print(f"| floor: the same query for those rows | {page_floor_ms:.1f} |")
    print(f"| ratio | {page_ms / page_floor_ms:.2f}× |")


if __name__ == "__main__":
    main()
