"""A PlanetScale API stand-in that follows the published spec: an in-memory `World` served over real HTTP.

world = World()                      # ManualClock: nothing moves until world.advance(seconds)
seed_demo(world)                     # org "acme", databases "shop" and "analytics", users, deploy requests
token = world.issue_access_token(user_id, ["user:read_user", ...])
app = create_planetscale_api(world)  # Starlette; serve it and use base URL http://host:port/v1
"""

from bot.sandbox.planetscale.api import create_planetscale_api
from bot.sandbox.planetscale.clock import Clock, ManualClock, RunningClock
from bot.sandbox.planetscale.faults import FaultRule, Faults, RequestRecord, ResponseMutator
from bot.sandbox.planetscale.scopes import ALL_SCOPES, BOT_SCOPES
from bot.sandbox.planetscale.seed import SEED_SPAN_SECONDS, DemoWorld, demo_world, seed_demo
from bot.sandbox.planetscale.world import DeployTimings, PlanetScaleError, World

__all__ = [
    "ALL_SCOPES",
    "BOT_SCOPES",
    "SEED_SPAN_SECONDS",
    "Clock",
    "DemoWorld",
    "DeployTimings",
    "FaultRule",
    "Faults",
    "ManualClock",
    "PlanetScaleError",
    "RequestRecord",
    "ResponseMutator",
    "RunningClock",
    "World",
    "create_planetscale_api",
    "demo_world",
    "seed_demo",
]
