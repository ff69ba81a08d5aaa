"""The model boundary: the only package that imports openai."""
