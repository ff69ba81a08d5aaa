"""Cogs of the support bot."""
