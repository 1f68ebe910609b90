"""The password policy (minimum length, character classes, nothing from the name or e-mail)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from cloudbroker.accounts.passwords import CharacterClassValidator, NoPersonalPartsValidator
from tests.factories import UserFactory


@pytest.fixture
def person():
    return UserFactory.build(email="j.doe-smith@contoso.com", first_name="Johanna", last_name="Lindqvist")


def messages_for(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("password", ["Qz7!wpx", "Aa1!", ""])
def test_fewer_than_eight_characters_is_refused(password):
    assert any("at least 8 characters" in m for m in messages_for(password))


def test_eight_characters_is_long_enough():
    assert messages_for("Qz7!wpxK") == []


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("qz7!wpxkv", ["an upper-case letter"]),
        ("QZ7!WPXKV", ["a lower-case letter"]),
        ("Qzx!wpxkv", ["a digit"]),
        ("Qz7xwpxkv", ["a non-word character"]),
        ("qzxywpxkv", ["an upper-case letter", "a digit", "a non-word character"]),
    ],
)
def test_each_missing_character_class_is_named(password, missing):
    with pytest.raises(ValidationError) as exc:
        CharacterClassValidator().validate(password)
    message = exc.value.messages[0]
    for label in missing:
        assert label in message
    present = {"an upper-case letter", "a lower-case letter", "a digit", "a non-word character"} - set(missing)
    for label in present:
        assert label not in message


@pytest.mark.parametrize(
    "password",
    [
        "Johanna#2026",  # first name
        "xJOHANNAx!9A",  # first name, other case
        "Lindqvist!9a",  # last name
        "Qz!9a-doe-xX",  # a part of the e-mail local part
        "Smith#2026aZ",  # another part of the e-mail local part
    ],
)
def test_parts_of_the_name_or_email_are_refused(person, password):
    assert "The password must not contain parts of your name or e-mail address." in messages_for(password, person)


def test_the_email_domain_is_not_a_personal_part(person):
    # The domain is shared by a whole company; it does not make a password personal
    assert messages_for("Contoso#2026!", person) == []


def test_short_name_parts_are_not_checked():
    user = UserFactory.build(email="al@x.com", first_name="Al", last_name="Wu")
    NoPersonalPartsValidator().validate("Alwu#2026xyz", user)


def test_a_good_password_is_accepted(person):
    assert messages_for("Tr0ub4dor&3-horse", person) == []


def test_a_common_password_is_refused():
    assert messages_for("password") != []
