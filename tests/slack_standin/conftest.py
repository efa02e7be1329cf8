from tests.support.browser import browser_page
from tests.support.slack import slack_standin

__all__ = ["browser_page", "slack_standin"]
