"""Slack transport: verify, ack within milliseconds, hand slow work to tracked tasks, deliver replies.

The only package that imports slack_bolt. Everything below it speaks in `CommandRequest`s and `Message`s.
"""

import logging as _logging

# slack_sdk and bolt log whole request and response_url bodies at DEBUG; those carry passwords shown once to their
# owner, response_urls and tokens. Cap them at INFO so LOG_LEVEL=DEBUG can never write a secret to the logs.
for _name in ("slack_sdk", "slack_bolt"):
    _logging.getLogger(_name).setLevel(_logging.INFO)
