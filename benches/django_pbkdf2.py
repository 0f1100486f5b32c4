"""Time CPython's hashlib.pbkdf2_hmac (what Django's PBKDF2 hashers call) for benches/pbkdf2.rs.

    python benches/django_pbkdf2.py ITERATIONS...

Prints "<digest> <iterations> <nanoseconds>" lines, the best of a few runs each.
"""

import hashlib
import sys
import time

RUNS = 5
for n in sorted({int(a) for a in sys.argv[1:]}):
    for digest in ("sha256", "sha1"):
        best = float("inf")
        for _ in range(RUNS):
            start = time.perf_counter()
            hashlib.pbkdf2_hmac(digest, b"correct horse battery", b"abcdefghijklmnopqrstuv", n)
            best = min(best, time.perf_counter() - start)
        print("%s %d %.0f" % (digest, n, best * 1e9))
