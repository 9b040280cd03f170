"""Certificates for the fake clusters: a private CA with a leaf it signs, and a lone
self-signed leaf whose fingerprint the server pins.

Everything is made fresh for each run with Python's `cryptography`; keys stay in the run
directory (mode 0600) and are never printed.
"""

import datetime
import hashlib
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = datetime.timedelta(days=1)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as out:
        out.write(data)


def _write_cert(path, cert):
    with open(path, 'wb') as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))


def _leaf(subject_key, issuer_name, issuer_key, host, common_name):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(issuer_name)
            .public_key(subject_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 7 * _DAY)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(issuer_key, hashes.SHA256()))


def make_ca_and_leaf(directory, host):
    """A CA (ca.pem) and a leaf for `host` signed by it. Returns (ca_file, cert_file, key_file)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name('proxmox-mcp e2e CA')
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - _DAY)
          .not_valid_after(now + 7 * _DAY)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _leaf(key, ca_name, ca_key, host, 'pve-alpha')
    ca_file = os.path.join(directory, 'ca.pem')
    cert_file = os.path.join(directory, 'alpha.crt')
    key_file = os.path.join(directory, 'alpha.key')
    _write_cert(ca_file, ca)
    _write_cert(cert_file, cert)
    _write_key(key_file, key)
    return ca_file, cert_file, key_file


def make_self_signed(directory, host, name):
    """A self-signed leaf for `host`. Returns (cert_file, key_file, fingerprint 'AA:BB:...')."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _leaf(key, _name(name), key, host, name)
    cert_file = os.path.join(directory, name + '.crt')
    key_file = os.path.join(directory, name + '.key')
    _write_cert(cert_file, cert)
    _write_key(key_file, key)
    return cert_file, key_file, fingerprint(cert)


def fingerprint(cert):
    """SHA-256 of the DER certificate, as PVE shows it (AA:BB:...)."""
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))
