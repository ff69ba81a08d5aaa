"""The Discord frontend: threads, streamed replies and the staff channel."""
