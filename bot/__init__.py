"""hubnews: a Slack bot that keeps a policy team on top of tech-policy news."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hubnews")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
