"""helpcenter."""
