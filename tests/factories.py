"""Test data builders (factory-boy), one per model. Explicit over clever: each test says what it needs.

Every factory builds a valid row of its own broker: an object that hangs off another one (a domain
off an organization, a subscription off a tenant) takes its broker from that object, so that a test
passing ``organization=`` or ``tenant=`` never builds something that straddles two brokers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import factory

from cloudbroker.accounts.models import ApiToken, User, hash_token
from cloudbroker.brokers.models import Broker
from cloudbroker.catalog.choices import BillingPlan, PriceKind, TermDuration
from cloudbroker.catalog.models import (
    Category,
    Offer,
    OrganizationProductSetting,
    PriceEntry,
    Product,
    ProductGroup,
    VendorPrice,
    item_code,
)
from cloudbroker.core.choices import JobStatus, OutboxStatus
from cloudbroker.core.models import AuditEvent, Job, OutboxMessage
from cloudbroker.core.permissions import OrganizationRole, StaffRole
from cloudbroker.imports.models import ImportIssue, ImportKind, ImportRun, ImportStatus
from cloudbroker.microsoft365.choices import TenantStatus
from cloudbroker.microsoft365.models import (
    MicrosoftTenant,
    PartnerCenterConnection,
    TenantSubscription,
    TenantUser,
)
from cloudbroker.organizations.models import Organization, OrganizationDomain, OrganizationGroup
from cloudbroker.subscriptions.choices import EventKind, SubscriptionStatus
from cloudbroker.subscriptions.models import SeatLot, Subscription, SubscriptionEvent, SubscriptionPrice

PASSWORD = "Correct-Horse-42!"
# A one-row organizations file the import reads as valid (the columns of the import template).
ORGANIZATIONS_CSV = b"Name,Primary domain,Notification email\nImported Ltd,imported.example.com,it@imported.test\n"


def _set_many(relation: str):
    """A post-generation hook: ``Factory(groups=[...])`` sets the many-to-many ``relation``."""

    def hook(obj, create, extracted, **kwargs):
        if extracted:
            getattr(obj, relation).set(extracted)

    return factory.PostGeneration(hook)


class BrokerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Broker

    name = factory.Sequence(lambda n: f"Broker {n}")
    slug = factory.Sequence(lambda n: f"broker-{n}")
    notification_email = factory.Sequence(lambda n: f"approvals@broker{n}.test")
    support_email = factory.Sequence(lambda n: f"support@broker{n}.test")
    currency = "EUR"


class UserFactory(factory.django.DjangoModelFactory):
    """A broker's staff member (Global Admin unless ``staff_role=``); ``groups=`` assigns groups."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@staff.test")
    first_name = "Pat"
    last_name = "Smith"
    broker = factory.SubFactory(BrokerFactory)
    staff_role = StaffRole.GLOBAL_ADMIN
    password = factory.django.Password(PASSWORD)
    groups = _set_many("assigned_groups")


class OrganizationFactory(factory.django.DjangoModelFactory):
    """A customer of a broker; ``groups=`` puts it in groups."""

    class Meta:
        model = Organization
        skip_postgeneration_save = True

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Organization {n:05d}")
    primary_domain = factory.Sequence(lambda n: f"org{n}.example.com")
    notification_email = factory.Sequence(lambda n: f"it@org{n}.example.com")
    customer_number = factory.Sequence(lambda n: f"C-{n:06d}")
    billing_start_date = dt.date(2026, 1, 1)
    country = "SE"
    groups = _set_many("groups")


class OrganizationUserFactory(UserFactory):
    """A user of an organization (no staff role), of the organization's broker."""

    email = factory.Sequence(lambda n: f"user{n}@customer.test")
    staff_role = ""
    organization = factory.SubFactory(OrganizationFactory)
    broker = factory.SelfAttribute("organization.broker")
    organization_role = OrganizationRole.ADMIN


class OrganizationDomainFactory(factory.django.DjangoModelFactory):
    """An additional domain of an organization."""

    class Meta:
        model = OrganizationDomain

    organization = factory.SubFactory(OrganizationFactory)
    domain = factory.Sequence(lambda n: f"extra{n}.example.net")


class GroupFactory(factory.django.DjangoModelFactory):
    """An organization group; ``organizations=`` and ``users=`` fill it."""

    class Meta:
        model = OrganizationGroup
        skip_postgeneration_save = True

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    organizations = _set_many("organizations")
    users = _set_many("users")


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A personal API token of ``user``. The raw key (what goes after ``Bearer``) is ``token.raw``."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    raw = factory.LazyFunction(lambda: ApiToken.PREFIX + secrets.token_urlsafe(32))
    key_prefix = factory.LazyAttribute(lambda o: o.raw[:10])
    key_hash = factory.LazyAttribute(lambda o: hash_token(o.raw))

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raw = kwargs.pop("raw")
        token = super()._build(model_class, *args, **kwargs)
        token.raw = raw
        return token

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        raw = kwargs.pop("raw")
        token = super()._create(model_class, *args, **kwargs)
        token.raw = raw
        return token


class JobFactory(factory.django.DjangoModelFactory):
    """A queued job of a broker, started by nobody unless ``created_by=``."""

    class Meta:
        model = Job

    broker = factory.SubFactory(BrokerFactory)
    kind = "test"
    status = JobStatus.QUEUED
    created_by = None


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A call to an outside service waiting to be delivered."""

    class Meta:
        model = OutboxMessage

    broker = factory.SubFactory(BrokerFactory)
    kind = "test.call"
    payload = factory.Dict({"n": 1})
    status = OutboxStatus.PENDING


class AuditEventFactory(factory.django.DjangoModelFactory):
    """One change to an organization, made by nobody (the system) unless ``actor=``."""

    class Meta:
        model = AuditEvent
        exclude = ("organization",)

    broker = factory.SelfAttribute("organization.broker")
    organization = factory.SubFactory(OrganizationFactory)
    organization_id = factory.SelfAttribute("organization.pk")
    action = "organization.changed"
    object_type = "organization"
    object_id = factory.LazyAttribute(lambda o: str(o.organization.pk))
    object_repr = factory.SelfAttribute("organization.name")
    actor = None
    actor_label = factory.LazyAttribute(lambda o: o.actor.email if o.actor else "")
    before = factory.Dict({"city": ""})
    after = factory.Dict({"city": "Lund"})


class ImportRunFactory(factory.django.DjangoModelFactory):
    """An uploaded organizations file, previewed: one new row, ready to be confirmed."""

    class Meta:
        model = ImportRun

    broker = factory.SubFactory(BrokerFactory)
    created_by = factory.SubFactory(UserFactory, broker=factory.SelfAttribute("..broker"))
    kind = ImportKind.ORGANIZATIONS
    filename = "orgs.csv"
    file = factory.django.FileField(filename="orgs.csv", data=ORGANIZATIONS_CSV)
    file_format = "csv"
    status = ImportStatus.PREVIEWED
    total_rows = 1
    new_rows = 1


class ImportIssueFactory(factory.django.DjangoModelFactory):
    """One problem with one row and column of an import file."""

    class Meta:
        model = ImportIssue

    run = factory.SubFactory(ImportRunFactory)
    phase = "preview"
    row = factory.Sequence(lambda n: n + 2)  # row 1 is the header
    column = "primary_domain"
    message = "Enter the bare domain, e.g. contoso.com."


class PartnerCenterConnectionFactory(factory.django.DjangoModelFactory):
    """A broker's Partner Center app registration, pointed at an address nothing answers on
    (pass the emulator's addresses and secret to talk to it)."""

    class Meta:
        model = PartnerCenterConnection

    broker = factory.SubFactory(BrokerFactory)
    tenant_id = factory.Sequence(lambda n: f"partner-tenant-{n}")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    client_secret = "not-a-real-secret"
    api_base_url = "http://127.0.0.1:9"
    authority_base = "http://127.0.0.1:9"


class MicrosoftTenantFactory(factory.django.DjangoModelFactory):
    """An active Microsoft 365 tenant (a Partner Center customer). Unlinked unless ``organization=``,
    then of that organization's broker."""

    class Meta:
        model = MicrosoftTenant

    organization = None
    broker = factory.Maybe(
        "organization",
        yes_declaration=factory.SelfAttribute("organization.broker"),
        no_declaration=factory.SubFactory(BrokerFactory),
    )
    customer_id = factory.Faker("uuid4")
    company_name = factory.Sequence(lambda n: f"Tenant Company {n}")
    default_domain = factory.Sequence(lambda n: f"tenant{n}.onmicrosoft.com")
    status = TenantStatus.ACTIVE


class TenantSubscriptionFactory(factory.django.DjangoModelFactory):
    """A subscription of a tenant as the sync last saw it: ten Business Basic seats, monthly, one year."""

    class Meta:
        model = TenantSubscription

    tenant = factory.SubFactory(MicrosoftTenantFactory)
    subscription_id = factory.Faker("uuid4")
    offer_id = "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    offer_name = "Microsoft 365 Business Basic"
    friendly_name = factory.Sequence(lambda n: f"Business Basic {n}")
    quantity = 10
    status = "active"
    billing_cycle = "monthly"
    term_duration = "P1Y"
    auto_renew = True


class TenantUserFactory(factory.django.DjangoModelFactory):
    """A user of a tenant as the sync last saw it."""

    class Meta:
        model = TenantUser

    tenant = factory.SubFactory(MicrosoftTenantFactory)
    user_id = factory.Faker("uuid4")
    user_principal_name = factory.LazyAttributeSequence(lambda o, n: f"user{n}@{o.tenant.default_domain}")
    display_name = factory.Sequence(lambda n: f"Tenant User {n}")
    usage_location = "SE"
    state = "active"


# -- catalog and price lists ----------------------------------------------------------------------


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductGroup

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Product group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product SKU with its category and group of the same broker."""

    class Meta:
        model = Product

    broker = factory.SubFactory(BrokerFactory)
    vendor_product_id = factory.Sequence(lambda n: f"CFQ7TTC0{n:04d}")
    vendor_sku_id = "0001"
    title = factory.Sequence(lambda n: f"Product {n}")
    description = "A product for tests."
    category = factory.SubFactory(CategoryFactory, broker=factory.SelfAttribute("..broker"))
    group = factory.SubFactory(ProductGroupFactory, broker=factory.SelfAttribute("..broker"))


class OfferFactory(factory.django.DjangoModelFactory):
    """An item code: a one-year term billed monthly unless told otherwise."""

    class Meta:
        model = Offer

    product = factory.SubFactory(ProductFactory)
    broker = factory.SelfAttribute("product.broker")
    term = TermDuration.P1Y
    billing_plan = BillingPlan.MONTHLY
    item_code = factory.LazyAttribute(lambda o: item_code(o.product.product_sku, o.term, o.billing_plan))
    availability_id = factory.Sequence(lambda n: f"CFQ7TTC0K{n:03d}")


class VendorPriceFactory(factory.django.DjangoModelFactory):
    """The vendor's price of an offer for the whole term: cost 96.00 and ERP 120.00 (EUR, market DE)."""

    class Meta:
        model = VendorPrice

    offer = factory.SubFactory(OfferFactory)
    broker = factory.SelfAttribute("offer.broker")
    market = factory.SelfAttribute("broker.market")
    currency = factory.SelfAttribute("broker.currency")
    cost = Decimal("96.00")
    erp = Decimal("120.00")
    effective_from = dt.date(2026, 1, 1)


class PriceEntryFactory(factory.django.DjangoModelFactory):
    """A global price-list entry: a 20 % margin on cost for every product, from 2026-01-01."""

    class Meta:
        model = PriceEntry

    broker = factory.SubFactory(BrokerFactory)
    kind = PriceKind.MARGIN
    value = Decimal("20")
    currency = factory.SelfAttribute("broker.currency")
    effective_from = dt.date(2026, 1, 1)


class OrganizationProductSettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationProductSetting

    organization = factory.SubFactory(OrganizationFactory)
    product = factory.SubFactory(ProductFactory, broker=factory.SelfAttribute("..organization.broker"))
    hidden = True


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """Five active seats of an item code (one year, monthly) for an organization, at 8.00 a seat."""

    class Meta:
        model = Subscription

    organization = factory.SubFactory(OrganizationFactory)
    broker = factory.SelfAttribute("organization.broker")
    offer = factory.SubFactory(OfferFactory, product__broker=factory.SelfAttribute("...broker"))
    quantity = 5
    status = SubscriptionStatus.ACTIVE
    term = factory.SelfAttribute("offer.term")
    billing_plan = factory.SelfAttribute("offer.billing_plan")
    currency = factory.SelfAttribute("broker.currency")
    unit_price = Decimal("8.00")
    start_date = dt.date(2026, 1, 15)
    commitment_end = dt.date(2027, 1, 14)
    vendor_subscription_id = factory.Faker("uuid4")


class SeatLotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatLot

    subscription = factory.SubFactory(SubscriptionFactory)
    quantity = 5
    added_at = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
    reducible_until = dt.datetime(2026, 1, 22, 9, 0, tzinfo=dt.UTC)


class SubscriptionPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionPrice

    subscription = factory.SubFactory(SubscriptionFactory)
    valid_from = dt.date(2026, 1, 15)
    unit_price = Decimal("8.00")
    currency = factory.SelfAttribute("subscription.currency")


class SubscriptionEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionEvent

    subscription = factory.SubFactory(SubscriptionFactory)
    broker = factory.SelfAttribute("subscription.broker")
    organization = factory.SelfAttribute("subscription.organization")
    kind = EventKind.PROVISIONED
    occurred_at = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
    quantity_after = 5
    currency = factory.SelfAttribute("subscription.currency")
