"""What the engine keeps in memory of a conversation while its messages are received."""

from __future__ import annotations

import asyncio
import weakref


class ConversationState:
    """Locks and counters of one conversation."""

    def __init__(self) -> None:
        # Taken before any other await of `receive`: messages are stored in arrival order.
        self.storing = asyncio.Lock()
        # Held while a reply is written, so a notice from outside waits for its end. Taken
        # before `storing` wherever both are held.
        self.replying = asyncio.Lock()
        self.answering = False
        # Answerable messages stored, and how many of them a turn has read.
        self.received = 0
        self.answered = 0
        # Ids of the messages stored while a turn was answering (None: no turn is): they
        # move behind its reply once it is stored, so the next turn reads them after it.
        self.during_turn: list[int] | None = None
        # Set when a message to answer arrives during a turn: a young reply starts over.
        self.follow_up = asyncio.Event()


class ConversationStates:
    """The state of each conversation being received, by key.

    Weak: state lives while a `receive` holds it, so idle conversations cost nothing.
    """

    def __init__(self) -> None:
        self._states: weakref.WeakValueDictionary[str, ConversationState] = (
            weakref.WeakValueDictionary()
        )

    def __getitem__(self, key: str) -> ConversationState:
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = ConversationState()
        return state
