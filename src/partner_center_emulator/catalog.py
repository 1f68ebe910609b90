"""The NCE licence-based catalog the emulator sells, kept as data.

Product, SKU and availability ids follow Partner Center's formats (12-character product and
availability ids, 4-character SKU ids, ``catalogItemId = product:sku:availability``). Where the
research notes give a real id it is used; the others are made in the same format. ``entra_sku_id``
is the directory SKU GUID that subscribed SKUs and licence updates speak of.

Prices are the estimated retail price (ERP) per seat per month on a one-year term; the partner
cost is 80 % of it. A one-month term costs 20 % more, and monthly billing of a one-year or
three-year term 5 % more than paying the year up front (both uplifts are assumptions, see
docs/emulator.md). These are the US dollar prices from the catalog's start; ``pricing.py``
applies dated changes, market currencies and withdrawals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

NCE = "OnlineServicesNCE"
COST_RATIO = Decimal("0.80")
MONTHLY_TERM_UPLIFT = Decimal("1.20")
MONTHLY_BILLING_UPLIFT = Decimal("1.05")
CENT = Decimal("0.01")

TERM_DESCRIPTIONS = {
    ("P1M", "monthly"): "One-Month commitment for monthly billing",
    ("P1Y", "monthly"): "One-Year commitment for monthly/yearly billing",
    ("P1Y", "annual"): "One-Year commitment for monthly/yearly billing",
    ("P3Y", "monthly"): "Three-Year commitment for monthly/yearly billing",
    ("P3Y", "annual"): "Three-Year commitment for monthly/yearly billing",
    ("P3Y", "triennial"): "Three-Year commitment for monthly/yearly billing",
}
TERM_IDS = {
    ("P1M", "monthly"): "ohhb2pk1cpzv",
    ("P1Y", "monthly"): "5aeco6mffyxo",
    ("P1Y", "annual"): "5aeco6mffyxp",
    ("P3Y", "monthly"): "8hxg2k3u4ms1",
    ("P3Y", "annual"): "8hxg2k3u4ms2",
    ("P3Y", "triennial"): "8hxg2k3u4ms3",
}
STANDARD_TERMS = (("P1M", "monthly"), ("P1Y", "monthly"), ("P1Y", "annual"))
WITH_THREE_YEARS = (*STANDARD_TERMS, ("P3Y", "monthly"), ("P3Y", "annual"), ("P3Y", "triennial"))
TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
CYCLE_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}


@dataclass(frozen=True)
class Offer:
    product_id: str
    sku_id: str
    availability_id: str
    title: str
    sku_title: str
    description: str
    erp_monthly: Decimal
    entra_sku_id: str
    sku_part_number: str
    minimum_quantity: int = 1
    maximum_quantity: int = 300
    terms: tuple[tuple[str, str], ...] = STANDARD_TERMS
    prerequisite_skus: tuple[str, ...] = ()
    upgrade_targets: tuple[str, ...] = ()
    service_plans: tuple[tuple[str, str], ...] = field(default=())

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    @property
    def product_sku(self) -> str:
        return f"{self.product_id}:{self.sku_id}"

    @property
    def is_addon(self) -> bool:
        return bool(self.prerequisite_skus)


BUSINESS_BASIC = "CFQ7TTC0LH18:0001"
BUSINESS_STANDARD = "CFQ7TTC0LDPB:0001"
BUSINESS_PREMIUM = "CFQ7TTC0LCHC:0002"
M365_E3 = "CFQ7TTC0LFLX:0001"
M365_E5 = "CFQ7TTC0LFLZ:0002"
M365_F3 = "CFQ7TTC0LGZW:0001"
O365_E1 = "CFQ7TTC0LF8Q:0001"
O365_E3 = "CFQ7TTC0LF8R:0001"
O365_E5 = "CFQ7TTC0LF8S:0001"
EXCHANGE_P1 = "CFQ7TTC0LH16:0001"
EXCHANGE_P2 = "CFQ7TTC0LH1P:0001"
TEAMS_ESSENTIALS = "CFQ7TTC0RM8K:0001"
TEAMS_ENTERPRISE = "CFQ7TTC0MBMD:0001"

_TEAMS_BASES = (
    BUSINESS_BASIC,
    BUSINESS_STANDARD,
    BUSINESS_PREMIUM,
    M365_E3,
    M365_F3,
    O365_E1,
    O365_E3,
    TEAMS_ENTERPRISE,
)


def _offer(product_sku: str, availability_id: str, title: str, erp: str, entra: str, part: str, **kw) -> Offer:
    product_id, sku_id = product_sku.split(":")
    return Offer(
        product_id=product_id,
        sku_id=sku_id,
        availability_id=availability_id,
        title=kw.pop("product_title", title),
        sku_title=title,
        description=kw.pop("description", f"{title} (NCE licence-based subscription)."),
        erp_monthly=Decimal(erp),
        entra_sku_id=entra,
        sku_part_number=part,
        **kw,
    )


OFFERS: tuple[Offer, ...] = (
    _offer(
        BUSINESS_BASIC,
        "CFQ7TTC0K971",
        "Microsoft 365 Business Basic",
        "6.00",
        "3b555118-da6a-4418-894f-7df1e2096870",
        "O365_BUSINESS_ESSENTIALS",
        terms=WITH_THREE_YEARS,
        upgrade_targets=(BUSINESS_STANDARD, BUSINESS_PREMIUM),
        service_plans=(("EXCHANGE_S_STANDARD", "Exchange Online (Plan 1)"), ("TEAMS1", "Microsoft Teams")),
    ),
    _offer(
        BUSINESS_STANDARD,
        "CFQ7TTC0K5DM",
        "Microsoft 365 Business Standard",
        "12.50",
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        "O365_BUSINESS_PREMIUM",
        terms=WITH_THREE_YEARS,
        upgrade_targets=(BUSINESS_PREMIUM, O365_E3),
        service_plans=(("EXCHANGE_S_STANDARD", "Exchange Online (Plan 1)"), ("OFFICE_BUSINESS", "Microsoft 365 Apps")),
    ),
    _offer(
        BUSINESS_PREMIUM,
        "CFQ7TTC0KFFN",
        "Microsoft 365 Business Premium",
        "22.00",
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        "SPB",
        terms=WITH_THREE_YEARS,
        upgrade_targets=(M365_E3,),
        service_plans=(("INTUNE_A", "Microsoft Intune"), ("AAD_PREMIUM", "Microsoft Entra ID P1")),
    ),
    _offer(
        M365_E3,
        "CFQ7TTC0K4TR",
        "Microsoft 365 E3",
        "36.00",
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "SPE_E3",
        maximum_quantity=50000,
        terms=WITH_THREE_YEARS,
        upgrade_targets=(M365_E5,),
        service_plans=(("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"), ("INTUNE_A", "Microsoft Intune")),
    ),
    _offer(
        M365_E5,
        "CFQ7TTC0K4TS",
        "Microsoft 365 E5",
        "57.00",
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "SPE_E5",
        maximum_quantity=50000,
        terms=WITH_THREE_YEARS,
        service_plans=(("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"), ("MCOEV", "Teams Phone")),
    ),
    _offer(
        M365_F3,
        "CFQ7TTC0K4W2",
        "Microsoft 365 F3",
        "8.00",
        "66b55226-6b4f-492c-910c-a3b7a3c9d993",
        "SPE_F1",
        maximum_quantity=50000,
        upgrade_targets=(M365_E3,),
        service_plans=(("EXCHANGE_S_DESKLESS", "Exchange Online Kiosk"),),
    ),
    _offer(
        O365_E1,
        "CFQ7TTC0K39X",
        "Office 365 E1",
        "10.00",
        "18181a46-0d4e-45cd-891e-60aabd171b4e",
        "STANDARDPACK",
        maximum_quantity=50000,
        upgrade_targets=(O365_E3, O365_E5),
        service_plans=(("EXCHANGE_S_STANDARD", "Exchange Online (Plan 1)"),),
    ),
    _offer(
        O365_E3,
        "CFQ7TTC0KCSV",
        "Office 365 E3",
        "23.00",
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "ENTERPRISEPACK",
        maximum_quantity=50000,
        terms=WITH_THREE_YEARS,
        upgrade_targets=(O365_E5,),
        service_plans=(("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"),),
    ),
    _offer(
        O365_E5,
        "CFQ7TTC0N81H",
        "Office 365 E5",
        "38.00",
        "c7df2760-2c81-4ef7-b578-5b5392b571df",
        "ENTERPRISEPREMIUM",
        maximum_quantity=50000,
        service_plans=(("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"), ("MCOEV", "Teams Phone")),
    ),
    _offer(
        EXCHANGE_P1,
        "CFQ7TTC0K8P5",
        "Exchange Online (Plan 1)",
        "4.00",
        "4b9405b0-7788-4568-add1-99614e613b69",
        "EXCHANGESTANDARD",
        maximum_quantity=50000,
        upgrade_targets=(EXCHANGE_P2,),
        service_plans=(("EXCHANGE_S_STANDARD", "Exchange Online (Plan 1)"),),
    ),
    _offer(
        EXCHANGE_P2,
        "CFQ7TTC0K8P6",
        "Exchange Online (Plan 2)",
        "8.00",
        "19ec0d23-8335-4cbd-94ac-6050e30712fa",
        "EXCHANGEENTERPRISE",
        maximum_quantity=50000,
        service_plans=(("EXCHANGE_S_ENTERPRISE", "Exchange Online (Plan 2)"),),
    ),
    _offer(
        TEAMS_ESSENTIALS,
        "CFQ7TTC0RM8M",
        "Microsoft Teams Essentials",
        "4.00",
        "7e74bd05-2c47-404e-829a-ba95c66fe8e5",
        "TEAMS_ESSENTIALS_AAD",
        service_plans=(("TeamsEss", "Microsoft Teams Essentials"),),
    ),
    _offer(
        TEAMS_ENTERPRISE,
        "CFQ7TTC0MBMF",
        "Microsoft Teams Enterprise",
        "5.25",
        "7e31c0d9-9551-471d-836f-32ee72be4a01",
        "Microsoft_Teams_Enterprise_New",
        maximum_quantity=50000,
        service_plans=(("TEAMS1", "Microsoft Teams"),),
    ),
    _offer(
        "CFQ7TTC0LCHF:0001",
        "CFQ7TTC0KFFQ",
        "Microsoft Defender for Business",
        "3.00",
        "bfc1bbd9-981b-4f71-9b82-17c35fd0e2a4",
        "MDE_SMB",
        service_plans=(("MDE_SMB", "Microsoft Defender for Business"),),
    ),
    _offer(
        "CFQ7TTC0LH0R:0001",
        "CFQ7TTC0K8P7",
        "Microsoft Entra ID P1",
        "6.00",
        "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
        "AAD_PREMIUM",
        maximum_quantity=50000,
        service_plans=(("AAD_PREMIUM", "Microsoft Entra ID P1"),),
    ),
    _offer(
        "CFQ7TTC0L3PB:0001",
        "CFQ7TTC0KDLJ",
        "Power BI Pro",
        "14.00",
        "f8a1db68-be16-40ed-86d5-cb42ce701560",
        "POWER_BI_PRO",
        maximum_quantity=50000,
        service_plans=(("BI_AZURE_P2", "Power BI Pro"),),
    ),
    # Add-ons: bought like any offer, but only with a compatible base subscription.
    _offer(
        "CFQ7TTC0LH1G:0001",
        "CFQ7TTC0KCBX",
        "Microsoft Teams Phone Standard",
        "10.00",
        "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
        "MCOEV",
        maximum_quantity=50000,
        prerequisite_skus=(*_TEAMS_BASES,),
        service_plans=(("MCOEV", "Microsoft Teams Phone"),),
    ),
    _offer(
        "CFQ7TTC0LHTZ:0001",
        "CFQ7TTC0KCBZ",
        "Microsoft Teams Audio Conferencing with dial-out to USA/CAN",
        "4.00",
        "1c27243e-fb4d-42b1-9cb9-d1ed6a8bd3d1",
        "Microsoft_Teams_Audio_Conferencing_select_dial_out",
        maximum_quantity=50000,
        prerequisite_skus=(*_TEAMS_BASES, M365_E5, O365_E5),
        service_plans=(("MCOMEETBASIC", "Microsoft Teams Audio Conferencing with dial-out"),),
    ),
    _offer(
        "CFQ7TTC0LH2H:0001",
        "CFQ7TTC0KCC1",
        "Exchange Online Archiving for Exchange Online",
        "3.00",
        "ee02fd1b-340e-4a4b-b355-4a514e4c8943",
        "EXCHANGEARCHIVE_ADDON",
        maximum_quantity=50000,
        prerequisite_skus=(EXCHANGE_P1, BUSINESS_BASIC, BUSINESS_STANDARD, O365_E1),
        service_plans=(("EXCHANGE_S_ARCHIVE_ADDON", "Exchange Online Archiving"),),
    ),
    _offer(
        "CFQ7TTC0LCHG:0001",
        "CFQ7TTC0KFFR",
        "Microsoft Defender for Office 365 (Plan 1)",
        "2.00",
        "4ef96642-f096-40de-a3e9-d83fb2f90211",
        "ATP_ENTERPRISE",
        maximum_quantity=50000,
        prerequisite_skus=(BUSINESS_BASIC, BUSINESS_STANDARD, EXCHANGE_P1, EXCHANGE_P2, O365_E1, O365_E3),
        service_plans=(("ATP_ENTERPRISE", "Microsoft Defender for Office 365 (Plan 1)"),),
    ),
)

BY_PRODUCT_SKU: dict[str, Offer] = {o.product_sku: o for o in OFFERS}
BY_CATALOG_ITEM: dict[str, Offer] = {o.catalog_item_id.upper(): o for o in OFFERS}
BY_ENTRA_SKU: dict[str, Offer] = {o.entra_sku_id: o for o in OFFERS}
PRODUCTS: dict[str, list[Offer]] = {}
for _o in OFFERS:
    PRODUCTS.setdefault(_o.product_id, []).append(_o)

EUROZONE = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT"}
CURRENCIES = {"US": ("USD", "$"), "GB": ("GBP", "£"), "SE": ("SEK", "kr"), "NO": ("NOK", "kr"), "DK": ("DKK", "kr")}
CURRENCIES.update(dict.fromkeys(EUROZONE, ("EUR", "€")))


def currency_for(country: str) -> tuple[str, str]:
    return CURRENCIES.get((country or "US").upper(), ("USD", "$"))


def find_offer(catalog_item_id: str) -> Offer | None:
    return BY_CATALOG_ITEM.get((catalog_item_id or "").upper())


def unit_price(offer: Offer, term: str, billing_cycle: str, *, erp: bool = False) -> Decimal:
    """The price of one seat for one charge cycle of ``billing_cycle`` on ``term``."""
    monthly = offer.erp_monthly if erp else offer.erp_monthly * COST_RATIO
    if term == "P1M":
        monthly = monthly * MONTHLY_TERM_UPLIFT
    elif billing_cycle == "monthly":
        monthly = monthly * MONTHLY_BILLING_UPLIFT
    return (monthly * CYCLE_MONTHS[billing_cycle]).quantize(CENT, ROUND_HALF_UP)


def term_price(offer: Offer, term: str, billing_cycle: str, *, erp: bool = False) -> Decimal:
    """The price of one seat for the whole term (the price sheet's UnitPrice)."""
    return unit_price(offer, term, billing_cycle, erp=erp) * (TERM_MONTHS[term] // CYCLE_MONTHS[billing_cycle])


def supports(offer: Offer, term: str, billing_cycle: str) -> bool:
    return (term, billing_cycle) in offer.terms


def addons_of(product_sku: str) -> list[Offer]:
    return [o for o in OFFERS if product_sku in o.prerequisite_skus]


# NCE upgrade paths: product SKU -> the product SKUs it may be upgraded to (immediately, through
# ``POST .../transitions``, or at renewal, through ``scheduledNextTermInstructions``). Every path goes
# up; Partner Center has no downgrades. The SKUs' ``dynamicAttributes.upgradeTargetOffers`` say the same.
UPGRADE_PATHS: dict[str, tuple[str, ...]] = {o.product_sku: o.upgrade_targets for o in OFFERS if o.upgrade_targets}


def upgrade_targets(product_sku: str) -> tuple[str, ...]:
    return UPGRADE_PATHS.get(product_sku, ())
