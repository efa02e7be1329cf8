"""The one failure of the Slack stand-in: a Web API answer `{"ok": false, "error": code}`."""

from __future__ import annotations


class SlackError(Exception):
    """A Web API failure, carrying Slack's error code (`channel_not_found`, `invalid_blocks`, …) and, where Slack
    gives them, the `response_metadata.messages` that say what was wrong and where."""

    def __init__(self, code: str, messages: tuple[str, ...] = ()) -> None:
        super().__init__(code if not messages else f"{code}: {'; '.join(messages)}")
        self.code = code
        self.messages = messages

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"ok": False, "error": self.code}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body
