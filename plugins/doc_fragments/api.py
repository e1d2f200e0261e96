# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by the modules that talk to an HTTP API."""

    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the server's TLS certificate.
      - Set to V(false) only for a test server you trust; the connection is then open to
        interception.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of certificate authorities to verify the server against, instead of the
        system's (for example an IGTF or site CA bundle).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is repeated after a connection error, a timeout, HTTP 429 or
        HTTP 5xx, waiting 1, 2, 4, ... seconds (at most 30, or what C(Retry-After) asks).
      - Requests that create something (POST) are repeated only when the server cannot have
        acted on them (connection refused, 429, 503).
    type: int
    default: 3
"""
