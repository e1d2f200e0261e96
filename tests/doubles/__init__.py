"""Test doubles of services that cannot run here (INDIGO IAM, the PaaS Orchestrator).

They model the documented behaviour (see docs/modules.md, "Test doubles") and bind 127.0.0.1 on
a free port; pytest fixtures start and stop them. Never imported by plugins/.
"""
