"""The local Slack sandbox: a Slack emulator (the test suite's fake Slack, too) and its people.

- ``emulator.SlackEmulator``: the Web API, files, faults and HTTP edge, with the workspace's state.
- ``slack_client``: Slack's signed requests to the app (events, interactivity, slash commands).
"""
