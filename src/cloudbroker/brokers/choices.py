from django.db import models


class Currency(models.TextChoices):
    """Currencies Microsoft CSP prices in (ISO 4217)."""

    AUD = "AUD", "Australian dollar"
    BRL = "BRL", "Brazilian real"
    CAD = "CAD", "Canadian dollar"
    CHF = "CHF", "Swiss franc"
    DKK = "DKK", "Danish krone"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    INR = "INR", "Indian rupee"
    JPY = "JPY", "Japanese yen"
    NOK = "NOK", "Norwegian krone"
    NZD = "NZD", "New Zealand dollar"
    SEK = "SEK", "Swedish krona"
    USD = "USD", "US dollar"
    ZAR = "ZAR", "South African rand"
