"""Slack transport: verify, ack within milliseconds, hand slow work to tracked tasks, deliver replies.

The only package that imports slack_bolt. Everything below it speaks in `CommandRequest`s and `Message`s.
"""
