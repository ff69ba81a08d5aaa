"""The food-delivery support domain: system prompt, tickets, receipts and conversations."""
