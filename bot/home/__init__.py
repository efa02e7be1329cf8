"""App Home: each person's own queue of deploy requests, published to their Home tab."""
