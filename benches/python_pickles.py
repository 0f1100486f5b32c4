"""CPython's side of benches/pickles.rs: the review's shapes of a cached session, each made by
pickle.dumps as Django's RedisCache writes it (protocol 5), and pickle.loads timed on them.

    python benches/python_pickles.py

Prints one JSON object: for each shape, its pickle in hex and CPython's nanoseconds per
pickle.loads (what Django's cache runs for every request with that session).
"""

import json
import pickle
import sys
import timeit


def shapes():
    big = {"key-%d" % i: "value-%d" % i for i in range(40_000)}
    big["_auth_user_id"] = "1"
    login = {
        "_auth_user_id": "1",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "ab" * 32,
    }
    shared = "x" * 10_000
    return {
        "a login (three keys)": pickle.dumps(login, 5),
        "40,000 keys": pickle.dumps(big, 5),
        "one 10 kB str 99,990 times": pickle.dumps({"l": [shared] * 99_990}, 5),
        "50,000 nested tuples": b"\x80\x05)" + b"\x85" * 50_000 + b".",
    }


def main():
    out = {}
    for name, data in shapes().items():
        runs, seconds = timeit.Timer(lambda: pickle.loads(data)).autorange()
        out[name] = {"hex": data.hex(), "ns": seconds / runs * 1e9}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
