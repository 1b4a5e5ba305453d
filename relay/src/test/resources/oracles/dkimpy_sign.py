#!/usr/bin/python3
"""Signs stdin with dkimpy using a dkimrelay key file; writes the signed message to stdout.

usage: dkimpy_sign.py KEYFILE SELECTOR DOMAIN
The key file is PKCS#8 PEM as dkimrelay writes it. dkimpy takes RSA keys as PEM and Ed25519 keys
as the base64 of the 32-byte seed, which is the last 32 bytes of the PKCS#8 DER.
"""
import base64
import sys

import dkim

ED25519_OID = bytes.fromhex("06032b6570")

key_file, selector, domain = sys.argv[1:4]
pem = open(key_file, "rb").read()
body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
der = base64.b64decode(body)
message = sys.stdin.buffer.read()
if ED25519_OID in der[:16]:
    privkey, algorithm = base64.b64encode(der[-32:]), b"ed25519-sha256"
else:
    privkey, algorithm = pem, b"rsa-sha256"
signature = dkim.sign(
    message,
    selector.encode(),
    domain.encode(),
    privkey,
    signature_algorithm=algorithm,
    include_headers=[b"from", b"to", b"subject"],
)
sys.stdout.buffer.write(signature + message)
