#!/usr/bin/python3
"""Verifies every DKIM-Signature of the message on stdin with dkimpy, with DNS given offline.

usage: dkimpy_verify.py [--dir DIR] NAME=VALUE...   (NAME like s1._domainkey.example.com)
Prints one line per signature: "pass d=... s=... a=..." or "fail d=... s=... a=... reason".
With --dir, verifies every file in DIR instead of stdin and puts "FILE: " before each line.
Exit 0 only if every message has at least one signature and every one passes.
"""
import os
import sys

import dkim

arguments = sys.argv[1:]
directory = None
if arguments[:1] == ["--dir"]:
    directory, arguments = arguments[1], arguments[2:]
records = {}
for argument in arguments:
    name, _, value = argument.partition("=")
    records[name.lower().rstrip(".")] = value.encode()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return records.get(name.lower().rstrip("."))




def verify(message, prefix):
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
        print(prefix + ("pass " if passed else "fail ") + fields + (" " + reason if reason else ""))
        ok = ok and passed
    if count == 0:
        print(prefix + "fail no DKIM-Signature")
    return ok


if directory is None:
    all_ok = verify(sys.stdin.buffer.read(), "")
else:
    all_ok = True
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as handle:
            all_ok = verify(handle.read(), name + ": ") and all_ok
sys.exit(0 if all_ok else 1)
