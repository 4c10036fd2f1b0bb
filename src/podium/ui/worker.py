"""`podium worker`: a Temporal worker that carries attempts out on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.command("worker")
@click.option("--address", default="127.0.0.1:7233", show_default=True, help="Temporal host:port.")
@click.option("--namespace", default="default", show_default=True, help="Temporal namespace.")
@click.option("--task-queue", default="podium", show_default=True, help="The coordinators' queue.")
@click.option("--slots", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Attempts at once.")  # fmt: skip
@click.option("--agents", default="", help="Agents served, comma-separated (default: usable here).")
@click.option("--dir", "home", type=click.Path(path_type=Path), default=".podium-worker",
              show_default=True, help="Caches, worktrees and logs.")  # fmt: skip
@click.option("--tls", is_flag=True, help="Connect with TLS (system roots).")
@click.option("--tls-ca", default="", help="The server's root CA (PEM).")
@click.option("--tls-cert", default="", help="Client certificate for mutual TLS (PEM).")
@click.option("--tls-key", default="", help="Its private key (PEM).")
@click.option("--api-key-env", default="", help="Variable holding a Temporal API key.")
def worker_command(
    address: str,
    namespace: str,
    task_queue: str,
    slots: int,
    agents: str,
    home: Path,
    tls: bool,
    tls_ca: str,
    tls_cert: str,
    tls_key: str,
    api_key_env: str,
) -> None:
    """Carry out attempts for podium coordinators through Temporal (podium[temporal]).

    Agent keys come from this process's environment; git needs push access to the remote."""
    from podium.api import workers

    settings = workers.ExecutorConfig(
        "temporal", address, namespace, task_queue, "-", 30.0, tls, tls_ca, tls_cert, tls_key,
        api_key_env,
    )  # fmt: skip
    names = tuple(a.strip() for a in agents.split(",") if a.strip())
    workers.serve_worker(settings, home, slots, names)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # temporalio's runtime can crash at interpreter exit (sdk-python#300)
