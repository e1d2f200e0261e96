# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment:
    """Where the PaaS Orchestrator is and how to authenticate, as orchent does."""

    DOCUMENTATION = r"""
options:
  url:
    description:
      - The orchestrator's base URL, for example C(https://paas.example.org/orchestrator).
      - Read from the environment variable E(ORCHENT_URL) when not given.
    type: str
    required: true
  token:
    description:
      - The IAM access token sent in the C(Authorization) header as a C(Bearer) token. Creating, updating and deleting
        need a token with the C(offline_access) scope.
      - Read from the environment variable E(ORCHENT_TOKEN) when not given.
      - See M(dodas.dodas.iam_token) to get one.
    type: str
  token_file:
    description:
      - A file whose first line is the access token (for example the O(dodas.dodas.iam_token#module:dest)
        of M(dodas.dodas.iam_token)). Used when O(token) is not set.
    type: path
"""
