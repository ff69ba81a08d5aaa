"""AI customer-support bot for a food-delivery Discord server."""
