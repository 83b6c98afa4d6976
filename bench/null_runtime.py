"""The floor of the runtime benchmark: a Runtime API client that does nothing else.

``python -m bench.null_runtime`` takes each event with ``next`` and posts a fixed answer at
once, over one keep-alive ``http.client`` connection: what any Python runtime must at least
spend per invocation against the emulator, with no handler and no framework around it.
"""

from __future__ import annotations

import http.client
import os

ANSWER = b'{"statusCode": 200, "body": "{}"}'


def main() -> None:
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
    while True:
        connection.request("GET", "/2018-06-01/runtime/invocation/next")
        response = connection.getresponse()
        response.read()
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        path = f"/2018-06-01/runtime/invocation/{request_id}/response"
        connection.request("POST", path, body=ANSWER)
        connection.getresponse().read()


if __name__ == "__main__":
    main()
