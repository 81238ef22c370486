"""What the benchmark scripts share about the servers they start: waiting until one listens."""
import socket
import subprocess
import time


def wait_for_port(process: subprocess.Popen, port: int, what: str, timeout: float = 30) -> subprocess.Popen:
    """Return `process` once something accepts on 127.0.0.1:`port`; kill it and stop if nothing
    does within `timeout` seconds (a bound, not a measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what} on port {port} did not start")
