"""`python -m bench`: the real bot under load, against loopback fakes enforcing Discord's limits."""
