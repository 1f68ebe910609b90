"""Request-body helpers (case-insensitive field names) and the customer address rules."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid_property

ISO2 = set(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO "
    "JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR "
    "MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO "
    "RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV "
    "TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".split()
)
US_STATES = set(
    "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY OH OK "
    "OR PA RI SC SD TN TX UT VA VT WA WI WV WY AS GU MP PR VI".split()
)
CA_PROVINCES = set("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
AU_STATES = set("ACT NSW NT QLD SA TAS VIC WA".split())
REGISTRATION_REQUIRED = set("AM AZ BY HU KZ KG MD RU TJ UZ UA BR IN ZA PL AE SA TR TH VN MM IQ SS VE".split())
REGISTRATION_UNSUPPORTED = {"US"}

# Country rules the emulator knows in detail; other ISO countries accept any postal code and no state.
COUNTRY_RULES: dict[str, dict[str, Any]] = {
    "US": {"culture": "en-US", "states": US_STATES, "postal": r"^\d{5}(-\d{4})?$", "languages": ["en", "es"]},
    "CA": {"culture": "en-CA", "states": CA_PROVINCES, "postal": r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$"},
    "AU": {"culture": "en-AU", "states": AU_STATES, "postal": r"^\d{4}$"},
    "GB": {"culture": "en-GB", "postal": r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$"},
    "DE": {"culture": "de-DE", "postal": r"^\d{5}$"},
    "FR": {"culture": "fr-FR", "postal": r"^\d{5}$"},
    "ES": {"culture": "es-ES", "postal": r"^\d{5}$"},
    "IT": {"culture": "it-IT", "postal": r"^\d{5}$"},
    "NL": {"culture": "nl-NL", "postal": r"^\d{4} ?[A-Za-z]{2}$"},
    "BE": {"culture": "nl-BE", "postal": r"^\d{4}$"},
    "AT": {"culture": "de-AT", "postal": r"^\d{4}$"},
    "CH": {"culture": "de-CH", "postal": r"^\d{4}$"},
    "SE": {"culture": "sv-SE", "postal": r"^\d{3} ?\d{2}$"},
    "NO": {"culture": "nb-NO", "postal": r"^\d{4}$"},
    "DK": {"culture": "da-DK", "postal": r"^\d{4}$"},
    "FI": {"culture": "fi-FI", "postal": r"^\d{5}$"},
    "IE": {"culture": "en-IE", "postal": r"^[A-Za-z\d]{3} ?[A-Za-z\d]{4}$"},
    "PL": {"culture": "pl-PL", "postal": r"^\d{2}-\d{3}$"},
    "IN": {"culture": "en-IN", "postal": r"^\d{6}$"},
}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CULTURE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
DOMAIN_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
HOSTNAME = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
REGISTRATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,49}$")


def lower_keys(value: Any) -> Any:
    """The body with every object key lower-cased: Partner Center reads field names case-insensitively."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def text(obj: dict, key: str, field: str, *, required: bool = True, max_len: int = 256, min_len: int = 1) -> str:
    raw = obj.get(key.lower()) if isinstance(obj, dict) else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise invalid_property(field, "is required.")
        return ""
    if not isinstance(raw, str):
        raise invalid_property(field, "must be a string.")
    raw = raw.strip()
    if not min_len <= len(raw) <= max_len:
        raise invalid_property(field, f"must be {min_len} to {max_len} characters long.")
    return raw


def section(obj: dict, key: str, field: str) -> dict:
    raw = obj.get(key.lower())
    if not isinstance(raw, dict):
        raise invalid_property(field, "is required.")
    return raw


def validate_address(raw: dict, prefix: str, *, names_required: bool = True) -> dict[str, str]:
    country = text(raw, "country", f"{prefix}.Country", max_len=2, min_len=2).upper()
    if country not in ISO2:
        raise invalid_property(f"{prefix}.Country", f"'{country}' is not an ISO 3166 two-letter country code.")
    rules = COUNTRY_RULES.get(country, {})
    address = {
        "country": country,
        "city": text(raw, "city", f"{prefix}.City", max_len=100),
        "state": text(raw, "state", f"{prefix}.State", required="states" in rules, max_len=3, min_len=0),
        "addressLine1": text(raw, "addressLine1", f"{prefix}.AddressLine1", max_len=200),
        "addressLine2": text(raw, "addressLine2", f"{prefix}.AddressLine2", required=False, max_len=200, min_len=0),
        "postalCode": text(raw, "postalCode", f"{prefix}.PostalCode", required="postal" in rules, max_len=20),
        "firstName": text(raw, "firstName", f"{prefix}.FirstName", required=names_required, max_len=50),
        "lastName": text(raw, "lastName", f"{prefix}.LastName", required=names_required, max_len=50),
        "phoneNumber": text(raw, "phoneNumber", f"{prefix}.PhoneNumber", required=False, max_len=40, min_len=0),
    }
    if "states" in rules and address["state"].upper() not in rules["states"]:
        raise invalid_property(f"{prefix}.State", f"'{address['state']}' is not a state of {country}.")
    if address["state"] and "states" in rules:
        address["state"] = address["state"].upper()
    if address["postalCode"] and "postal" in rules and not re.match(rules["postal"], address["postalCode"]):
        raise invalid_property(
            f"{prefix}.PostalCode", f"'{address['postalCode']}' is not a valid {country} postal code."
        )
    if not address["addressLine2"]:
        del address["addressLine2"]
    return address


def validate_domain(raw: str) -> str:
    domain = raw.strip().lower()
    if "." not in domain:
        if not DOMAIN_PREFIX.match(domain) or domain.endswith("-"):
            raise invalid_property("CompanyProfile.Domain", f"'{raw}' is not a valid domain prefix.")
        return domain + ".onmicrosoft.com"
    if not HOSTNAME.match(domain):
        raise invalid_property("CompanyProfile.Domain", f"'{raw}' is not a valid domain.")
    return domain


def validate_registration(country: str, number: str, phone: str) -> None:
    if country in REGISTRATION_REQUIRED:
        if not number:
            raise ApiError(400, 600049, "Organization registration ID is required for this country.")
        if not REGISTRATION.match(number):
            raise ApiError(400, 600050, "Organization registration ID is in an invalid format.")
        if not phone:
            raise ApiError(400, 600051, "Phone number is required for this country.")
    elif number and country in REGISTRATION_UNSUPPORTED:
        raise ApiError(400, 600002, "Organization registration ID is not supported for this country.")


# Phone, tax id and VAT id formats the emulator knows per country (the shapes of Partner Center's
# CountryValidationRules; the patterns are the emulator's, close to the national formats).
_PHONE_DEFAULT = r"^\+?[0-9 ()./-]{6,20}$"
_PHONE_US = r"^(1[\-\/\.]?)?(\((\d{3})\)|(\d{3}))[\-\/\.]?(\d{3})[\-\/\.]?(\d{4})$"
TAX_RULES: dict[str, dict[str, str]] = {
    # country: calling code, tax id format ('#' a digit, other characters as written), its sample,
    # VAT id pattern (countries with VAT ids only)
    "US": {"calling": "1", "tax": "US######", "sample": "US999965", "phone": _PHONE_US},
    "CA": {"calling": "1", "tax": "#########", "sample": "123456789", "phone": _PHONE_US},
    "AU": {"calling": "61", "tax": "###########", "sample": "51824753556"},
    "GB": {"calling": "44", "vat": r"^(GB)?(\d{9}|\d{12})$", "sample": "GB123456789"},
    "DE": {"calling": "49", "vat": r"^(DE)?\d{9}$", "sample": "DE123456789"},
    "FR": {"calling": "33", "vat": r"^(FR)?[A-Z0-9]{2}\d{9}$", "sample": "FR12345678901"},
    "ES": {"calling": "34", "vat": r"^(ES)?[A-Z0-9]\d{7}[A-Z0-9]$", "sample": "ESA1234567B"},
    "IT": {"calling": "39", "vat": r"^(IT)?\d{11}$", "sample": "IT12345678901"},
    "NL": {"calling": "31", "vat": r"^(NL)?\d{9}B\d{2}$", "sample": "NL123456789B01"},
    "BE": {"calling": "32", "vat": r"^(BE)?[01]\d{9}$", "sample": "BE0123456789"},
    "AT": {"calling": "43", "vat": r"^(AT)?U\d{8}$", "sample": "ATU12345678"},
    "CH": {"calling": "41", "vat": r"^(CHE)?-?\d{3}\.?\d{3}\.?\d{3}( ?(MWST|TVA|IVA))?$", "sample": "CHE123456789"},
    "SE": {"calling": "46", "vat": r"^(SE)?\d{12}$", "sample": "SE556677889901"},
    "NO": {"calling": "47", "vat": r"^(NO)?\d{9}(MVA)?$", "sample": "NO923609016MVA"},
    "DK": {"calling": "45", "vat": r"^(DK)?\d{8}$", "sample": "DK12345678"},
    "FI": {"calling": "358", "vat": r"^(FI)?\d{8}$", "sample": "FI12345678"},
    "IE": {"calling": "353", "vat": r"^(IE)?\d{7}[A-Z]{1,2}$", "sample": "IE1234567T"},
    "PL": {"calling": "48", "vat": r"^(PL)?\d{10}$", "sample": "PL5252248481"},
    "IN": {"calling": "91"},
}
NO_VAT = {"US", "CA", "AU", "IN"}


def country_rules(iso2: str) -> dict[str, Any]:
    """``GET /v1/countryvalidationrules/{iso2}`` as Microsoft documents it: flat ``...List`` arrays."""
    rules = COUNTRY_RULES.get(iso2, {})
    tax = TAX_RULES.get(iso2, {})
    culture = rules.get("culture", "en-US")
    body: dict[str, Any] = {
        "iso2Code": iso2,
        "defaultCulture": culture,
        "isStateRequired": "states" in rules,
        "supportedStatesList": sorted(rules.get("states", [])),
        "supportedLanguagesList": rules.get("languages", [culture.split("-")[0]]),
        "supportedCulturesList": [culture],
        "isPostalCodeRequired": "postal" in rules,
        "postalCodeRegex": rules.get("postal", ""),
        "isCityRequired": True,
        "isVatIdSupported": iso2 not in NO_VAT,
        "taxIdFormat": tax.get("tax", ""),
        "taxIdSample": tax.get("sample", ""),
        "vatIdRegex": tax.get("vat", ""),
        "phoneNumberRegex": tax.get("phone", _PHONE_DEFAULT),
        "isRegistrationNumberSupported": iso2 not in REGISTRATION_UNSUPPORTED,
        "isTaxIdSupported": True,
        "isTaxIdOptional": iso2 not in REGISTRATION_REQUIRED,
        "countryCallingCodesList": [tax["calling"]] if "calling" in tax else [],
        "attributes": {"objectType": "CountryInformation"},
    }
    return body
