"""Names and keys the fakes are started with, shared by the tests and the benchmarks."""

CHAT_MODEL = "grok-test"
VISION_MODEL = "grok-vision-test"
API_KEY = "xai-test-key-0123456789"

# A receipt as the vision model reads it: the tests' scripted answer and the docs' picture.
SAMPLE_RECEIPT = {
    "date": "2024-05-03",
    "items": [
        {"name": "Margherita pizza", "quantity": 2, "price_in_cents": 850},
        {"name": "Tiramisu", "quantity": 1, "price_in_cents": 549},
        {"name": "Cola", "quantity": 1, "price_in_cents": 275},
        {"name": "Delivery fee", "quantity": 1, "price_in_cents": 200},
    ],
    "currency": "EUR",
    "total_in_cents": 2724,
}
