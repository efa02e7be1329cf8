"""The sandbox's emulator page: a Slack-like channel in the browser that drives the bot over real HTTP."""

from bot.sandbox.emulator.routes import WelcomeStep, create_emulator_routes

__all__ = ["WelcomeStep", "create_emulator_routes"]
