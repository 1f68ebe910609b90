"""A self-signed certificate for 127.0.0.1 / localhost, for running the emulator over https."""

from __future__ import annotations

import datetime as dt
import ipaddress
import tempfile
from pathlib import Path


def make_certificate(directory: str | None = None) -> tuple[str, str]:
    """Write ``emulator-cert.pem`` and ``emulator-key.pem`` (reused when present); answer their paths.

    The certificate is its own CA: give its path to clients as the trust anchor
    (``httpx.Client(verify=...)``, ``msal.ConfidentialClientApplication(verify=...)``).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(directory or tempfile.mkdtemp(prefix="pc-emulator-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "emulator-cert.pem", folder / "emulator-key.pem"
    if cert_path.exists() and key_path.exists():
        return str(cert_path), str(key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partner Center emulator")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)
