"""The demo store: seeds every package's data, so (like the factory) it may import any of them."""
