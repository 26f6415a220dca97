#!/usr/bin/env python3
"""A minimal Glue stand-in for the fan-out figure: GetJob and StartJobRun only.

    glue_minimal.py [--latency-ms N]

moto answers one call at a time (Python, one interpreter lock) and spends
several milliseconds on each, so 200 calls of a 100-job fan-out queue behind
each other there whatever the client's concurrency: moto's service time, not
the client, sets the wall time. This responder does almost no work per call
(asyncio, a fixed Spark job for any name, a random run id) and sleeps N ms in
each call without blocking the others, as a service with latency L and ample
capacity would. It is used only to show the client's concurrency structure;
every other figure uses moto.

Listens on a free port of 127.0.0.1, prints `{"url": ...}` once ready.
`GET /_bench/requests` lists the calls so far (operation, started_ms,
finished_ms: ms since the Unix epoch; finished = when the answer was ready),
`DELETE /_bench/requests` forgets them.
"""

import argparse
import asyncio
import json
import os
import secrets
import sys
import time

RECORDS: list[dict] = []


def job(name: str) -> dict:
    return {
        "Name": name,
        "Role": "arn:aws:iam::123456789012:role/glue-bench",
        "Command": {"Name": "glueetl", "ScriptLocation": "s3://bench/job.py", "PythonVersion": "3"},
        "GlueVersion": "4.0",
        "DefaultArguments": {
            "--additional-python-modules": "acme-tools==1.2.0",
            "--python-modules-installer-option": "--upgrade",
        },
        "ExecutionProperty": {"MaxConcurrentRuns": 100000},
    }


async def answer(target: str, body: bytes, latency: float) -> tuple[int, dict]:
    started = time.time() * 1000
    op = target.split(".", 1)[-1]
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        req = {}
    if latency:
        await asyncio.sleep(latency)
    if op == "GetJob":
        status, out = 200, {"Job": job(req.get("JobName", ""))}
    elif op == "StartJobRun":
        status, out = 200, {"JobRunId": "jr_" + secrets.token_hex(32)}
    else:
        status, out = 400, {"__type": "InvalidInputException", "message": f"{op} is not served here"}
    RECORDS.append({"operation": op, "status": status, "started_ms": started,
                    "finished_ms": time.time() * 1000})
    return status, out


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            if path.startswith("/_bench/requests"):
                if method == "DELETE":
                    RECORDS.clear()
                status, out = 200, list(RECORDS) if method == "GET" else []
            else:
                status, out = await answer(headers.get("x-amz-target", ""), body, latency)
            data = json.dumps(out).encode()
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}\r\n"
                f"Content-Type: application/x-amz-json-1.1\r\n"
                f"x-amzn-RequestId: {secrets.token_hex(16)}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode() + data
            )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    server = await asyncio.start_server(lambda r, w: handle(r, w, latency), "127.0.0.1", 0,
                                        backlog=1024)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(json.dumps({"url": f"http://127.0.0.1:{port}"}) + "\n")
    sys.stdout.flush()
    parent = os.getppid()
    async with server:
        while os.getppid() == parent:  # exit with the harness
            await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(main())
