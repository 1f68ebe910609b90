"""Create a demo broker, its Super Admin and some organizations and groups — only into an empty database —
and give the Partner Center emulator a few customers that are not linked to any organization yet."""

from __future__ import annotations

import datetime as dt
import os

from django.core.management.base import BaseCommand
from django.db import transaction

from cloudbroker.accounts.models import User
from cloudbroker.brokers.models import Broker
from cloudbroker.core.actors import Actor
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations import services as org_services

DEMO_EMAIL = "admin@demo.cloudbroker.test"
DEMO_PASSWORD = "Broker-Demo-2026!"
KAM_EMAIL = "kam@demo.cloudbroker.test"

# The emulator's fixed development app registration (docs/emulator.md; not a secret). The product
# never imports the emulator, so the demo carries these values; a test holds them equal to the
# emulator's own (tests/portal/test_seed_demo.py).
DEV_TENANT_ID = "0e195b37-4574-4539-bc42-0e539b9684c0"
DEV_CLIENT_ID = "7b1d6d2c-5a8e-4c4e-9c39-3f3f1c2e8a11"
DEV_CLIENT_SECRET = "emulator-dev-secret"

DEMO_ORGANIZATIONS = [
    ("Contoso Ltd", "contoso.com", "C-1001", "Stockholm", "SE", "North"),
    ("Fabrikam AB", "fabrikam.se", "C-1002", "Göteborg", "SE", "North"),
    ("Northwind Traders", "northwindtraders.com", "C-1003", "London", "GB", "West"),
    ("Adventure Works", "adventure-works.com", "C-1004", "Dublin", "IE", "West"),
    ("Tailspin Toys", "tailspintoys.com", "C-1005", "Oslo", "NO", "North"),
    ("Wingtip Toys", "wingtiptoys.com", "C-1006", "Copenhagen", "DK", None),
    ("Woodgrove Bank", "woodgrovebank.com", "C-1007", "Helsinki", "FI", None),
    ("Litware Inc", "litwareinc.com", "C-1008", "Amsterdam", "NL", "West"),
]


class Command(BaseCommand):
    help = "Create the demo broker, login, organizations and groups when the database has no broker yet."

    def handle(self, *args, **options):
        if Broker.objects.exists():
            self.stdout.write("The database already has a broker; demo data not added.")
            self.queue_catalog_sync()
            return
        with transaction.atomic():
            broker = Broker.objects.create(
                name="Demo Broker",
                slug="demo",
                notification_email="approvals@demo.cloudbroker.test",
                support_email="support@demo.cloudbroker.test",
                currency="EUR",
            )
            User.objects.create_user(
                DEMO_EMAIL,
                DEMO_PASSWORD,
                broker=broker,
                staff_role=StaffRole.SUPER_ADMIN,
                first_name="Demo",
                last_name="Administrator",
            )
            kam = User.objects.create_user(
                KAM_EMAIL,
                DEMO_PASSWORD,
                broker=broker,
                staff_role=StaffRole.KEY_ACCOUNT_MANAGER,
                first_name="Kim",
                last_name="Manager",
            )
            actor = Actor.system(broker)
            groups = {
                name: org_services.create_group(actor=actor, data={"name": name, "description": desc})
                for name, desc in [("North", "Nordic customers"), ("West", "UK, Ireland and Benelux")]
            }
            for name, domain, number, city, country, group in DEMO_ORGANIZATIONS:
                org_services.create_organization(
                    actor=actor,
                    data={
                        "name": name,
                        "primary_domain": domain,
                        "customer_number": number,
                        "city": city,
                        "country": country,
                        "notification_email": f"it@{domain}",
                        "billing_start_date": dt.date(2026, 1, 1),
                        "contact_name": "IT Department",
                    },
                    group_ids=[groups[group].pk] if group else [],
                )
            org_services.set_group_users(actor=actor, group=groups["North"], user_ids=[kam.pk])
            # `make run` starts the Partner Center emulator beside the product; the demo broker talks to it.
            from cloudbroker.microsoft365.models import PartnerCenterConnection

            emulator = f"http://127.0.0.1:{os.environ.get('PC_EMULATOR_PORT', '8765')}"
            connection = PartnerCenterConnection(
                broker=broker,
                tenant_id=DEV_TENANT_ID,
                client_id=DEV_CLIENT_ID,
                authority_base=emulator,
                api_base_url=emulator,
            )
            connection.client_secret = DEV_CLIENT_SECRET
            connection.save()
        self.stdout.write(self.style.SUCCESS(f"Demo broker created. Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"))
        self.seed_emulator()
        self.queue_catalog_sync()

    def queue_catalog_sync(self) -> None:
        """While the demo broker's catalog is empty, a job reads it and its prices from the emulator;
        the worker `make run` starts runs it (waiting a little for the emulator starting beside it)."""
        from cloudbroker.catalog.models import Product
        from cloudbroker.microsoft365 import services as microsoft365

        broker = Broker.objects.filter(slug="demo", partner_center__isnull=False).first()
        if broker is None or Product.objects.filter(broker=broker).exists():
            return
        try:
            with transaction.atomic():
                job = microsoft365.start_catalog_sync(broker_id=broker.pk)
        except microsoft365.CatalogSyncAlreadyRunning:
            return
        self.stdout.write(f"The catalog and its prices are read from the Partner Center emulator (job {job.pk}).")

    def seed_emulator(self) -> None:
        """The emulator `make run` starts adds its own demo customers (``--seed-demo``, Procfile); the
        product never imports the emulator, so it only says where to find them (seed 000 §4)."""
        self.stdout.write(
            "The Partner Center emulator that `make run` starts holds demo customers not linked yet: run a sync "
            "on the Partner Center connection page, then Microsoft 365 tenants → Link tenant or Auto create and link."
        )
