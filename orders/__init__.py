"""Orders: cart, checkout, payments and payouts (built in a later step)."""
