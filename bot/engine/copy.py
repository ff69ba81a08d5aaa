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
RETRYING_NOTICE = "⚠️ {reason} Trying again…"
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
OUT_OF_HOURS = "Our team is away right now; a person will see this from {when}."
ALREADY_WITH_STAFF = (
    "Ticket #{ticket} is already with our support team; a person will follow up here."
)


def too_long_text(length: int, limit: int) -> str:
    """The reply to a message over the length limit."""
    return (
        f"That message is {length:,} characters long; I can read up to {limit:,}."
        " Please shorten it or send it in a few parts."
    )


# ---------------------------------------------------------------- the frontends' sentences

SOMETHING_WENT_WRONG = "Sorry, something went wrong on our side. Please try again."
INTERRUPTED_NOTICE = "*(My reply was interrupted. Please send your message again.)*"

# Opening a conversation (Discord)
THREAD_NAME = "Support · {name}"
CARRIED_WORDS = "**{name}** wrote:"
# Said under the customer's carried words when the public original is removed: one message
# instead of two, since every request counts against Discord's limits when many open at once.
MOVED_HERE = (
    "-# 🔒 Moved here from the support channel: only you and our support team can see this"
    " conversation."
)
# The customer's thread is slow to open (Discord's cooldown on thread creation can last
# minutes): a reply to their message in the support channel, which pings nobody.
OPENING_NOW = (
    "Your private conversation is being opened, it takes a moment. Your message is kept, and"
    " anything you add here joins it; you'll be answered there."
)
# The panel's form, answered at once while the thread is not open yet (the link follows).
OPENING_FOR_YOU = "I'm opening a private conversation for you: its link follows here in a moment."
NO_THREAD = "Sorry, I can't open a conversation right now. Please try again in a moment."
OPENED_FOR_YOU = "I've opened a private conversation for you: {thread}"

# While an answer is delayed (the customer's pace, a free model slot): posted once the wait
# lasts a few seconds, then replaced by the answer itself.
HOLDING = "⏳ Got it, thanks. I'll answer here in a moment."
# A customer with a conversation under way writes in the support channel again: their words
# join that conversation, and they are pointed to it.
JOINED_THREAD = "{mention}, your conversation continues here: {thread}. I've added your message."
# Too many conversations opening at once in the server: this one opens in a moment.
OPENING_SOON = (
    "{mention}, many conversations are opening right now. Yours opens in a moment: your"
    " message is kept and you'll be answered there."
)

# The "Get help" panel and its form (Discord)
PANEL_TEXT = (
    "**Need help with an order?** Press the button and tell us what happened. We'll open a"
    " private conversation that only you and our support team can see. You can also just"
    " write in this channel."
)
GET_HELP = "Get help"  # the panel's button and the form's title
FORM_PROBLEM = "What went wrong?"
FORM_ORDER = "Order number"
FORM_ORDER_HINT = "If you have it"
FORM_PHOTOS = "Receipt photos"
FORM_PHOTOS_HINT = "Optional: a photo of your receipt helps us check your order"
ORDER_LINE = "Order number: {order}"

# Commands in the customer's thread (Discord)
NOT_A_THREAD = "Use this in your support thread (write in the support channel to open one)."
NOT_YOUR_COMMAND = "Only the customer of this conversation (or our staff) can use this here."
NO_TICKET_YET = "There is no ticket in this conversation yet. Use /human to reach a person."
TICKET_LINE = "Ticket #{ticket}: {status} — {issue}"
STAFF_ONLY = "Only support staff can work tickets."
TICKET_CLAIMED = (
    "👋 {staff} from our support team has picked up ticket #{ticket} and will help you here"
    " from now on."
)
TICKET_RESOLVED = (
    "✅ Ticket #{ticket} is resolved. If there is anything else, just write here: I'm back to help."
)

# The terminal chat
CONSOLE_WELCOME = (
    "Conversation '{name}' ({status}). Type 'exit' to quit; '/attach PATH text' sends an image."
)
CONSOLE_NEW = "new"
CONSOLE_RESUMED = "resumed, {earlier} earlier message(s)"
CONSOLE_CANNOT_ATTACH = "Cannot attach {path}: {reason}"
CONSOLE_BYE = "Bye."

# Actions: the customer confirms what changes things (the company's API, ACTIONS_SPEC)
CONFIRM_PROMPT = (
    "Before I do this, please confirm:\n**{title}**\n{details}\nPress **Confirm** to go ahead or"
    " **Cancel** to leave it (within {minutes} minutes)."
)
CONFIRM_DETAIL = "• {label}: {value}"
CONFIRM = "Confirm"
CANCEL = "Cancel"
CONFIRMED_NOTE = "✅ Confirmed: {title}."
CANCELLED_NOTE = "✖️ Cancelled: {title}. Nothing was done."
EXPIRED_NOTE = "⌛ No answer within {minutes} minutes: {title} was not done."
NOT_YOUR_CONFIRMATION = "Only the customer of this conversation can answer this."
ALREADY_ANSWERED = "This was already answered."
CONSOLE_CONFIRM = "Confirm: {title}\n{details}\nGo ahead? [y/N] "

# ---------------------------------------------------------------- ratings and the person button

RATING_QUESTION = "How did we do? Rate this conversation from 1 (poor) to 5 (great)."
RATING_THANKS = "Thank you for rating us {rating}/5!"
RATING_COMMENT_THANKS = "Thank you, your comment is saved."
RATING_COMMENT_TITLE = "Anything you'd like to add?"
RATING_COMMENT_LABEL = "Your comment (optional)"
NOT_YOUR_RATING = "Only the customer of this conversation can rate it."
RATING_GONE = "This rating is no longer available."
TALK_TO_PERSON = "Talk to a person"
NOT_YOUR_BUTTON = "Only the customer of this conversation can use this button."
