"""Real mail servers on loopback for login checks and SMTP failures: aiosmtpd with or without
STARTTLS, implicit TLS and AUTH (a certificate the test makes), a port that accepts and never
speaks, and pymap with the flags a test asks for."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.outreach.mailserver import Recorder, free_port

SMTP_USER = "mailer"
SMTP_PASSWORD = "Sm7p-pa55-do-not-leak"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1, which is its own CA (pass `cert` as ca_file)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    made = Certificate(folder / "cert.pem", folder / "key.pem")
    made.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    made.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return made


def _authenticate(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    # handled=False: aiosmtpd then answers 535 itself (with the default, nothing is answered).
    return AuthResult(success=ok, handled=False)


class NoAuthRecorder(Recorder):
    """A server that does not offer AUTH at all (aiosmtpd offers it over TLS even without an
    authenticator): its EHLO answer drops the AUTH line."""

    async def handle_EHLO(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [line for line in responses if not line[4:].upper().startswith("AUTH")]


@contextlib.contextmanager
def smtp_server(
    *,
    tls: Literal["none", "starttls", "ssl"] = "none",
    certificate: Certificate | None = None,
    auth: bool = False,
    exclude_mechanisms: Sequence[str] = (),
    handler: Recorder | None = None,
) -> Iterator[tuple[Recorder, int]]:
    """aiosmtpd on loopback. `tls="starttls"` offers STARTTLS (and requires it); `"ssl"` is
    implicit TLS; `auth` offers AUTH PLAIN and LOGIN (less `exclude_mechanisms`) and requires it,
    over TLS when there is TLS; without `auth` (and `handler`) no AUTH is offered."""
    recorder, port = handler or (Recorder() if auth else NoAuthRecorder()), free_port()
    options: dict[str, Any] = {}
    if tls != "none":
        assert certificate is not None
        context = certificate.server_context()
        if tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls.
            options.update(ssl_context=context, auth_require_tls=False)
    elif auth:
        options.update(auth_require_tls=False)
    if auth:
        options.update(
            authenticator=_authenticate,
            auth_required=True,
            auth_exclude_mechanism=list(exclude_mechanisms),
        )
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@contextlib.contextmanager
def pymap_server(
    log_dir: Path, user: str, password: str, *flags: str
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A real pymap IMAP server (in-memory) on loopback with `flags` (e.g. `--no-tls`, or
    `--cert F --key F`); yields its port."""
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    command = [str(pymap), "--host", "127.0.0.1", "--port", str(port), *flags]
    command += ["--no-service", "admin", "dict", "--demo-user", user, "--demo-password", password]
    with (log_dir / f"pymap-{port}.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("pymap did not start") from None
                    time.sleep(0.05)
            yield port, proc
        finally:
            proc.terminate()
            proc.wait(timeout=10)
