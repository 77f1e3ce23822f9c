"""Fixtures of the reliability suite."""

from fakes.fault_server import faults  # noqa: F401  (the misbehaving loopback feed server)
