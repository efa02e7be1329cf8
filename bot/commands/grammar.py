"""The `/pscale` grammar: from the text Slack sends to an `Invocation` a handler can read, or a `ParseFailure`.

No Slack, no HTTP, no I/O beyond the time-zone database. `parse` never raises: every input, however odd, ends in
an `Invocation` or in a `ParseFailure` whose `problem` says what was wrong and whose `usage` shows the right form.

A form gives its entries one by one instead of as text: `from_fields` checks each with the same per-value rules
(`_param_value`, `_flag_value`) and the command's rules, and returns the same `Invocation`, or `FieldProblems`
that say what is wrong beside each entry.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from functools import cache, lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.commands.catalog import (
    CATALOG,
    AtLeastOne,
    AtMostOne,
    CommandSpec,
    Flag,
    FlagKind,
    Found,
    GroupOnly,
    Param,
    ParamKind,
)

HELP_USAGE = "Usage: /pscale help [COMMAND]"
MAX_NAME_LENGTH = 64
# Deploy request numbers are sequential per database; anything past a 32-bit int is a typo, not a request.
MAX_NUMBER = 2**31 - 1
# `--page N` of a list: 10,000 pages of 25 is more than any database holds; a larger number is a typo.
MAX_PAGE = 10_000

Value = str | int | bool | time

_HELP_WORDS = frozenset({"help", "--help", "-h", "?"})
_PROGRAM_NAMES = frozenset({"/pscale", "pscale"})
_NAME_KINDS = frozenset(
    {ParamKind.DATABASE, ParamKind.BRANCH, ParamKind.ORG, ParamKind.CREDENTIAL_NAME, ParamKind.CREDENTIAL_ID,
     ParamKind.ON_OR_OFF, ParamKind.NOTIFICATION_TOPIC}
)
# The positional arguments that are one of a few words, in any case.
_WORD_CHOICES: dict[ParamKind, tuple[str, ...]] = {
    ParamKind.ON_OR_OFF: ("on", "off"),
    ParamKind.NOTIFICATION_TOPIC: ("mine", "reviews"),
}
_STRING_FLAG_KINDS = frozenset({FlagKind.TEXT, FlagKind.BRANCH, FlagKind.ORG, FlagKind.CHOICE, FlagKind.TIME_ZONE})


# --- Results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """A parsed, validated command. Read values through the typed accessors, by parameter or flag name.

    Accessors check the name against the command's spec, so a typo in a handler fails loudly in its tests
    instead of reading `None`.
    """

    spec: CommandSpec
    values: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))
    # The channel's default database was put in front of the arguments (docs/interface.md §4).
    used_default_database: bool = False
    # `branch create` / `deploy-request create` with no positional argument: open the modal
    # (`spec.modal_callback_id`) instead. Only flags, and the channel's default database, are filled in.
    wants_modal: bool = False
    # For `help`: the canonical words of the topic asked about, e.g. ("deploy-request", "review"); () = overview.
    topic: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The canonical command, e.g. `deploy-request review` (also for the `approve` shorthand)."""
        return self.spec.key

    @property
    def org(self) -> str | None:
        """`--org ORG` if given; `None` means the user's default organization."""
        return self.option("org") if self.spec.accepts_org else None

    def text(self, name: str) -> str:
        """A required name-like positional argument (database, branch, org, password name or ID)."""
        value = self.optional_text(name)
        if value is None:
            raise LookupError(f"`{self.key}` was parsed without {name!r} (a modal invocation?)")
        return value

    def optional_text(self, name: str) -> str | None:
        """A name-like positional argument that may be absent (`password list DB [BRANCH]`)."""
        self._param(name, _NAME_KINDS)
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def number(self, name: str) -> int:
        """A deploy request number."""
        self._param(name, frozenset({ParamKind.NUMBER}))
        value = self.values.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise LookupError(f"`{self.key}` was parsed without {name!r}")
        return value

    def number_or_branch(self, name: str) -> int | str:
        """A deploy request given by number (`int`) or by its branch name (`str`)."""
        self._param(name, frozenset({ParamKind.NUMBER_OR_BRANCH}))
        value = self.values.get(name)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise LookupError(f"`{self.key}` was parsed without {name!r}")
        return value

    def flag(self, name: str) -> bool:
        """Whether a switch (`--approve`) was given."""
        self._flag(name, frozenset({FlagKind.SWITCH}))
        return self.values.get(name) is True

    def option(self, name: str) -> str | None:
        """A string-valued flag (`--comment TEXT`, `--into BRANCH`, `--role`, `--tz`), its default, or `None`."""
        self._flag(name, _STRING_FLAG_KINDS)
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def duration(self, name: str) -> int | None:
        """A duration flag (`--ttl`) in seconds, its default, or `None`."""
        self._flag(name, frozenset({FlagKind.DURATION}))
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def page(self, name: str) -> int:
        """A page number flag (`--page N`), 1 when not given."""
        self._flag(name, frozenset({FlagKind.PAGE}))
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else 1

    def time_of_day(self, name: str) -> time | None:
        """A time-of-day flag (`--at HH:MM`), or `None`."""
        self._flag(name, frozenset({FlagKind.TIME_OF_DAY}))
        value = self.values.get(name)
        return value if isinstance(value, time) else None

    def _param(self, name: str, kinds: frozenset[ParamKind]) -> Param:
        param = self.spec.find_param(name)
        if param is None:
            raise KeyError(f"`{self.key}` has no parameter {name!r}")
        if param.kind not in kinds:
            raise TypeError(f"parameter {name!r} of `{self.key}` is a {param.kind.value}")
        return param

    def _flag(self, name: str, kinds: frozenset[FlagKind]) -> Flag:
        flag = self.spec.find_flag(name)
        if flag is None:
            raise KeyError(f"`{self.key}` has no flag --{name}")
        if flag.kind not in kinds:
            raise TypeError(f"flag --{name} of `{self.key}` takes a {flag.kind.value}")
        return flag


@dataclass(frozen=True)
class ParseFailure:
    """Wrong input: what was wrong, in one or two plain sentences, and the usage lines that show the right form.

    `problem` quotes user input between backticks; the renderer escapes it for Slack. Every line of `usage` starts
    with `Usage: /pscale`. `command` is the canonical key of the command concerned, when one was recognised.
    """

    problem: str
    usage: tuple[str, ...]
    command: str | None = None


@dataclass(frozen=True)
class FieldProblems:
    """Entries of a form the grammar refused: what is wrong, by the parameter or flag name of each entry.

    Problems quote user input between backticks, as `ParseFailure.problem` does."""

    problems: Mapping[str, str]


# --- Normalising and splitting ----------------------------------------------------------------------------------

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}
_CHARACTERS = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u202f": " ",  # narrow no-break space
        "\u200b": None,  # zero-width space
        "\u2060": None,  # word joiner
        "\ufeff": None,  # byte-order mark
    }
)
_UNICODE_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Phones turn `--approve` into `—approve` (or `–approve`). Only a dash run that starts a word and runs into a
# letter is a flag, so dashes inside quoted notes ("a – b") and before numbers stay as typed.
_FLAG_DASHES = re.compile(rf"(?<!\S)-*[{_UNICODE_DASHES}][-{_UNICODE_DASHES}]*(?=[A-Za-z])")


def normalize(text: str) -> str:
    """Undo what Slack and phones do to typed text, before it is split into words.

    Slack markup (`<https://x|label>`, `<@U1|bob>`, `<#C1|general>`, `<!here>`) becomes the text the user saw,
    `&amp; &lt; &gt;` are unescaped, curly quotes become straight, unusual spaces become plain spaces, and a
    word-initial em or en dash becomes `--`.
    """
    text = _SLACK_MARKUP.sub(_markup_text, text)
    # Markup first: a `<` the user typed arrives as `&lt;`, so every literal `<` above was Slack's own markup.
    text = _SLACK_ENTITY.sub(lambda match: _ENTITY_TEXT[match.group(1)], text)
    text = text.translate(_CHARACTERS)
    return _FLAG_DASHES.sub("--", text)


def _markup_text(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith(("@", "#")):
        return target[0] + (label or target[1:])
    if target.startswith("!"):
        # <!here>, <!subteam^S1|@team>, <!date^…|fallback>: the label is what the user saw.
        return label or "@" + target[1:].split("^", 1)[0]
    return label or target


class UnbalancedQuoteError(ValueError):
    """A quote opened a word and was never closed. `parse` turns it into a `ParseFailure`."""

    def __init__(self, quote: str, position: int) -> None:
        super().__init__(f"the {quote} at position {position} is never closed")
        self.quote = quote
        self.position = position


def tokenize(text: str) -> list[str]:
    """Split into shell-like words; `'…'` and `"…"` group words with spaces.

    A quote opens only at the start of a word (or of a `--flag=` value) and closes only before a space or the
    end, so apostrophes inside words (`don't`) stay literal. There are no backslash escapes. Raises
    `UnbalancedQuoteError` for a quote that opens and never closes.
    """
    tokens: list[str] = []
    position, length = 0, len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        word: list[str] = []
        while position < length and not text[position].isspace():
            char = text[position]
            so_far = "".join(word)
            opens_value = not word or (so_far.startswith("--") and so_far.endswith("=") and so_far.count("=") == 1)
            if char in "'\"" and opens_value:
                closing = _closing_quote(text, char, position)
                word.append(text[position + 1 : closing])
                position = closing + 1
            else:
                word.append(char)
                position += 1
        tokens.append("".join(word))
    return tokens


def _closing_quote(text: str, quote: str, opening: int) -> int:
    search = opening + 1
    while (closing := text.find(quote, search)) != -1:
        if closing + 1 == len(text) or text[closing + 1].isspace():
            return closing
        search = closing + 1
    raise UnbalancedQuoteError(quote, opening)


# --- Parsing ----------------------------------------------------------------------------------------------------


# Parsing runs on every ack and costs more than the rest of a help ack, while people and scripts repeat the same
# commands; the results are immutable, so the recent ones are kept. Only short texts, so the cache stays small.
_REMEMBERED_PARSES = 1024
_REMEMBERED_TEXT_LENGTH = 200


def parse(text: str, *, default_database: str | None = None) -> Invocation | ParseFailure:
    """Parse the text of a `/pscale` command. Never raises.

    `default_database` is this channel's default database (`channel db`): a command one positional argument
    short gets it as its first argument, and the Invocation records that in `used_default_database`.
    """
    if len(text) <= _REMEMBERED_TEXT_LENGTH:
        return _parse_remembered(text, default_database)
    return _parse(text, default_database)


@lru_cache(maxsize=_REMEMBERED_PARSES)
def _parse_remembered(text: str, default_database: str | None) -> Invocation | ParseFailure:
    return _parse(text, default_database)


def _parse(text: str, default_database: str | None) -> Invocation | ParseFailure:
    normalized = normalize(text)
    try:
        tokens = tokenize(normalized)
    except UnbalancedQuoteError as error:
        return _unbalanced_quote(normalized, error)
    if tokens and tokens[0].lower() in _PROGRAM_NAMES:
        tokens = tokens[1:]  # pasted from help or the README, which show the whole command line
    if not tokens or tokens[0].lower() in _HELP_WORDS:
        return _parse_help(tokens[1:])
    match = CATALOG.lookup(tokens)
    if isinstance(match, Found):
        return _parse_arguments(match.spec, tokens[match.consumed :], default_database=default_database)
    if isinstance(match, GroupOnly):
        subcommands = ", ".join(spec.words[1] for spec in match.commands)
        return ParseFailure(
            problem=f"{_code(match.group)} needs a subcommand: {subcommands}.",
            usage=_group_usage(match.group),
        )
    if match.group is None:
        # No usage lines: none of them is about what was typed, and the reply's footer points at `/pscale help`.
        return ParseFailure(
            problem=f"{_code(match.words[0])} is not a /pscale command.{_did_you_mean(match.suggestions)}", usage=()
        )
    return ParseFailure(
        problem=f"{_code(' '.join(match.words))} is not a command.{_did_you_mean(match.suggestions)}",
        usage=_group_usage(match.group),
    )


def default_database_could_apply(parsed: Invocation | ParseFailure) -> bool:
    """Whether `parse(text, default_database=D)` could differ from `parsed`, which is `parse(text)` with none.

    A default is only ever put in front of the arguments of a command that takes one, and only when that command is
    one positional argument short (without a default: a failure naming the command) or has none and opens its form
    (without a default: an Invocation that wants the modal). Anything else parses the same whatever the channel's
    default, so the dispatcher need not read it (tests/grammar/test_properties.py checks this for any text).
    """
    if isinstance(parsed, ParseFailure):
        return parsed.command is not None and CATALOG.get(parsed.command).uses_default_database
    return parsed.wants_modal and parsed.spec.uses_default_database


def _parse_help(words: Sequence[str]) -> Invocation | ParseFailure:
    help_spec = CATALOG.get("help")
    if not words:
        return Invocation(spec=help_spec)
    match = CATALOG.lookup(words)
    if isinstance(match, Found):
        return Invocation(spec=help_spec, topic=match.spec.words)
    if isinstance(match, GroupOnly):
        return Invocation(spec=help_spec, topic=(match.group,))
    return ParseFailure(
        problem=f"There is no help for {_code(' '.join(match.words))}: it is not a command."
        f"{_did_you_mean(match.suggestions)}",
        usage=(HELP_USAGE,),
        command="help",
    )


def _parse_arguments(
    typed_spec: CommandSpec, arguments: Sequence[str], *, default_database: str | None
) -> Invocation | ParseFailure:
    if any(argument.lower() in _HELP_WORDS - {"help"} for argument in arguments):
        return Invocation(spec=CATALOG.get("help"), topic=typed_spec.words)

    def failure(problem: str) -> ParseFailure:
        return ParseFailure(problem=problem, usage=typed_spec.usage_lines(), command=typed_spec.key)

    split = _split_arguments(typed_spec, arguments)
    if isinstance(split, _Problem):
        return failure(split.message)
    values, positionals = split

    used_default = False
    if typed_spec.modal_callback_id is not None and not positionals:
        if default_database is not None and typed_spec.uses_default_database:
            values[typed_spec.params[0].name] = default_database
            used_default = True
        broken = _broken_rule(typed_spec, values)
        if broken is not None:
            return failure(broken.message)
        _apply_defaults(typed_spec, values)
        return Invocation(
            spec=typed_spec, values=MappingProxyType(values), used_default_database=used_default, wants_modal=True
        )
    if len(positionals) < typed_spec.required_count:
        one_short = len(positionals) == typed_spec.required_count - 1
        if default_database is not None and typed_spec.uses_default_database and one_short:
            positionals.insert(0, default_database)
            used_default = True
        else:
            missing = typed_spec.params[len(positionals) : typed_spec.required_count]
            described = _and(f"{param.metavar} (the {param.kind.value})" for param in missing)
            return failure(f"{_code(typed_spec.key)} is missing {described}.")
    if len(positionals) > len(typed_spec.params):
        return failure(_extra_arguments(typed_spec, positionals[len(typed_spec.params) :]))
    for param, raw in zip(typed_spec.params, positionals, strict=False):
        converted = _param_value(param, raw)
        if isinstance(converted, _Problem):
            return failure(converted.message)
        values[param.name] = converted

    broken = _broken_rule(typed_spec, values)
    if broken is not None:
        return failure(broken.message)

    spec = typed_spec
    if typed_spec.shorthand_for is not None:
        spec = CATALOG.get(" ".join(typed_spec.shorthand_for))
        values.update(dict.fromkeys(typed_spec.implied_switches, True))
    _apply_defaults(spec, values)
    return Invocation(spec=spec, values=MappingProxyType(values), used_default_database=used_default)


def from_fields(
    key: str, entries: Mapping[str, str], *, switches: Iterable[str] = ()
) -> Invocation | FieldProblems:
    """The command `key` from a form: `entries` by parameter or flag name, each one whole value however it is
    spelled (no quoting, no splitting), and the `switches` that are on. Never raises for what a person entered;
    a name the command does not have is a programming error (`KeyError`).

    A parameter left out is a problem of its own; the command's rules are checked once every entry is valid.
    """
    spec = CATALOG.get(key)
    values: dict[str, Value] = {}
    problems: dict[str, str] = {}
    for name, entry in entries.items():
        converted = _entry_value(spec, name, entry)
        if isinstance(converted, _Problem):
            problems[name] = converted.message
        else:
            values[name] = converted
    for name in switches:
        _switch(spec, name)
        values[name] = True
    for param in spec.params:
        if not param.optional and param.name not in entries:
            problems[param.name] = f"Give the {param.kind.value}."
    if not problems:
        broken = _broken_rule(spec, values)
        if broken is not None:
            problems[broken.about] = broken.message
    if problems:
        return FieldProblems(problems=MappingProxyType(problems))
    _apply_defaults(spec, values)
    return Invocation(spec=spec, values=MappingProxyType(values))


def _entry_value(spec: CommandSpec, name: str, entry: str) -> Value | _Problem:
    param = spec.find_param(name)
    if param is not None:
        return _param_value(param, entry)
    flag = spec.find_flag(name)
    if flag is None or not flag.takes_value:
        raise KeyError(f"`{spec.key}` has no parameter or flag {name!r} that takes a value")
    return _flag_value(flag, entry)


def _switch(spec: CommandSpec, name: str) -> None:
    flag = spec.find_flag(name)
    if flag is None or flag.takes_value:
        raise KeyError(f"`{spec.key}` has no switch --{name}")


def _split_arguments(spec: CommandSpec, arguments: Sequence[str]) -> tuple[dict[str, Value], list[str]] | _Problem:
    """Flags (converted, by name) apart from positional arguments (raw, in order); flags may come anywhere."""
    values: dict[str, Value] = {}
    positionals: list[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        index += 1
        if not _looks_like_flag(token):
            positionals.append(token)
            continue
        spelled, has_inline, inline = token.partition("=")
        name = spelled.lstrip("-").lower()
        flag = spec.find_flag(name) if spelled.startswith("--") else None
        if flag is None:
            if spelled.startswith("--") and name in spec.implied_switches and not has_inline:
                continue  # `approve DB N --approve` says the same thing twice; that is fine.
            return _Problem(_unknown_flag(spec, spelled))
        if name in values:
            return _Problem(f"{_code(flag.spelling)} is given more than once.")
        if not flag.takes_value:
            if has_inline:
                return _Problem(f"{_code(flag.spelling)} is a switch and takes no value.")
            values[name] = True
            continue
        if has_inline:
            raw = inline
        elif index < len(arguments) and not arguments[index].startswith("--"):
            raw = arguments[index]
            index += 1
        else:
            return _Problem(f"{_code(flag.spelling)} needs a value: {flag.synopsis}.")
        converted = _flag_value(flag, raw)
        if isinstance(converted, _Problem):
            return converted
        values[name] = converted
    return values, positionals


def _looks_like_flag(token: str) -> bool:
    # `-5` stays an argument (and then fails as a bad number); `-x` is a mistyped flag.
    return token.startswith("--") or (len(token) > 1 and token[0] == "-" and token[1].isalpha())


def _unknown_flag(spec: CommandSpec, spelled: str) -> str:
    if spelled.lower() == "--org":
        return f"{_code('--org')} does not apply to {_code(spec.key)}."
    known = [flag.spelling for flag in spec.all_flags]
    corrected = "--" + spelled.lstrip("-").lower()
    if not spelled.startswith("--") and corrected in known:
        suggestions: Sequence[str] = (corrected,)
    else:
        suggestions = difflib.get_close_matches(corrected, known, n=2, cutoff=0.6)
    listing = f" It takes {_or([_code(flag) for flag in known])}." if known else " It takes no flags."
    hint = _did_you_mean(suggestions) or listing
    return f"{_code(spelled)} is not a flag of {_code(spec.key)}.{hint}"


def _extra_arguments(spec: CommandSpec, extra: Sequence[str]) -> str:
    expected = " ".join(param.synopsis for param in spec.params) or "no arguments"
    listed = ", ".join(_code(word) for word in extra[:5]) + (", …" if len(extra) > 5 else "")
    noun = "argument" if len(extra) == 1 else "arguments"
    problem = f"{_code(spec.key)} takes {expected}; extra {noun}: {listed}."
    text_flag = next((flag for flag in spec.flags if flag.kind is FlagKind.TEXT), None)
    if text_flag is not None:
        problem += f' Put text with spaces in quotes: {text_flag.spelling} "add index on users".'
    return problem


def _apply_defaults(spec: CommandSpec, values: dict[str, Value]) -> None:
    for flag in spec.all_flags:
        default = _DEFAULTS.get((spec.key, flag.name))
        if default is not None and flag.name not in values:
            values[flag.name] = default


@dataclass(frozen=True)
class _BrokenRule:
    message: str
    # The parameter or flag that would mend it: a form shows the problem beside that entry.
    about: str


def _broken_rule(spec: CommandSpec, values: Mapping[str, Value]) -> _BrokenRule | None:
    """The first rule the values break."""
    for rule in spec.rules:
        present = [name for name in rule.names if name in values]
        shown = [_code(spec.display_name(name)) for name in rule.names]
        if isinstance(rule, AtLeastOne) and not present:
            return _BrokenRule(f"{_code(spec.key)} needs {_or(shown)}.", about=rule.names[0])
        if isinstance(rule, AtMostOne) and len(present) > 1:
            return _BrokenRule(f"{_and(shown)} cannot be used together; choose one.", about=present[-1])
    return None


def _unbalanced_quote(normalized: str, error: UnbalancedQuoteError) -> ParseFailure:
    before = normalized[: error.position].split()
    usage: tuple[str, ...] = ()
    command: str | None = None
    match = CATALOG.lookup(before)
    if isinstance(match, Found):
        usage, command = match.spec.usage_lines(), match.spec.key
    elif isinstance(match, GroupOnly):
        usage = _group_usage(match.group)
    following = normalized[error.position + 1 :].split()
    where = f" before {_code(following[0])}" if following else " at the end"
    return ParseFailure(
        problem=f"The quote {_code(error.quote)}{where} is never closed. Close it after the quoted text, "
        'like --notes "add index on users".',
        usage=usage,
        command=command,
    )


def _group_usage(group: str) -> tuple[str, ...]:
    return tuple(line for spec in CATALOG.in_group(group) for line in spec.usage_lines())


# --- Values -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    message: str


_NAME_CHARACTER = re.compile(r"[A-Za-z0-9._-]")
_NUMBER_SHAPE = re.compile(r"#?[0-9]+")
_PASSWORD_ID = re.compile(r"[A-Za-z0-9]+")
_DURATION_SHAPE = re.compile(r"(?:[0-9]{1,9}[smhd])+|[0-9]{1,9}")
_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TIME_SHAPE = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def _param_value(param: Param, raw: str) -> Value | _Problem:
    kind = param.kind
    if kind is ParamKind.NUMBER:
        return _number(raw)
    if kind is ParamKind.NUMBER_OR_BRANCH:
        if _NUMBER_SHAPE.fullmatch(raw):
            return _number(raw)
        branch = _name(raw, ParamKind.BRANCH.value)
        if isinstance(branch, _Problem):
            return _Problem(f"{_code(raw)} is neither a deploy request number nor a branch name. {branch.message}")
        return branch
    if kind is ParamKind.CREDENTIAL_NAME:
        return _password_name(raw)
    if kind is ParamKind.CREDENTIAL_ID:
        return _password_id(raw)
    if kind in _WORD_CHOICES:
        chosen = raw.lower()
        if chosen in _WORD_CHOICES[kind]:
            return chosen
        return _Problem(f"{_code(raw)} is not {kind.value}: choose {_or(list(_WORD_CHOICES[kind]))}.")
    return _name(raw, kind.value)


def _flag_value(flag: Flag, raw: str) -> Value | _Problem:
    kind = flag.kind
    if kind is FlagKind.BRANCH or kind is FlagKind.ORG:
        return _name(raw, kind.value)
    if kind is FlagKind.CHOICE:
        chosen = raw.lower()
        if chosen in flag.choices:
            return chosen
        return _Problem(
            f"{_code(raw)} is not a valid value for {_code(flag.spelling)}: choose {_or(list(flag.choices))}."
        )
    if kind is FlagKind.DURATION:
        return _duration(raw, flag.spelling)
    if kind is FlagKind.TIME_OF_DAY:
        return _time_of_day(raw, flag.spelling)
    if kind is FlagKind.TIME_ZONE:
        return _time_zone(raw)
    if kind is FlagKind.PAGE:
        return _page_number(raw, flag.spelling)
    if not raw.strip():
        return _Problem(
            f'{_code(flag.spelling)} needs some text; quote text with spaces, like {flag.spelling} "your text here".'
        )
    return raw


def _name(raw: str, noun: str) -> str | _Problem:
    """Names of databases, branches and organizations, which also travel as URL path segments.

    PlanetScale documents lowercase letters, digits, `-` and `_`; case and dots are let through (PlanetScale
    answers "not found" if they are wrong), but anything that would change the API path (`/`, a leading `.`,
    spaces) or could never be a name is refused here with the reason.
    """
    shown = _code(raw)
    if not raw:
        return _Problem(f"An empty {noun} was given.")
    if len(raw) > MAX_NAME_LENGTH:
        return _Problem(f"{shown} is too long for a {noun}: at most {MAX_NAME_LENGTH} characters, not {len(raw)}.")
    if "/" in raw:
        return _Problem(f"{shown} is not a valid {noun}: names cannot contain `/`.")
    bad = next((char for char in raw if not _NAME_CHARACTER.fullmatch(char)), None)
    if bad is not None:
        what = "a space" if bad.isspace() else _code(bad)
        return _Problem(f"{shown} is not a valid {noun}: it contains {what}. Names use letters, digits, `-` and `_`.")
    if raw[0] in ".-":
        return _Problem(f"{shown} is not a valid {noun}: names cannot start with {_code(raw[0])}.")
    return raw


def _number(raw: str) -> int | _Problem:
    digits = raw.removeprefix("#")
    if _NUMBER_SHAPE.fullmatch(raw) and len(digits) <= 10 and 1 <= int(digits) <= MAX_NUMBER:
        return int(digits)
    return _Problem(f"{_code(raw)} is not a deploy request number: give a positive whole number, like `42`.")


def _password_name(raw: str) -> str | _Problem:
    if not raw.strip():
        return _Problem("The password name is empty.")
    if len(raw) > MAX_NAME_LENGTH:
        return _Problem(f"The password name is too long: at most {MAX_NAME_LENGTH} characters, not {len(raw)}.")
    if not raw.isprintable():
        return _Problem(f"{_code(raw)} is not a valid password name: it contains a control character.")
    return raw


def _password_id(raw: str) -> str | _Problem:
    if _PASSWORD_ID.fullmatch(raw) and len(raw) <= MAX_NAME_LENGTH:
        return raw
    return _Problem(
        f"{_code(raw)} does not look like a password ID: IDs are letters and digits, like `a1b2c3d4e5f6`. "
        "`/pscale password list DB BRANCH` shows them."
    )


def _duration(raw: str, spelling: str) -> int | _Problem:
    text = raw.lower()
    if _DURATION_SHAPE.fullmatch(text):
        seconds = int(text) if text.isdigit() else _sum_duration(text)
        if seconds > 0:
            return seconds
        return _Problem(f"{_code(raw)} is not a valid {_code(spelling)}: it must be longer than zero.")
    return _Problem(
        f"{_code(raw)} is not a valid {_code(spelling)}: use minutes (`30m`), hours (`24h`), days (`7d`) "
        "or bare seconds (`3600`)."
    )


def _page_number(raw: str, spelling: str) -> int | _Problem:
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return _Problem(f"{_code(raw)} is not a valid {_code(spelling)}: give a page number from 1 to {MAX_PAGE:,}.")


def _sum_duration(text: str) -> int:
    return sum(int(amount) * _DURATION_UNITS[unit] for amount, unit in _DURATION_PART.findall(text))


def _time_of_day(raw: str, spelling: str) -> time | _Problem:
    match = _TIME_SHAPE.fullmatch(raw)
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    return _Problem(
        f"{_code(raw)} is not a valid {_code(spelling)} time: use HH:MM on a 24-hour clock, like `09:00` or `17:30`."
    )


@cache
def _known_zones() -> dict[str, str]:
    """IANA zone names by their case-folded spelling, so `europe/paris` finds `Europe/Paris`."""
    return {name.casefold(): name for name in available_timezones()}


def _time_zone(raw: str) -> str | _Problem:
    zones = _known_zones()
    canonical = zones.get(raw.casefold())
    if canonical is not None:
        return canonical
    if not zones and _loads_as_zone(raw):
        return raw  # No zone list on this system; zoneinfo itself is the judge.
    suggestions = difflib.get_close_matches(raw, list(zones.values()), n=3, cutoff=0.6)
    return _Problem(
        f"{_code(raw)} is not a time zone: use an IANA name like `Europe/Paris` or `America/New_York`."
        f"{_did_you_mean(suggestions)}"
    )


def _loads_as_zone(raw: str) -> bool:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _default_values() -> dict[tuple[str, str], Value]:
    """Convert every catalog default once, at import, so a bad default fails the build rather than a user."""
    defaults: dict[tuple[str, str], Value] = {}
    for spec in CATALOG:
        for flag in spec.all_flags:
            if flag.default is None:
                continue
            converted = _flag_value(flag, flag.default)
            if isinstance(converted, _Problem):
                raise ValueError(f"default of {flag.spelling} in `{spec.key}`: {converted.message}")
            defaults[(spec.key, flag.name)] = converted
    return defaults


_DEFAULTS = _default_values()


# --- Wording ----------------------------------------------------------------------------------------------------

_SHOWN_LENGTH = 40


def _code(raw: str) -> str:
    """User input quoted for a message: shortened, on one line, and unable to break out of its backticks."""
    shown = " ".join(raw.split()) if raw.strip() else raw
    if len(shown) > _SHOWN_LENGTH:
        shown = shown[: _SHOWN_LENGTH - 1] + "…"
    shown = shown.replace("`", "ˋ")
    return f"`{shown}`" if shown else "(nothing)"


def _or(items: Sequence[str]) -> str:
    return _join(items, "or")


def _and(items: Iterable[str]) -> str:
    return _join(list(items), "and")


def _join(items: Sequence[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    return f" Did you mean {_or([_code(suggestion) for suggestion in suggestions])}?"
