"""Offline checks for the Slack app manifest (manifest.yml).

The manifest is validated against Slack's published JSON schema (draft-07), vendored in
tests/fixtures/slack-manifest-schema (slackapi/manifest-schema, MIT). The top-level
``manifest.schema.json`` only dispatches on ``_metadata.major_version`` and ``$ref``s remote
URLs, so we validate against the versioned file directly (readable errors) and also through the
dispatcher with the remote URLs mapped to the vendored files in a ``referencing.Registry``
(no network: unknown URLs raise instead of being fetched).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

HERE = Path(__file__).parent
REPO_ROOT = HERE.parent
PACKAGE = REPO_ROOT / "handoff_slack"
MANIFEST_PATH = REPO_ROOT / "manifest.yml"
SCHEMA_DIR = HERE / "fixtures" / "slack-manifest-schema"
DISPATCH_SCHEMA_PATH = SCHEMA_DIR / "manifest.schema.json"

# _metadata.major_version -> vendored versioned schema (no _metadata / no major_version means 1).
VERSIONED_SCHEMAS = {
    1: SCHEMA_DIR / "manifest.schema.1.0.0.json",
    2: SCHEMA_DIR / "manifest.schema.2.0.0.json",
}
# The remote URLs manifest.schema.json $refs (pinned to the upstream v0.5.0 tag).
_UPSTREAM = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas"
REMOTE_SCHEMA_URLS = {
    f"{_UPSTREAM}/manifest.schema.1.0.0.json": VERSIONED_SCHEMAS[1],
    f"{_UPSTREAM}/manifest.schema.2.0.0.json": VERSIONED_SCHEMAS[2],
}

REQUEST_PATH = "/slack/events"
SLASH_COMMAND = "/handoff-queue"
SLASH_COMMANDS = (SLASH_COMMAND, "/handoff-watch", "/handoff-channel", "/handoff-status", "/handoff-agents")

ESCAPED_COMMANDS = ("/handoff-status",)
SLASH_COMMANDS = (SLASH_COMMAND, "/handoff-watch", "/handoff-channel", "/handoff-priority")

REQUIRED_BOT_EVENTS = (
    "message.im",
    "message.channels",
    "message.groups",
    "member_joined_channel",
    "member_left_channel",
    "app_mention",
    "reaction_added",
    "subteam_members_changed",
)

# Web API methods -> the bot scopes this app needs for them (from each method's page on
# api.slack.com). A tuple holds every scope needed: the support channel may be public or private,
# and conversations.history/replies read both it and customers' DMs. The methods the app calls are
# found in its source (`called_methods`), so a new call without an entry here fails the test.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.getPermalink": (),  # no scope required
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.members": ("channels:read", "groups:read"),
    "conversations.info": ("channels:read", "groups:read"),  # is_ext_shared of a served (public or private) channel
    "users.info": ("users:read",),
    "team.info": ("team:read",),
    "usergroups.users.list": ("usergroups:read",),
    "files.info": ("files:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "views.open": (),  # needs a trigger_id, no scope
}

# What the app does besides calling a method, found by a pattern in its source -> the scope it needs.
SOURCE_FEATURE_SCOPES: dict[str, tuple[str, str]] = {
    "posting under another name and avatar": (r"\bicon_url=|\busername=", "chat:write.customize"),
    "downloading shared files with the bot token": (r"url_private_download", "files:read"),
}

# Events API subscriptions -> bot scope(s) Slack requires before it will deliver them.
EVENT_SCOPES: dict[str, str | tuple[str, ...]] = {
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "member_joined_channel": ("channels:read", "groups:read"),
    "member_left_channel": ("channels:read", "groups:read"),
    "app_mention": "app_mentions:read",
    "reaction_added": "reactions:read",
    "subteam_members_changed": "usergroups:read",
}

# Other features -> scope.
FEATURE_SCOPES: dict[str, str | tuple[str, ...]] = {
    **{"slash command " + command: "commands" for command in SLASH_COMMANDS},
}


def _scopes(mapping: dict[str, str | tuple[str, ...]]) -> set[str]:
    out: set[str] = set()
    for value in mapping.values():
        out.update((value,) if isinstance(value, str) else value)
    return out


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "manifest.yml must be a YAML mapping"
    return data


def _major_version(manifest: dict) -> int:
    return (manifest.get("_metadata") or {}).get("major_version", 1)


def _versioned_validator(manifest: dict) -> Draft7Validator:
    version = _major_version(manifest)
    assert version in VERSIONED_SCHEMAS, f"no vendored schema for major_version {version!r}"
    schema = _load_json(VERSIONED_SCHEMAS[version])
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _refuse_remote(uri: str):
    # Called only for URLs not in the registry: never touch the network.
    raise NoSuchResource(ref=uri)


def _dispatch_validator() -> Draft7Validator:
    registry = Registry(retrieve=_refuse_remote).with_resources(
        (url, Resource.from_contents(_load_json(path), default_specification=DRAFT7))
        for url, path in REMOTE_SCHEMA_URLS.items()
    )
    schema = _load_json(DISPATCH_SCHEMA_PATH)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def _error_report(validator: Draft7Validator, instance: dict) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message} "
        f"(schema: {'/'.join(map(str, e.absolute_schema_path))})"
        for e in errors
    ]


# --- schema validation -------------------------------------------------------------------------


def test_vendored_schema_present():
    for path in (DISPATCH_SCHEMA_PATH, *VERSIONED_SCHEMAS.values(), SCHEMA_DIR / "LICENSE"):
        assert path.is_file(), f"missing vendored schema file {path}"


def test_manifest_valid_against_versioned_schema(manifest):
    problems = _error_report(_versioned_validator(manifest), manifest)
    assert not problems, "manifest.yml fails the Slack manifest schema:\n" + "\n".join(problems)


def test_manifest_valid_against_dispatch_schema(manifest):
    # Exercises the _metadata.major_version routing of the top-level schema (offline).
    problems = _error_report(_dispatch_validator(), manifest)
    assert not problems, "manifest.yml fails manifest.schema.json:\n" + "\n".join(problems)


def _bogus_type(m: dict) -> None:
    m["features"]["app_home"]["messages_tab_enabled"] = "yes"


def _unknown_top_level_key(m: dict) -> None:
    m["not_a_manifest_key"] = True


def _bad_command(m: dict) -> None:
    m["features"]["slash_commands"][0]["command"] = "handoff-queue"  # missing leading "/"


@pytest.mark.parametrize(
    "mutate, expected_path",
    [
        (_bogus_type, ["features", "app_home", "messages_tab_enabled"]),
        (_unknown_top_level_key, []),
        (_bad_command, ["features", "slash_commands", 0, "command"]),
    ],
    ids=["bogus-type", "unknown-top-level-key", "command-without-slash"],
)
def test_validator_rejects_broken_manifest(manifest, mutate, expected_path):
    broken = copy.deepcopy(manifest)
    mutate(broken)
    errors = list(_versioned_validator(broken).iter_errors(broken))
    assert errors, "versioned schema accepted a broken manifest"
    assert any(list(e.absolute_path) == expected_path for e in errors), _error_report(
        _versioned_validator(broken), broken
    )
    assert not _dispatch_validator().is_valid(broken), "dispatch schema accepted a broken manifest"


# --- product facts -----------------------------------------------------------------------------


def test_display_information(manifest):
    info = manifest["display_information"]
    assert info["name"] == "Handoff Helpdesk"
    # The schema spells this constraint "regex" (not a JSON Schema keyword), so it is not
    # enforced by the validator; check it here.
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])


def test_customers_can_dm_the_app(manifest):
    app_home = manifest["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False


def test_bot_user(manifest):
    bot = manifest["features"]["bot_user"]
    assert bot["display_name"] == "helpdesk"
    assert bot["always_online"] is True


def test_bot_events_subscribed(manifest):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    missing = [e for e in REQUIRED_BOT_EVENTS if e not in events]
    assert not missing, f"bot events not subscribed: {missing}"
    assert set(EVENT_SCOPES) == set(REQUIRED_BOT_EVENTS)


def test_slash_command(manifest):
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    for command in SLASH_COMMANDS:
        assert command in commands
        cmd = commands[command]
        assert cmd["url"].endswith(REQUEST_PATH)
        # Escaped, Slack sends a mention as <@U…|name>: /handoff-status names agents that way.
        assert cmd.get("should_escape") is (command in ESCAPED_COMMANDS)


def test_interactivity_and_request_urls(manifest):
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith(REQUEST_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(REQUEST_PATH)
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


# --- scopes: what the app calls, found in its source --------------------------------------------


def web_api_method(client_method: str) -> str:
    """slack_sdk's WebClient method name -> the Web API method (chat_postMessage -> chat.postMessage)."""
    return client_method.replace("_", ".")


def called_methods(sources: dict[str, str]) -> dict[str, set[str]]:
    """Web API methods called in `sources` (name -> text): WebClient methods and api_call("...")."""
    from slack_sdk import WebClient

    client_methods = {n for n in dir(WebClient) if not n.startswith("_") and callable(getattr(WebClient, n))}
    client_methods -= {"api_call", "close"}
    found: dict[str, set[str]] = {}
    for name, text in sources.items():
        for match in re.finditer(r"\.([A-Za-z][A-Za-z0-9_]*)\(", text):
            if match.group(1) in client_methods:
                found.setdefault(web_api_method(match.group(1)), set()).add(name)
        for match in re.finditer(r"api_call\(\s*[\"']([A-Za-z.]+)[\"']", text):
            found.setdefault(match.group(1), set()).add(name)
    return found


def package_sources() -> dict[str, str]:
    return {str(path.relative_to(REPO_ROOT)): path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}


def used_features(sources: dict[str, str]) -> dict[str, str]:
    """SOURCE_FEATURE_SCOPES entries whose pattern occurs in the source: feature -> scope."""
    return {
        feature: scope
        for feature, (pattern, scope) in SOURCE_FEATURE_SCOPES.items()
        if any(re.search(pattern, text) for text in sources.values())
    }


def needed_scopes(manifest: dict) -> dict[str, set[str]]:
    """Each scope the app needs -> what needs it (methods called, events subscribed, features)."""
    sources = package_sources()
    needs: dict[str, set[str]] = {}
    for method in called_methods(sources):
        for scope in METHOD_SCOPES.get(method, ()):
            needs.setdefault(scope, set()).add(method)
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        for scope in _scopes({event: EVENT_SCOPES[event]}):
            needs.setdefault(scope, set()).add(f"event {event}")
    for feature, scope in {**used_features(sources), **FEATURE_SCOPES}.items():
        for one in (scope,) if isinstance(scope, str) else scope:
            needs.setdefault(one, set()).add(feature)
    return needs


def test_every_web_api_method_the_app_calls_has_its_scopes_in_the_table() -> None:
    called = called_methods(package_sources())
    assert "chat.postMessage" in called and "files.completeUploadExternal" in called  # the scan finds calls
    unknown = {method: sorted(where) for method, where in called.items() if method not in METHOD_SCOPES}
    assert not unknown, f"add these methods to METHOD_SCOPES with the scopes api.slack.com names: {unknown}"


def test_the_manifest_requests_every_scope_the_app_needs_and_no_other(manifest):
    declared = manifest["oauth_config"]["scopes"]["bot"]
    assert len(declared) == len(set(declared)), "duplicate bot scopes"
    needs = needed_scopes(manifest)
    missing = {scope: sorted(why) for scope, why in needs.items() if scope not in declared}
    assert not missing, f"bot scopes missing from manifest.yml: {missing}"
    unused = set(declared) - set(needs)
    assert not unused, f"bot scopes manifest.yml requests but nothing uses: {sorted(unused)}"


def test_a_new_call_is_found_with_the_method_it_calls() -> None:
    sources = {
        "a.py": 'client.reactions_add(channel=c, name="eyes")\nclient.api_call("pins.add")\nx.not_a_method(1)',
        "b.py": "self.client.chat_postMessage(channel=c, text=t, icon_url=u)",
    }
    assert called_methods(sources) == {"reactions.add": {"a.py"}, "pins.add": {"a.py"}, "chat.postMessage": {"b.py"}}
    assert "reactions.add" not in METHOD_SCOPES  # so a call like it would fail the table test
    assert used_features(sources) == {"posting under another name and avatar": "chat:write.customize"}
