# Copyright (c) DODAS developers
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment:
    """Descriptions of the module attributes (each module states its support)."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the change it would make, without making it.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode), in diff mode.
  idempotent:
    description:
      - Run twice in a row with the same arguments, the second run reports no change.
      - This assumes the service has not changed in between in a relevant way.
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module only reads.
  idempotent:
    support: full
    details:
      - This module only reads.
"""
