"""The test data builders: one for every model, each building a valid row of a single broker."""

from __future__ import annotations

import pytest
from django.apps import apps

from cloudbroker.accounts.services import authenticate_token
from tests import factories

FACTORIES = [
    value
    for value in vars(factories).values()
    if isinstance(value, type) and issubclass(value, factories.factory.django.DjangoModelFactory)
]
# What each object's broker is reached through (the object itself when it has a broker).
BROKER_OF = {
    "OrganizationDomain": lambda o: o.organization.broker_id,
    "ImportIssue": lambda o: o.run.broker_id,
    "TenantSubscription": lambda o: o.tenant.broker_id,
    "TenantUser": lambda o: o.tenant.broker_id,
    "ApiToken": lambda o: o.user.broker_id,
    "OrganizationProductSetting": lambda o: o.organization.broker_id,
    "Broker": lambda o: o.pk,
    "SeatLot": lambda o: o.subscription.broker_id,
    "SubscriptionPrice": lambda o: o.subscription.broker_id,
}


def test_every_model_of_cloudbroker_has_a_factory():
    models = {m for m in apps.get_models() if m.__module__.startswith("cloudbroker.")}
    built = {f._meta.model for f in FACTORIES}
    assert sorted(m.__name__ for m in models - built) == []


@pytest.mark.django_db
@pytest.mark.parametrize("make", FACTORIES, ids=lambda f: f.__name__)
def test_a_factory_builds_a_valid_row_of_one_broker(make):
    obj = make()
    obj.refresh_from_db()
    # Nullable fields left empty are what the product writes too (a job nobody started, an
    # unchecked connection); Django's validation would call them blank.
    unset = [f.name for f in obj._meta.concrete_fields if f.null and getattr(obj, f.attname) is None]
    obj.full_clean(exclude=unset)
    name = type(obj).__name__
    broker_id = BROKER_OF.get(name, lambda o: o.broker_id)(obj)
    assert broker_id is not None
    related_brokers = {
        getattr(obj, f.name).broker_id
        for f in obj._meta.concrete_fields
        if f.is_relation and getattr(obj, f.name, None) is not None and hasattr(getattr(obj, f.name), "broker_id")
    }
    assert related_brokers <= {broker_id}, f"{name} straddles brokers: {related_brokers} vs {broker_id}"


@pytest.mark.django_db
def test_objects_hanging_off_another_take_its_broker():
    org = factories.OrganizationFactory()
    assert factories.MicrosoftTenantFactory(organization=org).broker == org.broker
    assert factories.OrganizationUserFactory(organization=org).broker == org.broker
    run = factories.ImportRunFactory()
    assert run.created_by.broker == run.broker
    assert run.file.read() == factories.ORGANIZATIONS_CSV


@pytest.mark.django_db
def test_a_factory_token_authenticates_as_its_owner():
    token = factories.ApiTokenFactory()
    assert authenticate_token(token.raw) == token.user


@pytest.mark.django_db
def test_many_to_many_arguments_are_set():
    group = factories.GroupFactory()
    org = factories.OrganizationFactory(broker=group.broker, groups=[group])
    user = factories.UserFactory(broker=group.broker, staff_role="key_account_manager", groups=[group])
    assert list(group.organizations.all()) == [org]
    assert list(group.users.all()) == [user]


@pytest.mark.django_db
def test_a_connection_keeps_its_secret_encrypted():
    connection = factories.PartnerCenterConnectionFactory(client_secret="s3cret")
    connection.refresh_from_db()
    assert connection.client_secret == "s3cret"
    assert "s3cret" not in connection.client_secret_encrypted
