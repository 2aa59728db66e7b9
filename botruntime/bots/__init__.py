"""Bots: the lifecycle every bot goes through and the bus they talk over.

The `Bot` (identity + wallet + nonces + role) builds on these, in `bots/bot.py`.
"""

from botruntime.bots.bus import (
    DEFAULT_INBOX_SIZE,
    AlreadySubscribed,
    Bus,
    BusClosed,
    BusError,
    Inbox,
    InboxFull,
    Message,
    Overflow,
    RequestTimeout,
    UnknownRecipient,
)
from botruntime.bots.lifecycle import (
    BotState,
    IllegalTransition,
    Lifecycle,
    LifecycleError,
    Transition,
)

__all__ = [
    "DEFAULT_INBOX_SIZE",
    "AlreadySubscribed",
    "BotState",
    "Bus",
    "BusClosed",
    "BusError",
    "IllegalTransition",
    "Inbox",
    "InboxFull",
    "Lifecycle",
    "LifecycleError",
    "Message",
    "Overflow",
    "RequestTimeout",
    "Transition",
    "UnknownRecipient",
]
