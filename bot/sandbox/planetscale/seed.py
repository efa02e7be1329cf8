"""A believable PlanetScale account for the sandbox and for tests.

Organization `acme` (admins Alice and Bob, member Carol) with databases `shop` (admin approval required) and
`analytics`; Dave belongs only to `globex`. The seed replays an hour of history through the world's own rules, so
every deploy request reached its state the way a real one would:

shop:      #1 add-orders-index (Carol) ready, awaiting approval · #2 add-loyalty-points (Alice) deployed and complete
           · #3 drop-legacy-coupons (Bob) approved, ready to deploy · #4 add-json-settings (Carol) failed lint checks
           · #5 add-reviews-table (Alice) closed. The branch add-wishlist (Alice) has a schema change and no deploy
           request yet.
analytics: #1 add-sessions-index (Carol) deployed and complete · #2 events-rollup (Bob) gated, pending cutover ·
           #3 add-events-name-index (Alice) queued behind #2

Nothing holds shop's deploy queue: the sandbox's headline demo (approve and deploy shop #1, or a deploy request
opened from add-wishlist) starts deploying at once, with no other deploy request to clear out of the way first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.planetscale.clock import RunningClock
from bot.sandbox.planetscale.world import DeployTimings, User, World

SEED_SPAN_SECONDS = 3600.0
"""How far `seed_demo` advances the clock. `demo_world` starts its running clock this far back, so the seeded
history ends at the present."""

SHOP_TABLES = {
    "users": "CREATE TABLE `users` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `email` varchar(255) NOT NULL,\n"
    "  `created_at` datetime NOT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `email` (`email`)\n) ENGINE=InnoDB",
    "orders": "CREATE TABLE `orders` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `user_id` bigint NOT NULL,\n"
    "  `total_cents` int NOT NULL,\n  `created_at` datetime NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB",
    "coupons_legacy": "CREATE TABLE `coupons_legacy` (\n  `code` varchar(32) NOT NULL,\n  PRIMARY KEY (`code`)\n"
    ") ENGINE=InnoDB",
}
ANALYTICS_TABLES = {
    "events": "CREATE TABLE `events` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `name` varchar(64) NOT NULL,\n"
    "  `occurred_at` datetime NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB",
    "sessions": "CREATE TABLE `sessions` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `user_id` bigint NOT NULL,\n"
    "  `started_at` datetime NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB",
}


@dataclass(frozen=True)
class DemoWorld:
    """Handles to the seeded people, for tests and the sandbox's sign-in."""

    organization: str
    admin: User  # Alice
    second_admin: User  # Bob
    member: User  # Carol
    outsider: User  # Dave, a member of `globex` only


def seed_demo(world: World) -> DemoWorld:
    """Populate an empty world; advances its clock by `SEED_SPAN_SECONDS`."""
    with world.lock:
        end = world.now() + SEED_SPAN_SECONDS
        alice = world.add_user("alice", display_name="Alice Admin", email="alice@acme.example.com")
        bob = world.add_user("bob", display_name="Bob Builder", email="bob@acme.example.com")
        carol = world.add_user("carol", display_name="Carol Member", email="carol@acme.example.com")
        dave = world.add_user("dave", display_name="Dave Outsider", email="dave@globex.example.com")
        world.add_organization("acme", admins=[alice.id, bob.id], members=[carol.id])
        globex = world.add_organization("globex", admins=[dave.id])
        world.add_database(globex.name, "inventory")

        world.add_database("acme", "shop", require_approval_for_deploy=True, tables=SHOP_TABLES)
        world.add_database("acme", "analytics", tables=ANALYTICS_TABLES)
        _seed_branches(world, alice=alice, bob=bob, carol=carol)
        world.create_password("acme", "shop", "main", actor_id=alice.id, name="app-reader", role="reader", ttl=None)

        _seed_deploys(world, alice=alice, bob=bob, carol=carol, end=end)
        return DemoWorld(organization="acme", admin=alice, second_admin=bob, member=carol, outsider=dave)


def demo_world(*, timings: DeployTimings | None = None) -> tuple[World, DemoWorld]:
    """A seeded world on a running clock whose seeded history ends now: what `pscale-bot sandbox` serves."""
    world = World(clock=RunningClock(offset=-SEED_SPAN_SECONDS), timings=timings)
    return world, seed_demo(world)


def _seed_branches(world: World, *, alice: User, bob: User, carol: User) -> None:
    branches = [
        (
            "shop",
            "add-orders-index",
            carol,
            "orders",
            "ALTER TABLE `orders` ADD INDEX `idx_user_created` (`user_id`, `created_at`)",
            SHOP_TABLES["orders"].replace(
                "PRIMARY KEY (`id`)", "PRIMARY KEY (`id`),\n  KEY `idx_user_created` (`user_id`, `created_at`)"
            ),
        ),
        (
            "shop",
            "add-loyalty-points",
            alice,
            "loyalty_points",
            "CREATE TABLE `loyalty_points` (`user_id` bigint NOT NULL, `points` int NOT NULL, PRIMARY KEY (`user_id`))",
            "CREATE TABLE `loyalty_points` (\n  `user_id` bigint NOT NULL,\n  `points` int NOT NULL,\n"
            "  PRIMARY KEY (`user_id`)\n) ENGINE=InnoDB",
        ),
        ("shop", "drop-legacy-coupons", bob, "coupons_legacy", "DROP TABLE `coupons_legacy`", None),
        (
            "shop",
            "add-wishlist",
            alice,
            "wishlist_items",
            "CREATE TABLE `wishlist_items` (`user_id` bigint NOT NULL, `product_id` bigint NOT NULL, "
            "PRIMARY KEY (`user_id`, `product_id`))",
            "CREATE TABLE `wishlist_items` (\n  `user_id` bigint NOT NULL,\n  `product_id` bigint NOT NULL,\n"
            "  PRIMARY KEY (`user_id`, `product_id`)\n) ENGINE=InnoDB",
        ),
        (
            "shop",
            "add-json-settings",
            carol,
            "users",
            "ALTER TABLE `users` ADD COLUMN `settings` json",
            SHOP_TABLES["users"].replace("  `created_at`", "  `settings` json,\n  `created_at`"),
        ),
        (
            "shop",
            "add-reviews-table",
            alice,
            "reviews",
            "CREATE TABLE `reviews` (`id` bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`))",
            "CREATE TABLE `reviews` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB",
        ),
        (
            "analytics",
            "add-sessions-index",
            carol,
            "sessions",
            "ALTER TABLE `sessions` ADD INDEX `idx_user` (`user_id`)",
            ANALYTICS_TABLES["sessions"].replace(
                "PRIMARY KEY (`id`)", "PRIMARY KEY (`id`),\n  KEY `idx_user` (`user_id`)"
            ),
        ),
        (
            "analytics",
            "events-rollup",
            bob,
            "events_daily",
            "CREATE TABLE `events_daily` (`day` date NOT NULL, `name` varchar(64) NOT NULL, `count` bigint NOT NULL, "
            "PRIMARY KEY (`day`, `name`))",
            "CREATE TABLE `events_daily` (\n  `day` date NOT NULL,\n  `name` varchar(64) NOT NULL,\n"
            "  `count` bigint NOT NULL,\n  PRIMARY KEY (`day`, `name`)\n) ENGINE=InnoDB",
        ),
        (
            "analytics",
            "add-events-name-index",
            alice,
            "events",
            "ALTER TABLE `events` ADD INDEX `idx_name` (`name`)",
            ANALYTICS_TABLES["events"].replace("PRIMARY KEY (`id`)", "PRIMARY KEY (`id`),\n  KEY `idx_name` (`name`)"),
        ),
    ]
    for database, name, author, table, ddl, create_sql in branches:
        world.create_branch("acme", database, name=name, actor_id=author.id)
        world.change_schema("acme", database, name, table=table, ddl=ddl, create_sql=create_sql)
    world.create_branch("acme", "shop", name="carol-scratch", actor_id=carol.id)
    world.add_lint_error(
        "acme",
        "shop",
        "add-json-settings",
        table="users",
        column="settings",
        lint_error="INVALID_COLUMN_TYPE",
        description="Column `settings` uses a JSON type without a default the safe-migration check accepts.",
    )


def _seed_deploys(world: World, *, alice: User, bob: User, carol: User, end: float) -> None:
    timings = world.timings
    run_through = timings.submit_seconds + timings.run_seconds + timings.cutover_seconds + timings.vschema_seconds + 1

    world.create_deploy_request(
        "acme", "shop", actor_id=carol.id, branch="add-orders-index", notes="Speeds up the order history page."
    )
    loyalty = world.create_deploy_request(
        "acme", "shop", actor_id=alice.id, branch="add-loyalty-points", notes="Loyalty programme, phase 1."
    )
    coupons = world.create_deploy_request(
        "acme", "shop", actor_id=bob.id, branch="drop-legacy-coupons", notes="The legacy coupon codes expired in 2024."
    )
    world.create_deploy_request("acme", "shop", actor_id=carol.id, branch="add-json-settings")
    reviews = world.create_deploy_request("acme", "shop", actor_id=alice.id, branch="add-reviews-table")
    world.review_deploy_request(
        "acme",
        "shop",
        reviews.number,
        actor_id=bob.id,
        state="commented",
        body="Do we still need this after the redesign?",
    )
    world.close("acme", "shop", reviews.number, actor_id=alice.id)
    world.review_deploy_request("acme", "shop", loyalty.number, actor_id=bob.id, state="approved", body="LGTM")
    world.review_deploy_request("acme", "shop", coupons.number, actor_id=alice.id, state="approved")

    sessions = world.create_deploy_request("acme", "analytics", actor_id=carol.id, branch="add-sessions-index")
    rollup = world.create_deploy_request(
        "acme",
        "analytics",
        actor_id=bob.id,
        branch="events-rollup",
        auto_cutover=False,
        notes="Gated: cut over after the nightly batch.",
    )
    # With auto-apply on: left to itself it would inherit the gated setting of the deploy request before it.
    names = world.create_deploy_request(
        "acme", "analytics", actor_id=alice.id, branch="add-events-name-index", notes="For the event-name filter.",
        auto_cutover=True,
    )

    # Early in the hour, so that its revert window has closed by itself well before the end: shop's queue is free.
    world.advance(end - SEED_SPAN_SECONDS * 3 / 4 - world.now())
    world.deploy("acme", "shop", loyalty.number, actor_id=alice.id)
    # The rest happens in the last minute.
    world.advance(end - 60 - world.now())
    world.deploy("acme", "analytics", sessions.number, actor_id=carol.id)
    world.advance(run_through)
    world.skip_revert("acme", "analytics", sessions.number, actor_id=carol.id)
    world.deploy("acme", "analytics", rollup.number, actor_id=bob.id)
    world.advance(run_through)
    world.deploy("acme", "analytics", names.number, actor_id=alice.id)  # queued behind the gated rollup
    world.advance(max(0.0, end - world.now()))
