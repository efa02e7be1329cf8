"""Live deploy-request cards: a channel message per deploy request that acts on clicks and updates in place."""
