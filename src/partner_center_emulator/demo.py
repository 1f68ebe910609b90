"""Demo customers for a fresh install: a few Partner Center customers that no organization is linked
to yet, so that "Link tenant to organization" and "Auto create and link" (seed 000 §4) can be tried.

Each has a full company and billing profile (address, contact, e-mail, phone), a custom domain, a
subscription and two users — except one, which has no custom domain: the organization's mandatory
primary domain cannot be filled from Partner Center, so "Auto create and link" skips it and says why.

``seed_state_file(path)`` adds them to an emulator state file (made if missing) before the emulator
starts; ``seed_demo(store)`` adds them to a running store. Customers whose domain is already there are
left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from . import catalog, nce
from .api import create_customer_record, create_user_record
from .state import Customer, Store
from .validation import lower_keys

__all__ = ["DEMO_CUSTOMERS", "seed_demo", "seed_state_file"]


@dataclass(frozen=True)
class DemoCustomer:
    prefix: str
    company_name: str
    custom_domain: str | None
    first_name: str
    last_name: str
    email: str
    phone: str
    address_line1: str
    city: str
    postal_code: str
    country: str
    state: str = ""
    culture: str = "en-US"
    language: str = "en"
    registration_number: str = ""


DEMO_CUSTOMERS = [
    DemoCustomer(
        "alpineoutfitters",
        "Alpine Outfitters GmbH",
        "alpine-outfitters.de",
        "Anna",
        "Becker",
        "it@alpine-outfitters.de",
        "+49 30 1234567",
        "Unter den Linden 10",
        "Berlin",
        "10117",
        "DE",
        culture="de-DE",
        language="de",
    ),
    DemoCustomer(
        "nordlysdesign",
        "Nordlys Design AS",
        "nordlysdesign.no",
        "Lars",
        "Berg",
        "post@nordlysdesign.no",
        "+47 22 33 44 55",
        "Storgata 5",
        "Oslo",
        "0155",
        "NO",
        culture="nb-NO",
        language="nb",
    ),
    DemoCustomer(
        "harbourlogistics",
        "Harbour Logistics Ltd",
        "harbourlogistics.co.uk",
        "Emily",
        "Clarke",
        "admin@harbourlogistics.co.uk",
        "+44 20 7946 0321",
        "1 Harbour Way",
        "London",
        "E14 5AB",
        "GB",
        culture="en-GB",
    ),
    # No custom domain: the organization's primary domain must be typed in when linking.
    DemoCustomer(
        "sunsetbakery",
        "Sunset Bakery LLC",
        None,
        "Maria",
        "Lopez",
        "owner@sunsetbakery.example",
        "512-555-0147",
        "200 Congress Ave",
        "Austin",
        "78701",
        "US",
        state="TX",
    ),
]


def _body(demo: DemoCustomer) -> dict:
    address = {
        "firstName": demo.first_name,
        "lastName": demo.last_name,
        "addressLine1": demo.address_line1,
        "city": demo.city,
        "postalCode": demo.postal_code,
        "country": demo.country,
        "phoneNumber": demo.phone,
    }
    if demo.state:
        address["state"] = demo.state
    company = {"domain": demo.prefix}
    if demo.registration_number:
        company["organizationRegistrationNumber"] = demo.registration_number
    return {
        "companyProfile": company,
        "billingProfile": {
            "email": demo.email,
            "culture": demo.culture,
            "language": demo.language,
            "companyName": demo.company_name,
            "defaultAddress": address,
        },
    }


def seed_demo(store: Store) -> list[Customer]:
    """Add the demo customers that are not there yet (by their onmicrosoft.com domain)."""
    added = []
    with store.lock:
        now = store.clock.now()
        for demo in DEMO_CUSTOMERS:
            if f"{demo.prefix}.onmicrosoft.com" in store.domains:
                continue
            customer = create_customer_record(store, lower_keys(_body(demo)), now)
            customer.relationship = "reseller"
            if demo.custom_domain and demo.custom_domain not in store.domains:
                customer.custom_domains.append(demo.custom_domain)
                store.domains[demo.custom_domain] = customer.id
            nce.new_subscription(
                store,
                customer_id=customer.id,
                offer=catalog.BY_PRODUCT_SKU[catalog.BUSINESS_BASIC],
                quantity=5,
                term="P1Y",
                billing_cycle="monthly",
                currency=catalog.currency_for(demo.country)[0],
                order_id=secrets.token_hex(6),
                now=now,
            )
            domain = demo.custom_domain or customer.domain
            for first, last in ((demo.first_name, demo.last_name), ("Sam", "Support")):
                create_user_record(
                    store,
                    customer,
                    lower_keys(
                        {
                            "userPrincipalName": f"{first.lower()}.{last.lower()}@{domain}",
                            "displayName": f"{first} {last}",
                            "firstName": first,
                            "lastName": last,
                            "usageLocation": demo.country,
                        }
                    ),
                    now,
                    direct=True,
                )
            added.append(customer)
        if added:
            store.changed()
    return added


def seed_state_file(path: str | Path) -> int:
    """Add the demo customers to the emulator's state file (made if missing); how many were added.
    Run it while the emulator is stopped: a running one writes its own state over the file."""
    store = Store(state_file=str(path))
    store.load()
    added = seed_demo(store)
    if added:
        store.save()
    return len(added)
