"""The bot's YAML configuration: read with line numbers (`yaml_source`), checked by pydantic models
(`schema`, `scenario_rules`), problems said one line each (`errors`), built into `core.bot_config`
objects (`load`). `handoff_slack.config_file.load_bot_config` is the entry point."""
