"""Live deploy-request cards: a channel message (or a link's unfurl) per deploy request that acts on clicks and
updates in place.

- `store`: cards (each with the deploy request as last read, a `Snapshot`) and their click claims in SQLite.
- `updates`: the one paced `chat.update` / `chat.unfurl` budget all cards share.
- `service`: posting, unfurling, clicks exactly once with the clicker's grant, and keeping cards current.

What each state allows and how often it is read again is the domain's (bot/deploy_requests/); the drawing, its
words and its buttons' ids are the renderer's (bot/render/card.py).
"""
