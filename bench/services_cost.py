"""The middleware's own cost per request, in process (run by bench/services_compare.py in the
`services` virtualenv): bench/services_app.py's `GET /pk` called as ASGI, with djtoken.asgi
in front (a tokenapi token in the query string) and without it, alternating batches, one
request at a time; prints the medians in microseconds as JSON: the wall time of a request
(`with`, `without`; with a database round trip in it, that is mostly waiting, which the event
loop spends on other requests) and the CPU time of the whole process, every thread of
djtoken's runtime included (`cpu_with`, `cpu_without`): the cost.

    python bench/services_cost.py QUERY [--batches 15] [--per-batch 2000]
"""

import argparse
import asyncio
import json
import statistics
import time

from services_app import app, bare


async def main(query, batches, per_batch):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/pk",
        "raw_path": b"/pk",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    bodies = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.body":
            bodies.append(message["body"])

    async def run(target):
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(per_batch):
            await target(dict(scope), receive, send)
        wall = (time.perf_counter() - started) / per_batch * 1e6
        return wall, (time.process_time() - cpu) / per_batch * 1e6

    await run(app)
    assert json.loads(bodies[-1])["user"] is not None, bodies[-1]
    with_it, without = [], []
    for _ in range(batches):
        with_it.append(await run(app))
        without.append(await run(bare))
    return {
        "with": statistics.median(w for w, _ in with_it),
        "without": statistics.median(w for w, _ in without),
        "cpu_with": statistics.median(c for _, c in with_it),
        "cpu_without": statistics.median(c for _, c in without),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("query")
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--per-batch", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.query, args.batches, args.per_batch))))
