"""Deploy requests, the domain: what PlanetScale's states mean for the bot, apart from any Slack drawing.

- `actions`: the changes a person can make to a deploy request, and the one PlanetScale call each makes.
- `lifecycle`: what each state allows, how soon it can change, what an open request waits for, the revert window.
- `summary`: the records cards, commands and digests work from, read from PlanetScale's models in one place.

Cards, commands and digests build on these; the renderers put them in words (state labels, button ids, past tense).
"""
