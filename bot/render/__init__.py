"""Pure renderers: view models in, Slack messages out. Nothing here does I/O."""
