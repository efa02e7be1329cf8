"""Every `/pscale` command, declared once: its words, arguments, flags, help text and behaviour attributes.

The grammar parses against these specs and the help renderer prints them, so the usage line a user sees in an
error, in `/pscale help` and in the README all come from the same declaration (docs/interface.md §4).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

# Aliases as in the pscale CLI. Group aliases apply to the first word, subcommand aliases to the second.
GROUP_ALIASES: dict[str, str] = {"dr": "deploy-request", "db": "database", "b": "branch", "p": "password"}
SUBCOMMAND_ALIASES: dict[str, str] = {"ls": "list", "rm": "delete"}


class Area(Enum):
    """Sections of the help overview, in display order."""

    START = "Getting started"
    ORGANIZATIONS = "Organizations and databases"
    BRANCHES = "Branches"
    DEPLOY_REQUESTS = "Deploy requests"
    PASSWORDS = "Passwords"
    CHANNEL = "Digests, notifications and audit"


class ParamKind(Enum):
    """What a positional argument holds; the value is the noun used in error messages."""

    DATABASE = "database name"
    BRANCH = "branch name"
    ORG = "organization name"
    NUMBER = "deploy request number"
    NUMBER_OR_BRANCH = "deploy request number or branch name"
    CREDENTIAL_NAME = "password name"
    CREDENTIAL_ID = "password ID"
    ON_OR_OFF = "on or off"
    NOTIFICATION_TOPIC = "mine or reviews"


class FlagKind(Enum):
    """What a flag takes: nothing (a switch) or a value of some shape."""

    SWITCH = "switch"
    TEXT = "text"
    BRANCH = "branch name"
    ORG = "organization name"
    CHOICE = "choice"
    DURATION = "duration"
    TIME_OF_DAY = "time of day"
    TIME_ZONE = "time zone"
    PAGE = "page number"


@dataclass(frozen=True)
class Param:
    """A positional argument. `name` is the key handlers read it by; `metavar` is how usage lines show it."""

    name: str
    kind: ParamKind
    metavar: str
    optional: bool = False

    @property
    def synopsis(self) -> str:
        return f"[{self.metavar}]" if self.optional else self.metavar


@dataclass(frozen=True)
class Flag:
    """A `--flag` or `--flag VALUE`. `name` is spelled without the dashes and is the key handlers read it by."""

    name: str
    kind: FlagKind
    description: str
    metavar: str = ""
    choices: tuple[str, ...] = ()
    # A default is applied by the grammar, so handlers never repeat it and help can show it.
    default: str | None = None

    @property
    def spelling(self) -> str:
        return f"--{self.name}"

    @property
    def takes_value(self) -> bool:
        return self.kind is not FlagKind.SWITCH

    @property
    def synopsis(self) -> str:
        if not self.takes_value:
            return self.spelling
        shown = "|".join(self.choices) if self.choices else self.metavar
        return f"{self.spelling} {shown}"


@dataclass(frozen=True)
class AtLeastOne:
    """At least one of these parameters or flags must be given."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class AtMostOne:
    """At most one of these parameters or flags may be given."""

    names: tuple[str, ...]


Rule = AtLeastOne | AtMostOne

ORG_FLAG = Flag(
    "org",
    FlagKind.ORG,
    "Use this PlanetScale organization instead of your default one (see `org switch`).",
    metavar="ORG",
)


# Commands that change PlanetScale, or what the bot does for a database; each run is written to the audit log.
AUDITED_COMMANDS = frozenset(
    {
        "branch create",
        "branch delete",
        "deploy-request create",
        "deploy-request review",
        "deploy-request deploy",
        "deploy-request apply",
        "deploy-request cancel",
        "deploy-request close",
        "deploy-request revert",
        "deploy-request skip-revert",
        "deploy-request unblock",
        "deploy-request edit",
        "deploy-request force-cutover",
        "password create",
        "password delete",
        "digest subscribe",
        "digest unsubscribe",
        "watch",
        "unwatch",
    }
)


@dataclass(frozen=True)
class CommandSpec:
    """One command of the grammar."""

    words: tuple[str, ...]
    area: Area
    summary: str
    description: str
    examples: tuple[str, ...]
    params: tuple[Param, ...] = ()
    flags: tuple[Flag, ...] = ()
    rules: tuple[Rule, ...] = ()
    destructive: bool = False
    posts_to_channel: bool = False
    accepts_org: bool = True
    # Set for commands that open a modal (this callback_id) when given no positional arguments at all.
    modal_callback_id: str | None = None
    # A shorthand (`deploy-request approve`) parses into the command it abbreviates, with these switches set.
    shorthand_for: tuple[str, ...] | None = None
    implied_switches: tuple[str, ...] = ()
    # Replaces the generated synopsis where one line cannot say it (`channel db DB` / `channel db --clear`).
    synopsis_override: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The canonical command name, e.g. `deploy-request review`; handlers are registered under it."""
        return " ".join(self.words)

    @property
    def group(self) -> str:
        return self.words[0]

    @property
    def audited(self) -> bool:
        return self.key in AUDITED_COMMANDS

    @property
    def all_flags(self) -> tuple[Flag, ...]:
        return (*self.flags, ORG_FLAG) if self.accepts_org else self.flags

    @property
    def required_count(self) -> int:
        return sum(1 for param in self.params if not param.optional)

    @property
    def uses_default_database(self) -> bool:
        """Whether a channel's default database may stand in for a missing first argument."""
        return bool(self.params) and self.params[0].kind is ParamKind.DATABASE and not self.params[0].optional

    def find_flag(self, name: str) -> Flag | None:
        return next((flag for flag in self.all_flags if flag.name == name), None)

    def find_param(self, name: str) -> Param | None:
        return next((param for param in self.params if param.name == name), None)

    def display_name(self, name: str) -> str:
        """How a parameter or flag named in a rule is shown to users: `DB` or `--clear`."""
        param = self.find_param(name)
        if param is not None:
            return param.metavar
        flag = self.find_flag(name)
        return flag.spelling if flag is not None else name

    def synopses(self) -> tuple[str, ...]:
        """The command lines without the `Usage: /pscale` prefix, e.g. `branch create DB BRANCH [--from PARENT]`."""
        if self.synopsis_override:
            return self.synopsis_override
        parts = [self.key, *(param.synopsis for param in self.params)]
        shown: set[str] = set()
        for flag in self.flags:
            if flag.name in shown:
                continue
            exclusive = self._exclusive_switches(flag.name)
            shown.update(exclusive)
            if not exclusive:
                parts.append(f"[{flag.synopsis}]")
                continue
            choice = "|".join(f"--{name}" for name in exclusive)
            # One of them is required when another rule asks for at least one: no brackets then.
            required = any(isinstance(rule, AtLeastOne) and set(rule.names) == set(exclusive) for rule in self.rules)
            parts.append(choice if required else f"[{choice}]")
        return (" ".join(parts),)

    def usage_lines(self) -> tuple[str, ...]:
        return tuple(f"Usage: /pscale {synopsis}" for synopsis in self.synopses())

    def _exclusive_switches(self, name: str) -> tuple[str, ...]:
        """The switches shown together as `[--a|--b]` because they exclude each other."""
        for rule in self.rules:
            if isinstance(rule, AtMostOne) and name in rule.names:
                flags = [self.find_flag(member) for member in rule.names]
                if all(flag is not None and not flag.takes_value for flag in flags):
                    return rule.names
        return ()


# --- Lookup results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    spec: CommandSpec
    consumed: int


@dataclass(frozen=True)
class GroupOnly:
    """A group word (`branch`) with no subcommand after it."""

    group: str
    commands: tuple[CommandSpec, ...]


@dataclass(frozen=True)
class NotFound:
    """The words name no command. `group` is set when the first word was a known group."""

    words: tuple[str, ...]
    group: str | None
    suggestions: tuple[str, ...]


Lookup = Found | GroupOnly | NotFound


class Catalog:
    """The commands, looked up by their (possibly aliased, any-case) words."""

    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self._specs = tuple(specs)
        self._by_key = {spec.key: spec for spec in self._specs}
        if len(self._by_key) != len(self._specs):
            raise ValueError("two command specs share a key")
        self._groups: dict[str, tuple[CommandSpec, ...]] = {}
        for spec in self._specs:
            self._groups[spec.group] = (*self._groups.get(spec.group, ()), spec)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs)

    def get(self, key: str) -> CommandSpec:
        return self._by_key[key]

    def in_group(self, group: str) -> tuple[CommandSpec, ...]:
        return self._groups.get(group, ())

    def by_area(self) -> tuple[tuple[Area, tuple[CommandSpec, ...]], ...]:
        return tuple(
            (area, members) for area in Area if (members := tuple(spec for spec in self._specs if spec.area is area))
        )

    def lookup(self, words: Sequence[str]) -> Lookup:
        """Match the leading words against the commands, longest match first, aliases and any case accepted."""
        if not words:
            return NotFound(words=(), group=None, suggestions=())
        first = words[0].lower()
        group = GROUP_ALIASES.get(first, first)
        members = self._groups.get(group)
        if members is None:
            return NotFound(words=(words[0],), group=None, suggestions=self._suggest_top(words))
        single = self._by_key.get(group)
        if single is not None and len(single.words) == 1:
            return Found(single, consumed=1)
        if len(words) < 2:
            return GroupOnly(group, members)
        second = words[1].lower()
        sub = SUBCOMMAND_ALIASES.get(second, second)
        spec = self._by_key.get(f"{group} {sub}")
        if spec is not None:
            return Found(spec, consumed=2)
        return NotFound(words=(words[0], words[1]), group=group, suggestions=self._suggest_in_group(group, second))

    def _suggest_in_group(self, group: str, word: str) -> tuple[str, ...]:
        subwords = [spec.words[1] for spec in self.in_group(group)]
        candidates = subwords + [alias for alias, target in SUBCOMMAND_ALIASES.items() if target in subwords]
        matches = difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)
        return _unique(f"{group} {SUBCOMMAND_ALIASES.get(match, match)}" for match in matches)

    def _suggest_top(self, words: Sequence[str]) -> tuple[str, ...]:
        first = words[0].lower()
        candidates = list(self._groups) + list(GROUP_ALIASES)
        suggestions: list[str] = []
        for match in difflib.get_close_matches(first, candidates, n=3, cutoff=0.7):
            group = GROUP_ALIASES.get(match, match)
            retry = self.lookup([group, *words[1:2]])
            suggestions.append(retry.spec.key if isinstance(retry, Found) else group)
        # `/pscale list mydb`: the user left out the group; offer every command with that subcommand word.
        sub = SUBCOMMAND_ALIASES.get(first, first)
        suggestions.extend(spec.key for spec in self._specs if len(spec.words) == 2 and spec.words[1] == sub)
        return _unique(suggestions)[:4]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --- The commands -----------------------------------------------------------------------------------------------

_DB = Param("database", ParamKind.DATABASE, "DB")
_BRANCH = Param("branch", ParamKind.BRANCH, "BRANCH")
_NUMBER = Param("number", ParamKind.NUMBER, "NUMBER")
_NUMBER_OR_BRANCH = Param("number", ParamKind.NUMBER_OR_BRANCH, "NUMBER|BRANCH")
_COMMENT = Flag("comment", FlagKind.TEXT, "A review comment (quote text with spaces).", metavar="TEXT")
_ENABLE_AUTO_APPLY = Flag("enable-auto-apply", FlagKind.SWITCH, "Apply the changes as soon as the deployment is ready.")
_DISABLE_AUTO_APPLY = Flag("disable-auto-apply", FlagKind.SWITCH, "Wait for someone to apply the deployed changes.")
_AUTO_APPLY_FLAGS = ("enable-auto-apply", "disable-auto-apply")


def _deploy_request_action(
    word: str, summary: str, description: str, *, destructive: bool = False, posts_to_channel: bool = False
) -> CommandSpec:
    """The deploy-request commands that take exactly `DB NUMBER` and differ only in what they do."""
    return CommandSpec(
        words=("deploy-request", word),
        area=Area.DEPLOY_REQUESTS,
        summary=summary,
        description=description,
        examples=(f"/pscale deploy-request {word} app 42",),
        params=(_DB, _NUMBER),
        destructive=destructive,
        posts_to_channel=posts_to_channel,
    )


COMMANDS: tuple[CommandSpec, ...] = (
    # Getting started
    CommandSpec(
        words=("help",),
        area=Area.START,
        summary="List the commands, or explain one.",
        description="Without a command, lists every command. With one, shows its arguments, flags and an example. "
        "Aliases work here too: `/pscale help dr` is the help for `deploy-request`.",
        examples=("/pscale help", "/pscale help branch create"),
        accepts_org=False,
        synopsis_override=("help [COMMAND]",),
    ),
    CommandSpec(
        words=("login",),
        area=Area.START,
        summary="Link your Slack account to your PlanetScale account.",
        description="Sends you a private link to sign in to PlanetScale. Once linked, every command and button runs "
        "with your own PlanetScale permissions, never anyone else's.",
        examples=("/pscale login",),
        accepts_org=False,
    ),
    CommandSpec(
        words=("logout",),
        area=Area.START,
        summary="Unlink your PlanetScale account.",
        description="Revokes the PlanetScale tokens this bot holds for you and deletes them. Use `login` to link "
        "again.",
        examples=("/pscale logout",),
        accepts_org=False,
    ),
    CommandSpec(
        words=("whoami",),
        area=Area.START,
        summary="Show which PlanetScale account you are linked to.",
        description="Shows the PlanetScale user you linked, and the organization your commands use by default.",
        examples=("/pscale whoami",),
        accepts_org=False,
    ),
    # Organizations and databases
    CommandSpec(
        words=("org", "list"),
        area=Area.ORGANIZATIONS,
        summary="List the PlanetScale organizations you belong to.",
        description="Lists your organizations and marks the one your commands use by default.",
        examples=("/pscale org list",),
        accepts_org=False,
    ),
    CommandSpec(
        words=("org", "show"),
        area=Area.ORGANIZATIONS,
        summary="Show an organization (by default, your current one).",
        description="Shows an organization's details. Without ORG, shows the organization your commands use.",
        examples=("/pscale org show", "/pscale org show acme"),
        params=(Param("org", ParamKind.ORG, "ORG", optional=True),),
        accepts_org=False,
    ),
    CommandSpec(
        words=("org", "switch"),
        area=Area.ORGANIZATIONS,
        summary="Choose the organization your commands use by default.",
        description="Sets your default organization. Any command can still name another one with `--org ORG`.",
        examples=("/pscale org switch acme",),
        params=(Param("org", ParamKind.ORG, "ORG"),),
        accepts_org=False,
    ),
    CommandSpec(
        words=("database", "list"),
        area=Area.ORGANIZATIONS,
        summary="List the databases of the organization.",
        description="Lists the databases you can see in the organization, with their state and region.",
        examples=("/pscale database list", "/pscale db ls --org acme"),
    ),
    CommandSpec(
        words=("database", "show"),
        area=Area.ORGANIZATIONS,
        summary="Show a database.",
        description="Shows a database's state, region, default branch and settings.",
        examples=("/pscale database show app",),
        params=(_DB,),
    ),
    CommandSpec(
        words=("channel", "db"),
        area=Area.ORGANIZATIONS,
        summary="Set or clear this channel's default database.",
        description="With a default database, a command in this channel that is one argument short uses it: "
        "`/pscale branch list` works like `/pscale branch list DB`.",
        examples=("/pscale channel db app", "/pscale channel db --clear"),
        params=(Param("database", ParamKind.DATABASE, "DB", optional=True),),
        flags=(Flag("clear", FlagKind.SWITCH, "Remove this channel's default database."),),
        rules=(AtLeastOne(("database", "clear")), AtMostOne(("database", "clear"))),
        synopsis_override=("channel db DB", "channel db --clear"),
    ),
    # Branches
    CommandSpec(
        words=("branch", "list"),
        area=Area.BRANCHES,
        summary="List the branches of a database.",
        description="Lists a database's branches with their parent, whether they are production branches, and age.",
        examples=("/pscale branch list app", "/pscale branch list app --page 2"),
        params=(_DB,),
        flags=(
            Flag(
                "page",
                FlagKind.PAGE,
                "Show this page of the list, 25 branches to a page, oldest first (as `pscale branch list --page`).",
                metavar="N",
            ),
        ),
    ),
    CommandSpec(
        words=("branch", "show"),
        area=Area.BRANCHES,
        summary="Show a branch.",
        description="Shows a branch's parent, region, readiness and when its schema last changed.",
        examples=("/pscale branch show app add-index",),
        params=(_DB, _BRANCH),
    ),
    CommandSpec(
        words=("branch", "create"),
        area=Area.BRANCHES,
        summary="Create a branch.",
        description="Creates a development branch from the database's default branch, or from PARENT. With no "
        "arguments at all, opens a form instead.",
        examples=("/pscale branch create app add-index", "/pscale branch create app hotfix --from staging"),
        params=(_DB, _BRANCH),
        flags=(Flag("from", FlagKind.BRANCH, "The branch to branch off (default: the default branch).", "PARENT"),),
        modal_callback_id="branch_create",
    ),
    CommandSpec(
        words=("branch", "delete"),
        area=Area.BRANCHES,
        summary="Delete a branch (asks for confirmation).",
        description="Deletes a branch and its data. PlanetScale refuses a branch that other branches were made from, "
        "unless `--delete-descendants` deletes them too. You confirm with a button first; only you can press it.",
        examples=("/pscale branch delete app add-index", "/pscale branch delete app old-work --delete-descendants"),
        params=(_DB, _BRANCH),
        flags=(Flag("delete-descendants", FlagKind.SWITCH, "Also delete the branches made from it, and theirs."),),
        destructive=True,
    ),
    # Deploy requests
    CommandSpec(
        words=("deploy-request", "list"),
        area=Area.DEPLOY_REQUESTS,
        summary="List a database's deploy requests.",
        description="Lists deploy requests with number, branch, author, approval and deployment state. "
        "`--state` narrows the list; `--mine` to yours, `--review` to those waiting for your review.",
        examples=("/pscale deploy-request list app", "/pscale dr ls app --state open", "/pscale dr ls app --review"),
        params=(_DB,),
        flags=(
            Flag(
                "state",
                FlagKind.CHOICE,
                "Only deploy requests in this state.",
                choices=("open", "closed", "deployed"),
            ),
            Flag("mine", FlagKind.SWITCH, "Only the deploy requests you opened."),
            Flag("review", FlagKind.SWITCH, "Only the open deploy requests waiting for your review."),
        ),
        rules=(AtMostOne(("mine", "review")),),
    ),
    CommandSpec(
        words=("deploy-request", "show"),
        area=Area.DEPLOY_REQUESTS,
        summary="Show a deploy request, by number or by branch.",
        description="Shows a deploy request's branches, state, approvals and deployment progress. Given a branch "
        "name instead of a number, shows that branch's deploy request.",
        examples=("/pscale deploy-request show app 42", "/pscale dr show app add-index"),
        params=(_DB, _NUMBER_OR_BRANCH),
    ),
    CommandSpec(
        words=("deploy-request", "diff"),
        area=Area.DEPLOY_REQUESTS,
        summary="Show the schema changes of a deploy request.",
        description="Shows the DDL a deploy request would run, table by table.",
        examples=("/pscale deploy-request diff app 42",),
        params=(_DB, _NUMBER),
    ),
    CommandSpec(
        words=("deploy-request", "create"),
        area=Area.DEPLOY_REQUESTS,
        summary="Open a deploy request and post its card here.",
        description="Opens a deploy request from BRANCH into its parent (or `--into BRANCH`) and posts a live card "
        "for it in this channel. With no arguments at all, opens a form instead.",
        examples=(
            '/pscale deploy-request create app add-index --notes "add index on users"',
            "/pscale dr create app add-index --into main --enable-auto-apply",
        ),
        params=(_DB, _BRANCH),
        flags=(
            Flag("into", FlagKind.BRANCH, "The branch to deploy into (default: the parent branch).", "BRANCH"),
            Flag("notes", FlagKind.TEXT, "Notes for reviewers (quote text with spaces).", "TEXT"),
            _ENABLE_AUTO_APPLY,
            _DISABLE_AUTO_APPLY,
            Flag("auto-delete-branch", FlagKind.SWITCH, "Delete the branch once the deploy request is deployed."),
        ),
        rules=(AtMostOne(_AUTO_APPLY_FLAGS),),
        posts_to_channel=True,
        modal_callback_id="dr_create",
    ),
    CommandSpec(
        words=("deploy-request", "edit"),
        area=Area.DEPLOY_REQUESTS,
        summary="Turn a deploy request's auto-apply on or off.",
        description="With auto-apply on, a deployment swaps the new tables in as soon as they are ready; with it off, "
        "it waits for `apply` (a gated deploy). Either can be chosen until the cutover starts. A deploy request "
        "created without either flag has the setting of the one before it.",
        examples=("/pscale deploy-request edit app 42 --disable-auto-apply",),
        params=(_DB, _NUMBER),
        flags=(_ENABLE_AUTO_APPLY, _DISABLE_AUTO_APPLY),
        rules=(AtLeastOne(_AUTO_APPLY_FLAGS), AtMostOne(_AUTO_APPLY_FLAGS)),
    ),
    CommandSpec(
        words=("deploy-request", "review"),
        area=Area.DEPLOY_REQUESTS,
        summary="Approve or comment on a deploy request.",
        description="Approves a deploy request (`--approve`), comments on it (`--comment TEXT`), or both. "
        "At least one of the two is needed.",
        examples=('/pscale deploy-request review app 42 --approve --comment "looks good"',),
        params=(_DB, _NUMBER),
        flags=(Flag("approve", FlagKind.SWITCH, "Approve the deploy request."), _COMMENT),
        rules=(AtLeastOne(("approve", "comment")),),
    ),
    CommandSpec(
        words=("deploy-request", "approve"),
        area=Area.DEPLOY_REQUESTS,
        summary="Approve a deploy request (short for `review --approve`).",
        description="Approves a deploy request, optionally with a comment. The same as "
        "`/pscale deploy-request review DB NUMBER --approve`.",
        examples=("/pscale dr approve app 42",),
        params=(_DB, _NUMBER),
        flags=(_COMMENT,),
        shorthand_for=("deploy-request", "review"),
        implied_switches=("approve",),
    ),
    CommandSpec(
        words=("deploy-request", "deploy"),
        area=Area.DEPLOY_REQUESTS,
        summary="Queue a deploy request for deployment.",
        description="Adds an approved deploy request to the deploy queue. Given a branch name instead of a number, "
        "deploys that branch's open deploy request. `--instant` uses instant DDL where the changes allow it.",
        examples=("/pscale deploy-request deploy app 42", "/pscale dr deploy app add-index --instant"),
        params=(_DB, _NUMBER_OR_BRANCH),
        flags=(Flag("instant", FlagKind.SWITCH, "Deploy with instant DDL, where the changes allow it."),),
    ),
    _deploy_request_action(
        "apply",
        "Apply a deployed deploy request that waits for it.",
        "Applies the changes of a deploy request deployed without auto-apply, which is waiting to be applied.",
    ),
    _deploy_request_action(
        "cancel",
        "Cancel a queued or running deployment.",
        "Cancels the deployment of a deploy request that is queued or in progress. The deploy request stays open.",
    ),
    _deploy_request_action(
        "close",
        "Close a deploy request without deploying it (asks for confirmation).",
        "Closes a deploy request. You confirm with a button first; only you can press it.",
        destructive=True,
    ),
    _deploy_request_action(
        "revert",
        "Revert a deployed deploy request.",
        "Reverts the schema changes of a deploy request while its revert window is open.",
    ),
    _deploy_request_action(
        "skip-revert",
        "Close the revert window of a deployed deploy request.",
        "Gives up the option to revert a deployment, completing it for good.",
    ),
    _deploy_request_action(
        "unblock",
        "Complete a deployment that stopped with an error.",
        "Marks a deployment that ended in an error as complete, so the deploy queue can move on.",
    ),
    _deploy_request_action(
        "force-cutover",
        "Force a cutover that waits for a table lock.",
        "A cutover needs a moment's lock on its tables; while long-running queries hold it, PlanetScale keeps trying "
        "for up to an hour. This ends those queries so the cutover happens now. Only while the deployment is "
        "cutting over.",
    ),
    _deploy_request_action(
        "post",
        "Post a deploy request's live card in this channel.",
        "Posts a card for the deploy request in this channel. The card updates itself as the deploy request "
        "changes and has buttons for the next steps.",
        posts_to_channel=True,
    ),
    CommandSpec(
        words=("queue",),
        area=Area.DEPLOY_REQUESTS,
        summary="Show a database's deploy queue.",
        description="Shows the deploy requests queued for deployment, in order, with their state.",
        examples=("/pscale queue app",),
        params=(_DB,),
    ),
    # Passwords
    CommandSpec(
        words=("password", "list"),
        area=Area.PASSWORDS,
        summary="List the passwords of a database or one of its branches.",
        description="Lists connection passwords with their ID, role, branch and expiry. Never shows a secret.",
        examples=("/pscale password list app", "/pscale password list app main"),
        params=(_DB, Param("branch", ParamKind.BRANCH, "BRANCH", optional=True)),
    ),
    CommandSpec(
        words=("password", "create"),
        area=Area.PASSWORDS,
        summary="Create a connection password (shown only to you, once).",
        description="Creates a password for BRANCH and shows it only to you, once. From Slack it is a `reader` "
        "password that expires after 24 hours unless you say otherwise. `--ttl` takes minutes (`30m`), "
        "hours (`24h`), days (`7d`) or bare seconds (`3600`).",
        examples=(
            "/pscale password create app main ci-reader",
            "/pscale password create app dev me --role writer --ttl 7d",
        ),
        params=(_DB, _BRANCH, Param("name", ParamKind.CREDENTIAL_NAME, "NAME")),
        flags=(
            Flag(
                "role",
                FlagKind.CHOICE,
                "What the password may do.",
                choices=("reader", "writer", "readwriter", "admin"),
                default="reader",
            ),
            Flag("ttl", FlagKind.DURATION, "How long the password lives.", metavar="30m|24h|7d", default="24h"),
        ),
    ),
    CommandSpec(
        words=("password", "delete"),
        area=Area.PASSWORDS,
        summary="Delete a password (asks for confirmation).",
        description="Deletes a password, cutting off every connection that uses it. You confirm with a button "
        "first; only you can press it. `password list` shows the IDs.",
        examples=("/pscale password delete app main a1b2c3d4e5f6",),
        params=(_DB, _BRANCH, Param("password_id", ParamKind.CREDENTIAL_ID, "PASSWORD_ID")),
        destructive=True,
    ),
    # Digests, notifications and audit
    CommandSpec(
        words=("digest", "subscribe"),
        area=Area.CHANNEL,
        summary="Post a daily digest of a database's open deploy requests here.",
        description="Posts the open deploy requests and the deploy queue in this channel, at 09:00 on weekdays in "
        "your Slack time zone unless you choose otherwise. `--daily` includes weekends. Subscribing again "
        "changes the time and zone, and the digest is then read with your access, whoever subscribed before.",
        examples=("/pscale digest subscribe app", "/pscale digest subscribe app --at 08:30 --tz Europe/Paris --daily"),
        params=(_DB,),
        flags=(
            Flag("at", FlagKind.TIME_OF_DAY, "Time of day, 24-hour clock.", metavar="HH:MM"),
            Flag("tz", FlagKind.TIME_ZONE, "Time zone, e.g. Europe/Paris (default: yours in Slack).", "AREA/CITY"),
            Flag("daily", FlagKind.SWITCH, "Post on weekends too."),
        ),
        posts_to_channel=True,
    ),
    CommandSpec(
        words=("digest", "unsubscribe"),
        area=Area.CHANNEL,
        summary="Stop this channel's digest for a database.",
        description="Stops posting the digest of DB in this channel.",
        examples=("/pscale digest unsubscribe app",),
        params=(_DB,),
        posts_to_channel=True,
    ),
    CommandSpec(
        words=("digest", "list"),
        area=Area.CHANNEL,
        summary="List this channel's digests.",
        description="Lists the digests posted in this channel: database, time, zone and who subscribed.",
        examples=("/pscale digest list",),
    ),
    CommandSpec(
        words=("watch",),
        area=Area.CHANNEL,
        summary="Post deploy request events of a database here, as they happen.",
        description="Registers a PlanetScale webhook for DB so that deploy request cards appear and update in this "
        "channel as soon as something happens.",
        examples=("/pscale watch app",),
        params=(_DB,),
        posts_to_channel=True,
    ),
    CommandSpec(
        words=("unwatch",),
        area=Area.CHANNEL,
        summary="Stop posting a database's events here.",
        description="Removes the webhook that `watch` registered for DB in this channel.",
        examples=("/pscale unwatch app",),
        params=(_DB,),
        posts_to_channel=True,
    ),
    CommandSpec(
        words=("notify",),
        area=Area.CHANNEL,
        summary="Direct messages about your deploy requests, or new ones in a database.",
        description="With `mine` (on once you link your account), I tell you in a direct message when your deploy "
        "requests are approved, deployed, fail, leave their revert window, are reverted or closed by someone else. "
        "With `reviews DB`, when a new deploy request in DB waits for review, with Approve and Show diff. With no "
        "arguments, shows what you get. Your App Home lists the same.",
        examples=("/pscale notify", "/pscale notify off mine", "/pscale notify on reviews app"),
        params=(
            Param("state", ParamKind.ON_OR_OFF, "on|off", optional=True),
            Param("topic", ParamKind.NOTIFICATION_TOPIC, "mine|reviews", optional=True),
            Param("database", ParamKind.DATABASE, "DB", optional=True),
        ),
        synopsis_override=("notify", "notify on|off mine", "notify on|off reviews DB"),
    ),
    CommandSpec(
        words=("audit",),
        area=Area.CHANNEL,
        summary="Show what was changed from Slack in a database.",
        description="Lists the changes made through this bot in DB: who, what, when, and the result.",
        examples=("/pscale audit app",),
        params=(_DB,),
    ),
)

CATALOG = Catalog(COMMANDS)
