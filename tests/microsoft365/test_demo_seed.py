"""`make run`'s demo seed gives the Partner Center emulator customers no organization is linked to,
with full profiles and one missing the organization's mandatory primary domain, so that seed 000
§4 (link existing tenants, auto create and link) can be tried on a fresh install; and it leaves a
catalog sync job for the worker, so that the demo broker has a priced catalog."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cloudbroker.brokers.models import Broker
from cloudbroker.catalog.models import Offer, Product, VendorPrice
from cloudbroker.core.actors import Actor
from cloudbroker.core.choices import JobStatus
from cloudbroker.core.models import Job
from cloudbroker.core.testing import drain_jobs, flush_jobs, pending_job_ids
from cloudbroker.microsoft365 import services
from cloudbroker.microsoft365.choices import JobKind
from cloudbroker.microsoft365.models import MicrosoftTenant, PartnerCenterConnection
from cloudbroker.microsoft365.sync import sync_broker
from partner_center_emulator.demo import DEMO_CUSTOMERS, seed_state_file
from partner_center_emulator.testing import running_emulator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_queue():
    flush_jobs()
    yield
    flush_jobs()


def test_the_demo_seed_writes_unlinked_customers_once_and_auto_link_takes_all_but_one(tmp_path, capsys):
    state = tmp_path / "partner-center-emulator.json"
    # `make run` starts the emulator with --seed-demo (Procfile), which does this before serving.
    assert seed_state_file(state) == len(DEMO_CUSTOMERS)
    call_command("seed_demo")
    assert "demo customers not linked yet" in capsys.readouterr().out
    saved = json.loads(state.read_text("utf-8"))
    assert sorted(c["company_name"] for c in saved["customers"]) == sorted(d.company_name for d in DEMO_CUSTOMERS)
    assert seed_state_file(state) == 0  # seeding again adds nothing

    broker = Broker.objects.get(slug="demo")
    with running_emulator(state_file=str(state)) as pc:
        PartnerCenterConnection.objects.filter(broker=broker).update(
            authority_base=pc.base_url, api_base_url=pc.base_url
        )
        sync_broker(broker.pk)
        unlinked = MicrosoftTenant.objects.filter(broker=broker, organization__isnull=True)
        assert unlinked.count() == len(DEMO_CUSTOMERS)
        report = services.auto_create_and_link(actor=Actor.system(broker))

    created = {o.name: o for _, o in report.created}
    assert set(created) == {"Alpine Outfitters GmbH", "Nordlys Design AS", "Harbour Logistics Ltd"}
    alpine = created["Alpine Outfitters GmbH"]
    assert (alpine.primary_domain, alpine.street_address, alpine.postal_code, alpine.city, alpine.country.code) == (
        "alpine-outfitters.de",
        "Unter den Linden 10",
        "10117",
        "Berlin",
        "DE",
    )
    assert (alpine.contact_name, alpine.contact_email, alpine.contact_phone) == (
        "Anna Becker",
        "it@alpine-outfitters.de",
        "+49 30 1234567",
    )
    [(skipped, reason)] = report.skipped
    assert skipped.company_name == "Sunset Bakery LLC"
    assert "primary domain" in reason


def test_the_demo_broker_gets_a_priced_catalog_from_the_emulator(capsys):
    call_command("seed_demo")
    assert "The catalog and its prices are read from the Partner Center emulator" in capsys.readouterr().out
    broker = Broker.objects.get(slug="demo")
    [job] = Job.objects.filter(broker=broker, kind=JobKind.CATALOG_SYNC)
    assert pending_job_ids() == [str(job.pk)]

    # The worker takes it once the emulator `make run` starts beside it answers.
    with running_emulator() as pc:
        PartnerCenterConnection.objects.filter(broker=broker).update(
            authority_base=pc.base_url, api_base_url=pc.base_url
        )
        drain_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert Product.objects.filter(broker=broker).count() == job.result["products_created"] > 0
    priced = Offer.objects.filter(broker=broker, vendor_prices__currency="EUR").distinct().count()
    assert priced == Offer.objects.filter(broker=broker).count() > 0
    assert VendorPrice.objects.filter(broker=broker, cost__gt=0).count() == priced

    # Seeding again (the next `make run`) starts no second sync: the catalog is there.
    call_command("seed_demo")
    assert Job.objects.filter(kind=JobKind.CATALOG_SYNC).count() == 1
