"""Fixtures of the contests tests: a real local S3-compatible server (moto's server mode).

`s3_server` starts moto's ThreadedMotoServer on a free port of 127.0.0.1 once per session and
yields its endpoint URL; `s3_bucket` makes a new, empty bucket on it for one test. Where moto
cannot start the tests that need it skip, saying why, unless EVENTS_REQUIRE_S3=1, where that
is a failure.
"""

from __future__ import annotations

import os
import secrets
import threading

import pytest

REQUIRE_S3 = os.environ.get("EVENTS_REQUIRE_S3") == "1"
S3_KEYS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


def _unavailable(reason: str):
    message = f"no local S3 server (moto): {reason}"
    if REQUIRE_S3:
        pytest.fail(message + " (EVENTS_REQUIRE_S3=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a local S3-compatible server (moto) for this test session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        _unavailable(f"moto[server] is not installed ({error})")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # start() waits for the server without a timeout: wait here with one.
    starting = threading.Thread(target=server.start, daemon=True)
    starting.start()
    starting.join(timeout=30)
    if starting.is_alive():
        _unavailable("ThreadedMotoServer did not start within 30 s")
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint_url: str):
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
        region_name=S3_KEYS["region"],
    )


@pytest.fixture
def s3_bucket(s3_server):
    """The name of a new, empty bucket on the local S3 server (removed after the test)."""
    client = s3_client(s3_server)
    name = f"test-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
