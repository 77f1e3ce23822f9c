"""What a failed Slack Web API call means: `classify(exc)` -> `Failure` (rate limited,
transient, a channel or token problem, or permanent), and the fix to tell the operator for each
channel and token error."""

from __future__ import annotations

from dataclasses import dataclass
from http.client import HTTPException

from slack_sdk.errors import SlackApiError

NETWORK_ERRORS = (OSError, HTTPException)  # URLError, timeouts, resets are OSErrors
UNRESOLVED = "channel_name_unresolved"
_INVITE = "invite the bot to the channel (/invite @hubnews)"
_REINSTALL = "reinstall the Slack app and set SLACK_BOT_TOKEN to its Bot User OAuth Token (xoxb-…)"
TOKEN_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid token: " + _REINSTALL,
    "not_authed": "no token was sent: set SLACK_BOT_TOKEN",
    "account_inactive": "the app was uninstalled or its user deactivated: " + _REINSTALL,
    "token_revoked": "the token was revoked: " + _REINSTALL,
    "token_expired": "the token expired: " + _REINSTALL,
}
CHANNEL_FIXES = {
    "channel_not_found": "check the channel id in [[routes]]; for a private channel " + _INVITE,
    UNRESOLVED: "no public channel the bot can see has this name: fix the name in [[routes]], "
    "or use the channel id (a private channel needs its id and " + _INVITE + ")",
    "not_in_channel": _INVITE + ", or add the chat:write.public scope",
    "is_archived": "unarchive the channel or remove its route",
    "missing_scope": "add the chat:write and chat:write.public scopes and reinstall the app",
    "restricted_action": "a workspace admin restricts posting there; ask them or change routes",
    "team_access_not_granted": "grant the app access to this workspace",
}
PERMANENT = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
}


@dataclass
class Failure:
    kind: str  # "rate", "transient", "channel", "token", "permanent"
    error: str
    retry_after: float = 0.0
    verify: bool = False


def classify(exc: Exception) -> Failure:
    """What a failed Web API call means for the row (see the table in the module docstring)."""
    if not isinstance(exc, SlackApiError):
        return Failure("transient", f"{type(exc).__name__}: {exc}"[:300], verify=True)
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    error = f"http_{response.status_code}"
    if response.status_code == 200 and data.get("error"):
        error = str(data["error"])
    if response.status_code == 429 or error == "ratelimited":
        headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
        try:
            wait = float(headers.get("retry-after", 1))
        except (TypeError, ValueError):
            wait = 1.0
        return Failure("rate", "rate limited", retry_after=min(max(wait, 1.0), 3600.0))
    if response.status_code >= 500:
        return Failure("transient", error, verify=True)
    if error in TOKEN_FIXES:
        return Failure("token", error)
    if error in CHANNEL_FIXES:
        return Failure("channel", error)
    return Failure("permanent" if error in PERMANENT else "transient", error)
