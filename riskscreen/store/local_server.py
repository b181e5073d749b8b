"""A throwaway PostgreSQL cluster in a folder: for the tests and for trying a team server.

It runs Debian's (or any installed) PostgreSQL 15+ binaries: ``initdb`` into ``<folder>/data``,
a server listening on a Unix socket in ``<folder>/socket`` (trusted: only this machine's
owner of the folder can reach it) and on ``127.0.0.1`` with TLS required and SCRAM passwords.
The server certificate is signed by a certificate authority made for the cluster
(``<folder>/ca.crt`` is what clients verify against). PostgreSQL refuses to run as root, so
when this process is root the cluster belongs to the ``postgres`` system account and every
binary runs through ``runuser``.

Never a production server: see docs/it/team-server.md for running one.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["MIN_VERSION", "LocalServer", "ServerNotInstalled", "find_binaries"]

MIN_VERSION = 15
_SYSTEM_USER = "postgres"


class ServerNotInstalled(RuntimeError):  # noqa: N818 - a domain name the tests show
    """No PostgreSQL server binaries (15 or later) were found on this machine."""

    def __init__(self) -> None:
        super().__init__(
            f"PostgreSQL {MIN_VERSION} or later is not installed (initdb and pg_ctl were not "
            "found on PATH or under /usr/lib/postgresql). Install it, for example with "
            "'apt-get install postgresql', then try again.")


def find_binaries() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (the newest version)."""
    found = shutil.which("pg_ctl")
    if found:  # Debian links some binaries into PATH: their real folder has them all
        folder = Path(found).resolve().parent
        if all((folder / name).exists() for name in ("initdb", "postgres", "psql")):
            return folder
    candidates = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            version = int(folder.parent.name)
            if version >= MIN_VERSION and (folder / "initdb").exists():
                candidates.append((version, folder))
    if not candidates:
        raise ServerNotInstalled()
    return max(candidates)[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_certificates(folder: Path) -> None:
    """A certificate authority and a server certificate for ``localhost`` signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RiskScreen local test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)


@dataclass
class LocalServer:
    """A PostgreSQL cluster under ``folder``; :meth:`start` makes it on first use.

    ``durable=False`` (the tests) turns fsync off: nothing there needs to survive a crash.
    """

    folder: Path
    port: int = 0
    durable: bool = True
    superuser: str = "postgres"

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()
        self.bin = find_binaries()
        self._as_system_user = os.geteuid() == 0

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.folder / "cluster" / "data"

    @property
    def socket_dir(self) -> Path:
        """The folder holding the server's Unix socket."""
        return self.folder / "socket"

    @property
    def ca_file(self) -> Path:
        """The certificate authority clients verify the server's certificate against."""
        return self.folder / "ca.crt"

    def socket_url(self, database: str, user: str | None = None) -> str:
        """A ``postgresql:`` URL for ``database`` over the Unix socket (no TLS needed)."""
        return (f"postgresql://{user or self.superuser}@/{database}"
                f"?host={self.socket_dir}&port={self.port}")

    def tls_url(self, database: str, user: str) -> str:
        """A ``postgresql:`` URL for ``database`` over TCP on ``localhost`` (TLS required)."""
        return f"postgresql://{user}@localhost:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_system_user:
            command = ["runuser", "-u", _SYSTEM_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed binaries, our own arguments
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return result

    def _own(self, *paths: Path) -> None:
        """Hand ``paths`` to the system account the server runs as (when root)."""
        if not self._as_system_user:
            return
        account = pwd.getpwnam(_SYSTEM_USER)
        for path in paths:
            os.chown(path, account.pw_uid, account.pw_gid)

    def _init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder.chmod(0o711 if self._as_system_user else 0o700)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        _write_certificates(self.folder)
        self._own(self.socket_dir, self.folder / "server.key", self.folder / "server.crt")
        # The cluster's own parent folder must be writable by the account that runs it.
        parent = self.folder / "cluster"
        parent.mkdir(mode=0o700, exist_ok=True)
        self._own(parent)
        if self._as_system_user and subprocess.run(  # noqa: S603 - fixed command
                ["runuser", "-u", _SYSTEM_USER, "--", "test", "-w", str(parent)],  # noqa: S607
                check=False).returncode != 0:
            raise RuntimeError(
                f"As root the server runs as the '{_SYSTEM_USER}' account, which cannot reach "
                f"{self.folder} (a folder above it is private). Choose a folder it can reach, "
                "for example under /tmp or /var/lib/postgresql, or run as a normal user.")
        self._run("initdb", "-D", str(self.data), "-U", self.superuser, "-E", "UTF8",
                  "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "ssl": "on",
            "ssl_cert_file": f"'{self.folder / 'server.crt'}'",
            "ssl_key_file": f"'{self.folder / 'server.key'}'",
            "ssl_min_protocol_version": "'TLSv1.2'",
            "password_encryption": "'scram-sha-256'",
            "max_connections": "60",
            "shared_buffers": "'32MB'",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# RiskScreen local server\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        # Over TCP only TLS with a password; the socket is reachable only by the folder's owner.
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n", encoding="utf-8")

    def start(self) -> LocalServer:
        """Make the cluster if it is not there yet, and start the server."""
        if not (self.data / "PG_VERSION").exists():
            self._init()
        if not self.port:
            self.port = _free_port()
        self._run("pg_ctl", "-D", str(self.data), "-l",
                  str(self.folder / "cluster" / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port}", "start")
        return self

    def stop(self) -> None:
        """Stop the server (fast: open sessions are ended)."""
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-w", "-m",
                      "fast", "stop")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the socket; its output (tuples only)."""
        return self._run("psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h",
                         str(self.socket_dir), "-p", str(self.port), "-U", self.superuser,
                         "-d", database, "-c", sql).stdout.strip()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
