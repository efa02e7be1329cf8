from tests.support.browser import browser_page

__all__ = ["browser_page"]
