"""Direct messages about deploy requests: each person's settings, and each event sent once per person."""
