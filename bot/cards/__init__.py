"""Live deploy-request cards: a channel message (or a link's unfurl) per deploy request that acts on clicks and
updates in place.

- `states`: which buttons each deploy-request state offers, and how often a card in it is read again.
- `view`: reading a deploy request from PlanetScale into the view model `bot/render/card.py` draws.
- `store`: cards and their click claims in SQLite.
- `updates`: the one paced `chat.update` / `chat.unfurl` budget all cards share.
- `service`: posting, unfurling, clicks exactly once with the clicker's grant, and keeping cards current.
"""
