"""The Slack edge: Web API client, directories, and sending what the core decided."""
