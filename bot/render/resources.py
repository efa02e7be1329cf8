"""Pure renderers for organizations, databases, branches, passwords, deploy requests and the deploy queue.

View models in, `Message`s out. Lists say how many there are in all and how many are shown, never cutting silently;
times are Slack dates so every reader sees their own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.render.help import escape
from bot.render.message import Message

APP_URL = "https://app.planetscale.com"
SECTION_LIMIT = 3000


def slack_date(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _count_line(*, shown: int, total: int | None, noun: str, link: str, plural: str | None = None) -> str:
    nouns = plural or f"{noun}s"
    if total is None or total <= shown:
        return f"{shown} {noun if shown == 1 else nouns}."
    return f"Showing {shown} of {total:,} {nouns}. <{link}|See them all in PlanetScale>."


def _list_message(*, title: str, lines: Sequence[str], footer: str) -> Message:
    blocks: list[Block] = [HeaderBlock(text=title[:150])]
    chunk: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    text = f"{title}: " + "; ".join(line.replace("\n", " ") for line in lines[:10])
    return Message(text=text[:3000], blocks=tuple(block.to_dict() for block in blocks))


def _facts_message(*, title: str, facts: Sequence[tuple[str, str]], link: str | None = None) -> Message:
    body = "\n".join(f"*{name}:* {value}" for name, value in facts)
    blocks: list[Block] = [HeaderBlock(text=title[:150]), SectionBlock(text=MarkdownTextObject(text=body))]
    if link:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{link}|Open in PlanetScale>")]))
    return Message(text=f"{title}\n{body}"[:3000], blocks=tuple(block.to_dict() for block in blocks))


# --- organizations and databases ----------------------------------------------------------------------------------


def organizations(names: Sequence[str], *, default: str | None) -> Message:
    lines = [f"• `{escape(name)}`{' (your default here)' if name == default else ''}" for name in names]
    footer = "Switch with `/pscale org switch ORG`." if len(names) > 1 else "Your only organization."
    return _list_message(title="Your PlanetScale organizations", lines=lines or ["(none)"], footer=footer)


def org_switched(name: str) -> Message:
    return Message(text=f":white_check_mark: Your commands now use the organization `{escape(name)}` by default.")


@dataclass(frozen=True)
class DatabaseView:
    name: str
    state: str | None
    kind: str | None
    region: str | None
    default_branch: str | None
    require_approval: bool
    branches: int | None
    html_url: str | None


def databases(org: str, items: Sequence[DatabaseView], *, total: int | None) -> Message:
    lines = [
        f"• `{escape(item.name)}` — {escape(item.state or 'unknown state')}"
        f"{', ' + escape(item.region) if item.region else ''}"
        for item in items
    ]
    footer = _count_line(shown=len(items), total=total, noun="database", link=f"{APP_URL}/{org}")
    return _list_message(title=f"Databases in {org}", lines=lines or ["No databases yet."], footer=footer)


def database(org: str, item: DatabaseView) -> Message:
    facts = [
        ("State", escape(item.state or "unknown")),
        ("Engine", escape(item.kind or "unknown")),
        ("Region", escape(item.region or "unknown")),
        ("Default branch", f"`{escape(item.default_branch or 'main')}`"),
        ("Deploys need approval", "yes" if item.require_approval else "no"),
        ("Branches", str(item.branches) if item.branches is not None else "unknown"),
    ]
    return _facts_message(title=f"{org}/{item.name}", facts=facts, link=item.html_url)


# --- branches -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchView:
    name: str
    parent: str | None
    production: bool
    state: str | None
    created_at: datetime | None
    author: str | None
    html_url: str | None


def branches(org: str, db: str, items: Sequence[BranchView], *, total: int | None) -> Message:
    lines = [
        f"• `{escape(item.name)}`{' (production)' if item.production else ''}"
        f"{' from `' + escape(item.parent) + '`' if item.parent else ''} — created {slack_date(item.created_at)}"
        for item in items
    ]
    footer = _count_line(
        shown=len(items), total=total, noun="branch", plural="branches", link=f"{APP_URL}/{org}/{db}/branches"
    )
    return _list_message(title=f"Branches of {org}/{db}", lines=lines or ["No branches."], footer=footer)


def branch(org: str, db: str, item: BranchView) -> Message:
    facts = [
        ("Production", "yes" if item.production else "no"),
        ("Parent", f"`{escape(item.parent)}`" if item.parent else "none"),
        ("State", escape(item.state or "unknown")),
        ("Created", f"{slack_date(item.created_at)}{' by ' + escape(item.author) if item.author else ''}"),
    ]
    return _facts_message(title=f"{org}/{db} branch {item.name}", facts=facts, link=item.html_url)


def branch_created(org: str, db: str, item: BranchView) -> Message:
    return Message(
        text=f":white_check_mark: Created branch `{escape(item.name)}` of `{escape(db)}` from "
        f"`{escape(item.parent or 'the default branch')}` in `{escape(org)}`. It may take a minute to be ready."
    )


def branch_deleted(db: str, name: str) -> Message:
    return Message(text=f":white_check_mark: Deleted branch `{escape(name)}` of `{escape(db)}`.")


# --- passwords ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordView:
    id: str
    name: str
    role: str | None
    branch: str | None
    created_at: datetime | None
    expires_at: datetime | None


def passwords(org: str, db: str, items: Sequence[PasswordView], *, total: int | None) -> Message:
    lines = [
        f"• `{escape(item.name)}` (ID `{escape(item.id)}`) — {escape(item.role or 'unknown role')}"
        f"{' on `' + escape(item.branch) + '`' if item.branch else ''}, created {slack_date(item.created_at)}"
        f"{', expires ' + slack_date(item.expires_at) if item.expires_at else ''}"
        for item in items
    ]
    footer = _count_line(
        shown=len(items), total=total, noun="password", link=f"{APP_URL}/{org}/{db}/settings/passwords"
    )
    return _list_message(title=f"Passwords of {org}/{db}", lines=lines or ["No passwords."], footer=footer)


@dataclass(frozen=True)
class NewPassword:
    """Shown once, only to the person who asked; never stored, logged or posted."""

    database: str
    branch: str
    name: str
    role: str
    host: str
    username: str
    secret: str
    expires_at: datetime | None


def new_password(item: NewPassword) -> Message:
    url = f"mysql://{item.username}:{item.secret}@{item.host}/{item.database}?ssl={{\"rejectUnauthorized\":true}}"
    env = f"DATABASE_HOST={item.host}\nDATABASE_USERNAME={item.username}\nDATABASE_PASSWORD={item.secret}"
    expiry = f"It expires {slack_date(item.expires_at)}." if item.expires_at else "It does not expire."
    intro = (
        f":key: Password `{escape(item.name)}` ({escape(item.role)}) for `{escape(item.database)}`/"
        f"`{escape(item.branch)}`. Only you can see this, and only now: copy it somewhere safe. {expiry}"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        SectionBlock(text=MarkdownTextObject(text=f"*Connection string*\n```{url}```")),
        SectionBlock(text=MarkdownTextObject(text=f"*Environment*\n```{env}```")),
    ]
    text = f"Password {item.name} for {item.database}/{item.branch}: host {item.host}, user {item.username}"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks))


def password_deleted(db: str, branch: str, password_id: str) -> Message:
    return Message(
        text=f":white_check_mark: Deleted password `{escape(password_id)}` of `{escape(db)}`/`{escape(branch)}`."
    )


# --- deploy requests and the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployRequestView:
    number: int
    branch: str
    into_branch: str
    state: str
    deployment_state: str
    approved: bool
    author: str | None
    notes: str | None
    created_at: datetime | None
    html_url: str | None


def _dr_line(item: DeployRequestView) -> str:
    approval = "approved" if item.approved else "not approved"
    return (
        f"• *#{item.number}* `{escape(item.branch)}` → `{escape(item.into_branch)}` — "
        f"{escape(item.deployment_state.replace('_', ' '))}, {approval}"
        f"{', by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
    )


def deploy_requests(org: str, db: str, items: Sequence[DeployRequestView], *, total: int | None, state: str) -> Message:
    footer = _count_line(
        shown=len(items), total=total, noun=f"{state} deploy request", link=f"{APP_URL}/{org}/{db}/deploy-requests"
    )
    lines = [_dr_line(item) for item in items] or [f"No {state} deploy requests."]
    return _list_message(title=f"Deploy requests of {org}/{db}", lines=lines, footer=footer)


def deploy_request(org: str, db: str, item: DeployRequestView) -> Message:
    facts = [
        ("Branch", f"`{escape(item.branch)}` → `{escape(item.into_branch)}`"),
        ("State", f"{escape(item.state)}, deployment {escape(item.deployment_state.replace('_', ' '))}"),
        ("Approval", "approved" if item.approved else "not approved yet"),
        ("Opened", f"{slack_date(item.created_at)}{' by ' + escape(item.author) if item.author else ''}"),
    ]
    if item.notes:
        facts.append(("Notes", escape(item.notes[:1000])))
    return _facts_message(title=f"{db} #{item.number} {item.branch} → {item.into_branch}", facts=facts,
                          link=item.html_url)


def deploy_request_done(*, what: str, db: str, item: DeployRequestView) -> Message:
    link = f" <{item.html_url}|Open in PlanetScale>." if item.html_url else ""
    return Message(
        text=f":white_check_mark: {what} `{escape(db)}` #{item.number} (`{escape(item.branch)}` → "
        f"`{escape(item.into_branch)}`). Now: {escape(item.deployment_state.replace('_', ' '))}.{link}"
    )


@dataclass(frozen=True)
class QueueEntryView:
    number: int
    state: str
    into_branch: str | None
    queued_at: datetime | None


def deploy_queue(org: str, db: str, items: Sequence[QueueEntryView]) -> Message:
    lines = [
        f"{position}. #{item.number} — {escape(item.state.replace('_', ' '))}"
        f"{' into `' + escape(item.into_branch) + '`' if item.into_branch else ''}, queued {slack_date(item.queued_at)}"
        for position, item in enumerate(items, start=1)
    ]
    footer = f"{len(items)} in the queue, in the order they will deploy." if items else "Nothing is queued."
    return _list_message(title=f"Deploy queue of {org}/{db}", lines=lines or ["The queue is empty."], footer=footer)


def organization(item_name: str, *, plan: str | None, databases: int | None, is_default: bool) -> Message:
    facts = [
        ("Plan", escape(plan or "unknown")),
        ("Databases", str(databases) if databases is not None else "unknown"),
        ("Your default here", "yes" if is_default else "no (`/pscale org switch` makes it so)"),
    ]
    return _facts_message(title=f"Organization {item_name}", facts=facts, link=f"{APP_URL}/{item_name}")


def channel_database_set(db: str) -> Message:
    return Message(
        text=f":white_check_mark: This channel now uses `{escape(db)}` when a command leaves out its database, "
        f"e.g. `/pscale branch list`. `/pscale channel db --clear` undoes it."
    )


def channel_database_cleared(had_one: bool) -> Message:
    if had_one:
        return Message(text=":white_check_mark: This channel no longer has a default database.")
    return Message(text="This channel had no default database; nothing changed.")


@dataclass(frozen=True)
class AuditView:
    at: int
    user_id: str
    action: str
    target: str
    result: str


def audit(org: str, db: str, entries: Sequence[AuditView]) -> Message:
    lines = [
        f"• <!date^{entry.at}^{{date_short_pretty}} {{time}}|{entry.at}> <@{entry.user_id}> `{escape(entry.action)}`"
        f" {escape(entry.target)} — {escape(entry.result[:200])}"
        for entry in entries
    ]
    footer = f"The {len(entries)} most recent changes made from Slack." if entries else "Nothing changed from Slack."
    return _list_message(title=f"Changes to {org}/{db} made from Slack", lines=lines or ["None yet."], footer=footer)


@dataclass(frozen=True)
class OperationView:
    table: str | None
    operation: str | None
    ddl: str | None


DDL_SHOWN = 2500


def diff(db: str, number: int, operations: Sequence[OperationView], *, html_url: str | None) -> Message:
    blocks: list[Block] = [HeaderBlock(text=f"{db} #{number}: schema changes"[:150])]
    for operation in operations[:40]:
        ddl = operation.ddl or "(no DDL)"
        cut = ddl if len(ddl) <= DDL_SHOWN else ddl[:DDL_SHOWN] + "\n… (truncated; see PlanetScale for all of it)"
        title = f"*{escape(operation.operation or 'change')}* `{escape(operation.table or '?')}`"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n```{cut}```")))
    if len(operations) > 40:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"and {len(operations) - 40} more changes")]))
    if not operations:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No schema changes.")))
    if html_url:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{html_url}|Open in PlanetScale>")]))
    text = f"{db} #{number}: {len(operations)} schema change(s)"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks))
