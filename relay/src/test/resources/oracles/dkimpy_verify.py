#!/usr/bin/python3
"""Verifies every DKIM-Signature of the message on stdin with dkimpy, with DNS given offline.

usage: dkimpy_verify.py NAME=VALUE...   (NAME like s1._domainkey.example.com, trailing dot optional)
Prints one line per signature: "pass d=... s=... a=..." or "fail d=... s=... a=... reason".
Exit 0 only if there is at least one signature and every one passes.
"""
import sys

import dkim

records = {}
for argument in sys.argv[1:]:
    name, _, value = argument.partition("=")
    records[name.lower().rstrip(".")] = value.encode()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return records.get(name.lower().rstrip("."))


message = sys.stdin.buffer.read()
verifier = dkim.DKIM(message)
count = sum(1 for header in verifier.headers if header[0].lower() == b"dkim-signature")
ok = count > 0
for index in range(count):
    try:
        passed = verifier.verify(idx=index, dnsfunc=dnsfunc)
        reason = ""
    except dkim.DKIMException as error:
        passed, reason = False, str(error)
    tags = verifier.signature_fields or {}
    fields = " ".join(
        "%s=%s" % (tag, tags.get(tag.encode(), b"?").decode()) for tag in ("d", "s", "a")
    )
    print(("pass " if passed else "fail ") + fields + (" " + reason if reason else ""))
    ok = ok and passed
if count == 0:
    print("fail no DKIM-Signature")
sys.exit(0 if ok else 1)
