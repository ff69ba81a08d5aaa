"""Every sentence a customer can see, in one place: the engine's notices and the frontends'.

Tool results (what the model reads) stay with their tools; these are shown to people.
"""

from __future__ import annotations

# ---------------------------------------------------------------- the engine's notices

CUT_BY_RESTART = (
    "⚠️ I was restarted while answering your last message, so my reply above may be"
    " incomplete. Your message is saved; send it again if you still need an answer."
)
RESUMING = "⚠️ I was restarted while answering your last message. Here is my answer:"
FAILED_NOTICE = "⚠️ {reason} Your message is saved; please try again in a moment."
OUR_FAULT = "Something went wrong on our side."
CUT_NOTICES = {
    "length": "⚠️ My answer was cut off because it got too long. Ask me to go on, or to be brief.",
    "content_filter": (
        "⚠️ My answer was stopped by a content filter. Please put your question another way,"
        " or ask for a person."
    ),
}
EMPTY_ANSWER = "Sorry, I have no answer to that. Could you say it another way?"
NOT_YOURS = (
    "This is someone else's private support conversation, so I can't answer you here."
    " To get help, write in the support channel and I'll open a conversation for you."
)
EMPTY_MESSAGE_REPLY = "I can read text and images (like a photo of your receipt). How can I help?"
OVER_DAILY_BUDGET = (
    "I've answered as much as I can for you today. A person from our support team can take"
    " it from here: say **person** and I'll hand this conversation to them."
)
HANDED_OFF = "A person from our support team will follow up here (ticket #{ticket})."
ALREADY_WITH_STAFF = (
    "Ticket #{ticket} is already with our support team; a person will follow up here."
)


def too_long_text(length: int, limit: int) -> str:
    """The reply to a message over the length limit."""
    return (
        f"That message is {length:,} characters long; I can read up to {limit:,}."
        " Please shorten it or send it in a few parts."
    )
