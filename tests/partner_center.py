"""Fixtures (registered in tests/conftest.py): the Partner Center emulator over real HTTP, a broker
connected to it, and a real SMTP server that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator

import pytest

from cloudbroker.microsoft365.models import PartnerCenterConnection
from partner_center_emulator.server import free_port
from partner_center_emulator.testing import RunningEmulator, running_emulator
from tests.factories import PartnerCenterConnectionFactory


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as pc:
        yield pc


@pytest.fixture
def pc(emulator: RunningEmulator) -> RunningEmulator:
    emulator.reset()
    emulator.set_rate_limit(0)
    emulator.set_page_size(100)
    return emulator


@pytest.fixture
def pc_connection(broker, pc: RunningEmulator) -> PartnerCenterConnection:
    return PartnerCenterConnectionFactory(
        broker=broker,
        tenant_id=pc.tenant_id,
        client_id=pc.client_id,
        client_secret=pc.client_secret,
        authority_base=pc.base_url,
        api_base_url=pc.base_url,
        scope=pc.scope,
        requests_per_minute=6000,
    )


class Mailbox:
    """What a real SMTP server on 127.0.0.1 received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()
