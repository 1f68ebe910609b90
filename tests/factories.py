"""Test data builders (factory-boy). Explicit over clever: each test says what it needs."""

from __future__ import annotations

import datetime as dt

import factory

from cloudbroker.accounts.models import User
from cloudbroker.brokers.models import Broker
from cloudbroker.core.permissions import StaffRole
from cloudbroker.organizations.models import Organization, OrganizationGroup

PASSWORD = "Correct-Horse-42!"


class BrokerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Broker

    name = factory.Sequence(lambda n: f"Broker {n}")
    slug = factory.Sequence(lambda n: f"broker-{n}")
    notification_email = factory.Sequence(lambda n: f"approvals@broker{n}.test")
    support_email = factory.Sequence(lambda n: f"support@broker{n}.test")
    currency = "EUR"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@staff.test")
    first_name = "Pat"
    last_name = "Smith"
    broker = factory.SubFactory(BrokerFactory)
    staff_role = StaffRole.GLOBAL_ADMIN
    password = factory.django.Password(PASSWORD)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Organization {n:05d}")
    primary_domain = factory.Sequence(lambda n: f"org{n}.example.com")
    notification_email = factory.Sequence(lambda n: f"it@org{n}.example.com")
    customer_number = factory.Sequence(lambda n: f"C-{n:06d}")
    billing_start_date = dt.date(2026, 1, 1)
    country = "SE"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationGroup

    broker = factory.SubFactory(BrokerFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
