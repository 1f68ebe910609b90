"""What the price-list export and import tests share: a small catalog and the way they read files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from cloudbroker.catalog.choices import PriceKind
from tests.factories import OfferFactory, PriceEntryFactory, ProductFactory, VendorPriceFactory


def build_catalog(broker) -> dict:
    """Three monthly item codes, each costing 8.00 and retailing at 10.00 a month (96 / 120 a year):

    * ``fixed``: its own global fixed price, 11.00;
    * ``rule``: priced by a 25 % global margin on its product group (8.00 / 0.75 = 10.67);
    * ``retail``: no entry, Microsoft's retail price (10.00).
    """
    offers = {}
    for name in ("fixed", "rule", "retail"):
        offer = OfferFactory(product=ProductFactory(broker=broker, title=f"Product {name}"))
        VendorPriceFactory(offer=offer)
        offers[name] = offer
    PriceEntryFactory(broker=broker, offer=offers["fixed"], kind=PriceKind.AMOUNT, value=Decimal("11.00"))
    PriceEntryFactory(broker=broker, group=offers["rule"].product.group, kind=PriceKind.MARGIN, value=Decimal("25"))
    return offers


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def csv_file(header: str, *rows: str) -> bytes:
    return (header + "\n" + "".join(r + "\n" for r in rows)).encode()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
