"""A stand-in for Slack (Web API, `response_url`s, Socket Mode) that records what the bot does."""

from bot.sandbox.slack.recorder import Recorder
from bot.sandbox.slack.response_urls import ResponseUrlPost
from bot.sandbox.slack.scopes import ChannelKind, MissingScope, ScopeTable, published_scopes
from bot.sandbox.slack.socket_mode import SocketAck, SocketModeServer
from bot.sandbox.slack.standin import SlackStandIn
from bot.sandbox.slack.webapi import ApiCall
from bot.sandbox.slack.workspace import OpenView, SlackChannel, SlackError, SlackUser, StoredMessage

__all__ = [
    "ApiCall",
    "ChannelKind",
    "MissingScope",
    "OpenView",
    "Recorder",
    "ResponseUrlPost",
    "ScopeTable",
    "SlackChannel",
    "SlackError",
    "SlackStandIn",
    "SlackUser",
    "SocketAck",
    "SocketModeServer",
    "StoredMessage",
    "published_scopes",
]
