"""Fakes of the network services hubnews talks to (loopback only)."""
