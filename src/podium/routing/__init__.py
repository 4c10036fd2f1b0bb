"""Which agent and model an attempt uses, and what it costs."""
