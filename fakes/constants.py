"""Names and keys the fakes are started with, shared by the tests and the benchmarks."""

CHAT_MODEL = "grok-test"
VISION_MODEL = "grok-vision-test"
API_KEY = "xai-test-key-0123456789"
