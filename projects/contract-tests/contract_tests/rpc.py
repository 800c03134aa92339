"""gRPC channels to the services, ready before they are handed out.

This module knows nothing of the generated stubs (gen/, put on the path by
pytest), so that contract_tests imports without them.
"""

from __future__ import annotations

import grpc

from contract_tests.processes import READY_TIMEOUT, ServiceError

# Seconds; every call passes it, so that no test hangs on a stuck service.
CALL_TIMEOUT = 10.0


def connect(target: str, timeout: float = READY_TIMEOUT) -> grpc.Channel:
    """An insecure channel to `target` ("127.0.0.1:PORT"), once it is connected."""
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise ServiceError(
            f"no gRPC connection to {target} within {timeout:.0f}s"
        ) from None
    return channel
