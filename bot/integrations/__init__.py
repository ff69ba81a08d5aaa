"""The company's other systems that tickets reach: signed webhooks."""
