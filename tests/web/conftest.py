"""A running web application on a free port of 127.0.0.1, for the route and browser tests."""

import threading
import time

import pytest
import uvicorn

from evidence.web.app import create_app


def wait_done(client, job_id, timeout_s=240):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        status = client.get(f"/jobs/{job_id}/status").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


@pytest.fixture(scope="session")
def web_data(tmp_path_factory):
    return tmp_path_factory.mktemp("web-data")


@pytest.fixture(scope="session")
def server(web_data):
    """The app served by uvicorn in a thread, as `evidence serve` does; yields its base URL."""
    config = uvicorn.Config(create_app(web_data), host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
