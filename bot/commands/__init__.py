"""The `/pscale` command set: its catalog, its grammar and the dispatcher that routes parsed commands to handlers."""
