"""Running the emulator with uvicorn, in the foreground or on a background thread."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .app import create_app
from .config import EmulatorConfig
from .state import Store


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def make_store(config: EmulatorConfig) -> Store:
    store = Store(
        state_file=config.state_file,
        rate_limit=config.rate_limit,
        page_size=config.page_size,
        provisioning_delay=config.provisioning_delay,
    )
    store.load()
    return store


def uvicorn_config(config: EmulatorConfig, store: Store) -> uvicorn.Config:
    ssl: dict = {}
    if config.tls:
        from .tls import make_certificate

        cert, key = make_certificate(config.tls_dir)
        ssl = {"ssl_certfile": cert, "ssl_keyfile": key}
        config.extra["ca_file"] = cert
    return uvicorn.Config(
        create_app(config, store),
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        backlog=2048,
        **ssl,
    )


class BackgroundServer:
    """One uvicorn server on a daemon thread; ``start``/``stop`` can be repeated on the same port."""

    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> None:
        if self.server is not None:
            return
        server = uvicorn.Server(uvicorn_config(self.config, self.store))
        thread = threading.Thread(target=server.run, name="partner-center-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the emulator could not start on {self.config.host}:{self.config.port}")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError("the emulator did not start in time")
            time.sleep(0.01)
        self.server, self.thread = server, thread
        self.store.start_saver()

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.should_exit = True
        assert self.thread is not None
        self.thread.join(timeout=10)
        self.server = self.thread = None
        self.store.stop_saver()
