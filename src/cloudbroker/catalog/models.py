"""What a broker sells and at what price.

The catalog (categories, product groups, products, offers and the vendor's prices) is the
broker's copy of its vendor's catalog, kept by a sync. An *offer* is one item code: a product
SKU on a term with a billing plan. Vendor prices are kept per offer from the date they take
effect, so the price on any day is answerable.

The price list is append-only entries: a global one (no organization) and customer-specific
ones per organization; each entry sets a slot (its scope and target) from a date. The rules that
turn them into a sales price are in ``cloudbroker.catalog.pricing``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.core.models import BaseModel
from cloudbroker.core.scoping import ScopedQuerySet, visible_organization_ids

__all__ = [
    "Category",
    "Offer",
    "OrganizationProductSetting",
    "PriceEntry",
    "Product",
    "ProductGroup",
    "VendorPrice",
]

#: Amounts and percentages are stored exactly (six decimals covers Microsoft's per-term prices
#: divided into charge periods); they are rounded where docs/billing.md says.
MAX_DIGITS, DECIMAL_PLACES = 18, 6


class BrokerScoped(ScopedQuerySet):
    """Catalog rows are the broker's: every staff member of the broker may read them."""

    def visible_to(self, actor):
        return self.filter(**{self.scope_broker: actor.broker_id})


class Category(BaseModel):
    """A kind of product, the first choice when buying (e.g. licence-based, add-ons, trials)."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    objects = BrokerScoped.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["broker", "slug"], name="category_unique_slug")]

    def __str__(self) -> str:
        return self.name


class ProductGroup(BaseModel):
    """A family of products (Microsoft 365, Office 365, Teams, Exchange, Defender, Copilot...)."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    objects = BrokerScoped.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["broker", "slug"], name="product_group_unique_slug")]

    def __str__(self) -> str:
        return self.name


class Product(BaseModel):
    """A product SKU of the vendor's catalog (Partner Center: product id + SKU id)."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    vendor_product_id = models.CharField("product ID", max_length=32)
    vendor_sku_id = models.CharField("SKU ID", max_length=16)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    group = models.ForeignKey(ProductGroup, on_delete=models.PROTECT, related_name="products")
    is_addon = models.BooleanField("add-on", default=False)
    is_trial = models.BooleanField("trial", default=False)
    licence_sku_id = models.CharField(
        "licence SKU",
        max_length=64,
        blank=True,
        help_text="The directory SKU of the licences it gives (Partner Center: the SKU's provisioningId).",
    )
    minimum_quantity = models.PositiveIntegerField(default=1)
    maximum_quantity = models.PositiveIntegerField(default=300)
    attaches_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="addons", help_text="The products this add-on is for."
    )
    hidden = models.BooleanField(
        "hidden from the e-store", default=False, help_text="Curation: customers of the broker do not see it."
    )
    withdrawn_on = models.DateField(null=True, blank=True, help_text="The vendor no longer sells it from this day.")
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = BrokerScoped.as_manager()

    class Meta:
        ordering = ["title", "vendor_product_id", "vendor_sku_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "vendor_product_id", "vendor_sku_id"], name="product_unique_vendor_sku"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def product_sku(self) -> str:
        """``CFQ7TTC0LH18:0001``: how Partner Center names a product SKU."""
        return f"{self.vendor_product_id}:{self.vendor_sku_id}"


def item_code(product_sku: str, term: str, billing_plan: str) -> str:
    """The item code of an offer: product + SKU + term + billing plan (``CFQ7TTC0LH18:0001:P1Y:monthly``)."""
    return f"{product_sku}:{term}:{billing_plan}"


class Offer(BaseModel):
    """One item code: a product on a term, charged on a billing plan. What a price is set for."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="offers")
    item_code = models.CharField(max_length=64)
    term = models.CharField(max_length=3, choices=TermDuration.choices)
    billing_plan = models.CharField(max_length=16, choices=BillingPlan.choices)
    availability_id = models.CharField(
        max_length=32, blank=True, help_text="Partner Center's availability (re-read shortly before buying)."
    )
    withdrawn_on = models.DateField(null=True, blank=True)

    objects = BrokerScoped.as_manager()

    class Meta:
        ordering = ["item_code"]
        constraints = [models.UniqueConstraint(fields=["broker", "item_code"], name="offer_unique_item_code")]

    def __str__(self) -> str:
        return f"{self.product.title} · {self.get_term_display()} · {self.get_billing_plan_display()}"

    @property
    def charges_per_term(self) -> int:
        """How many charges a term has: 12 for a one-year term billed monthly, 1 when paid up front."""
        return TermDuration(self.term).months // BillingPlan(self.billing_plan).months

    @property
    def catalog_item_id(self) -> str:
        """Partner Center's ``product:sku:availability`` (what a cart line names)."""
        return f"{self.product.product_sku}:{self.availability_id}"


class VendorPrice(BaseModel):
    """The vendor's price of one offer from a date: the partner's cost and the retail price (ERP),
    both for one seat for the whole term, in the market's currency, as the price sheet gives them."""

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="vendor_prices")
    market = models.CharField(max_length=2)
    currency = models.CharField(max_length=3)
    cost = models.DecimalField("unit cost for the term", max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    erp = models.DecimalField(
        "retail price (ERP) for the term", null=True, blank=True, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    objects = BrokerScoped.as_manager()

    class Meta:
        ordering = ["offer", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "market", "effective_from"], name="vendor_price_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.offer.item_code} {self.cost} {self.currency} from {self.effective_from}"


class PriceEntryQuerySet(ScopedQuerySet):
    """The global price list is read by every staff member of the broker (Sales Agents included:
    prices are not cost); customer-specific entries follow their organization's visibility."""

    def visible_to(self, actor):
        qs = self.filter(broker_id=actor.broker_id)
        if actor.scope_is_broker:
            return qs
        return qs.filter(Q(organization__isnull=True) | Q(organization_id__in=visible_organization_ids(actor)))


class PriceEntry(BaseModel):
    """One entry of a price list: from ``effective_from`` the slot (global or one organization's;
    every product, a category, a product group, a product or one offer) is priced by ``kind``.

    Entries are never changed once in effect: a new entry on a later date supersedes one, and
    ``INHERIT`` clears a slot. Entries still in the future can be edited or cancelled.
    """

    broker = models.ForeignKey("brokers.Broker", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="price_entries"
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(ProductGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=PriceKind.choices)
    value = models.DecimalField(
        null=True,
        blank=True,
        help_text="The amount (fixed price) or the percentage.",
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
    )
    currency = models.CharField(max_length=3, help_text="The broker's currency when the entry was made.")
    effective_from = models.DateField()
    # The slot as text, so that one entry per slot and date is a plain unique constraint.
    scope_key = models.CharField(max_length=36, editable=False)
    target_key = models.CharField(max_length=48, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PriceEntryQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from", "created_at"]
        verbose_name_plural = "price entries"
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "scope_key", "target_key", "effective_from"], name="price_entry_unique_slot_date"
            ),
            models.CheckConstraint(
                condition=(
                    Q(category__isnull=True, group__isnull=True, product__isnull=True)
                    | Q(category__isnull=True, group__isnull=True, offer__isnull=True)
                    | Q(category__isnull=True, product__isnull=True, offer__isnull=True)
                    | Q(group__isnull=True, product__isnull=True, offer__isnull=True)
                ),
                name="price_entry_one_target",
            ),
        ]
        indexes = [models.Index(fields=["broker", "scope_key", "effective_from"], name="price_entry_scope_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} on {self.target_key} from {self.effective_from}"

    def save(self, *args, **kwargs):
        self.scope_key = slot_scope_key(self.organization_id)
        self.target_key = slot_target_key(self)
        super().save(*args, **kwargs)

    @property
    def target(self):
        return self.offer or self.product or self.group or self.category


def slot_scope_key(organization_id) -> str:
    return str(organization_id) if organization_id else "global"


def slot_target_key(entry) -> str:
    for name in ("offer", "product", "group", "category"):
        target_id = getattr(entry, f"{name}_id")
        if target_id:
            return f"{name}:{target_id}"
    return "all"


class OrganizationProductSetting(BaseModel):
    """Curation for one organization: a product hidden from (or shown in) its e-store whatever the
    broker-wide choice is."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="product_settings"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="organization_settings")
    hidden = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "product"], name="organization_product_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product} {'hidden' if self.hidden else 'shown'} for {self.organization}"
