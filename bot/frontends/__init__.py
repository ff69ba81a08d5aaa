"""Ways to talk to the engine: Discord and the terminal."""
