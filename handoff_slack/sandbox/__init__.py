"""The local Slack sandbox: a Slack emulator (the test suite's fake Slack, too) and the people in it.

- ``emulator.SlackEmulator``: Slack's Web API (``web_api``: chat and reactions; ``conversations``;
  ``views``; ``files``), faults on demand (``faults``), the HTTP edge (``http_server``), the state
  behind one lock with change notices (``state``; ``SlackEmulator.subscribe``) and read methods.
- ``people``: what people do, recorded in the emulator; ``workspace.Workspace``: people acting, sent
  to the app as Slack sends it (signed, through ``slack_client``); ``personas.seed``: the cast
  (customer 2 of another organisation, and #acme-support shared with it over Slack Connect).
- ``block_rules``: the Block Kit checks behind ``invalid_blocks``; ``slack_shapes``: ``ts``,
  cursors, errors and parameters as Slack has them.
"""
