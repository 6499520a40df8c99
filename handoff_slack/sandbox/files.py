"""Files: Slack's external upload flow and private file hosting.

``files.getUploadURLExternal`` hands out an upload URL on the emulator; bytes POSTed there are held
until ``files.completeUploadExternal`` turns them into files (keeping the upload's file ID) and, with
``channel_id``, shares them in one message there (``thread_ts`` for a thread). ``files.info``
reports a shared file's ``shares`` and ``channels``/``groups``/``ims`` as Slack does.
``url_private_download`` serves the bytes back to the bot token only (403 otherwise); a file hosted
with ``redirect_to`` answers an authorised download with a 302 there.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote, unquote

from handoff_slack.sandbox.conversations import Handler
from handoff_slack.sandbox.faults import DROP, FILE_DOWNLOAD, FILE_UPLOAD
from handoff_slack.sandbox.http_replies import drop_connection, send_bytes
from handoff_slack.sandbox.slack_shapes import Call, Params, SlackError, copied, mimetype_of, new_ts
from handoff_slack.sandbox.state import Change
from handoff_slack.sandbox.views import Views

UPLOAD_PATH = "/upload/v1/"
FILES_PATH = "/files-pri/"


class Files(Views):
    def _file_handlers(self) -> dict[str, Handler]:
        return {
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }

    def host_file(
        self,
        name: str,
        content: bytes,
        mimetype: str = "application/octet-stream",
        *,
        title: str | None = None,
        user: str | None = None,
        redirect_to: str | None = None,
    ) -> dict[str, Any]:
        """Host a private file; returns its Slack file object (as ``files`` of a ``file_share`` event).

        ``url_private_download`` is on the emulator and answers only ``Authorization: Bearer <bot token>``
        (403 otherwise). With ``redirect_to`` an authorised download is answered with a 302 there.
        """
        with self._cond:
            return self._new_file(name, content, mimetype, title=title, user=user, redirect_to=redirect_to)

    def shared_files(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Files the bot shared into ``channel`` (in the thread ``thread_ts`` if given) by
        files.completeUploadExternal.

        Oldest first; each is the file object plus ``content`` (the uploaded bytes), ``initial_comment``,
        ``ts`` (of the message that shared it) and ``thread_ts``.
        """
        with self._cond:
            found = []
            for msg in self._messages.get(channel, []):
                if not msg.get("upload") or (thread_ts is not None and msg.get("thread_ts") != thread_ts):
                    continue
                for file in msg.get("files", []):
                    found.append(
                        {
                            **copied(file),
                            "content": self._files[file["id"]]["content"],
                            "initial_comment": msg.get("text", ""),
                            "ts": msg["ts"],
                            "thread_ts": msg.get("thread_ts"),
                        }
                    )
            return found

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes of a hosted or uploaded file (None if unknown or not uploaded yet)."""
        with self._cond:
            hosted = self._files.get(file_id)
            if hosted is not None:
                return bytes(hosted["content"])
            pending = self._pending_uploads.get(file_id)
            return pending.get("content") if pending else None

    # ----------------------------------------------------------------- state
    def _new_file(
        self,
        name: str,
        content: bytes,
        mimetype: str,
        *,
        title: str | None = None,
        user: str | None = None,
        redirect_to: str | None = None,
        file_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a file and return its Slack file object; the caller holds ``_cond``."""
        file_id = file_id or self._new_file_id()
        now = int(time.time())
        owner = user or self.bot_user_id
        owner_team = self._users.get(owner, {}).get("team_id", self.team_id)
        path = f"{self.base_url}{FILES_PATH}{self.team_id}-{file_id}"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        file = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title if title is not None else name,
            "mimetype": mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": owner,
            "user_team": owner_team,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{path}/{quote(name)}",
            "url_private_download": f"{path}/download/{quote(name)}",
            "permalink": f"https://fake.slack.com/files/{owner}/{file_id}/{quote(name)}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{file_id}-0000",
            "is_starred": False,
            "has_rich_preview": False,
            "file_access": "visible",
        }
        self._files[file_id] = {"file": file, "content": bytes(content), "redirect_to": redirect_to}
        self._changed(Change("file", user=owner, detail={"file_id": file_id}))
        return dict(copied(file))

    def _new_file_id(self) -> str:
        self._file_counter += 1
        return f"F{self._file_counter:04d}{uuid.uuid4().hex[:6].upper()}"

    # ----------------------------------------------------------------- Web API methods
    def _files_get_upload_url_external(self, p: Params) -> dict[str, Any]:
        filename = p.get("filename")
        try:
            length = int(p.get("length", ""))
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file_id = self._new_file_id()
        self._pending_uploads[file_id] = {
            "filename": filename,
            "length": length,
            "alt_txt": p.get("alt_txt"),
            "snippet_type": p.get("snippet_type"),
            "content": None,
        }
        return {"upload_url": f"{self.base_url}{UPLOAD_PATH}{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, p: Params) -> dict[str, Any]:
        """Turns uploaded bytes into files and, with ``channel_id``, shares them in one message there."""
        try:
            entries = json.loads(p.get("files") or "")
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise SlackError("invalid_arguments")
        for entry in entries:
            pending = self._pending_uploads.get(str(entry.get("id")))
            if pending is None:
                raise SlackError("file_not_found")
            if pending["content"] is None:
                raise SlackError("file_upload_not_complete")  # nothing was uploaded to its URL
        channel = self._postable_channel({"channel": p["channel_id"]}) if p.get("channel_id") else None
        thread_ts = p.get("thread_ts") or None
        if thread_ts is not None and channel is None:
            raise SlackError("invalid_arguments")
        shared: list[dict[str, Any]] = []
        for entry in entries:
            pending = self._pending_uploads.pop(str(entry["id"]))
            file = self._new_file(
                pending["filename"],
                pending["content"],
                mimetype_of(pending["filename"]),
                title=entry.get("title") or pending["filename"],
                file_id=str(entry["id"]),  # the file keeps the ID its upload was given
            )
            shared.append(file)
        if channel is not None:
            self._share_files(channel, shared, p.get("initial_comment") or "", thread_ts, self.bot_user_id)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _share_files(
        self, channel: str, shared: list[dict[str, Any]], comment: str, thread_ts: str | None, user: str
    ) -> dict[str, Any]:
        """Post one message sharing ``shared`` files in ``channel``; the caller holds ``_cond``."""
        ts = new_ts()
        msg: dict[str, Any] = {
            "type": "message",
            "text": comment,
            "user": user,
            "ts": ts,
            "files": [copied(f) for f in shared],
            "upload": True,
            "display_as_bot": False,
        }
        if user == self.bot_user_id:
            msg["bot_id"] = self.bot_id
        if thread_ts is not None:
            msg["thread_ts"] = thread_ts
        self._store_message(channel, msg)
        kind = "private" if channel[0] in "DG" else "public"
        for file in shared:
            share = {"ts": ts, **({"thread_ts": thread_ts} if thread_ts else {})}
            file.setdefault("shares", {}).setdefault(kind, {})[channel] = [share]
            file["ims" if channel.startswith("D") else "groups" if channel.startswith("G") else "channels"] = [channel]
            self._files[file["id"]]["file"] = file
        return msg

    def _files_info(self, p: Params) -> dict[str, Any]:
        hosted = self._files.get(str(p.get("file") or ""))
        if hosted is None:
            raise SlackError("file_not_found")
        return {"file": copied(hosted["file"]), "comments": [], "response_metadata": {"next_cursor": ""}}

    # ----------------------------------------------------------------- HTTP: upload URLs, private files
    def _handle_file_http(self, req: BaseHTTPRequestHandler, path: str, raw: bytes, headers: dict[str, str]) -> None:
        """POSTs to upload URLs store bytes; GETs of ``url_private_download`` need the bot token."""
        method = FILE_UPLOAD if path.startswith(UPLOAD_PATH) else FILE_DOWNLOAD
        with self._cond:
            self._wait_while_held(method)
            delay, fault = self._take_delay_and_fault(method, {"path": path})
        if delay is not None:
            time.sleep(delay.seconds)  # simulates a slow server; not test synchronisation
        data, content_type, extra_headers = b"", "text/plain", {}
        params: dict[str, Any]
        with self._cond:
            if fault is not None:
                status, params = fault.status, {"path": path}
                data = (fault.error or "error").encode()
            elif method == FILE_UPLOAD:
                file_id = path[len(UPLOAD_PATH) :]
                params = {"file_id": file_id, "length": len(raw)}
                pending = self._pending_uploads.get(file_id)
                if req.command != "POST" or pending is None:
                    status, data = 404, b"not found"
                elif len(raw) != pending["length"]:
                    status, data = 400, b"length mismatch"
                else:
                    pending["content"] = bytes(raw)
                    status, data = 200, f"OK - {len(raw)}".encode()
            else:
                # /files-pri/<team>-<file id>/download/<name> (or /<name> for url_private)
                segment = unquote(path[len(FILES_PATH) :]).split("/", 1)[0]
                file_id = segment.split("-", 1)[-1]
                params = {"file_id": file_id, "path": path}
                hosted = self._files.get(file_id)
                auth = headers.get("authorization", "")
                if hosted is None:
                    status, data = 404, b"not found"
                elif auth != f"Bearer {self.bot_token}":
                    status, data = 403, b"forbidden"
                elif hosted["redirect_to"]:
                    status, extra_headers = 302, {"Location": hosted["redirect_to"]}
                else:
                    status, data = 200, hosted["content"]
                    content_type = hosted["file"].get("mimetype") or "application/octet-stream"
            size = len(data) if method == FILE_DOWNLOAD else len(raw)
            response: dict[str, Any] = {"ok": status == 200, "bytes": size}
            if status != 200:
                response["error"] = data.decode("utf-8", "replace") or str(status)
            self._calls.append(Call(method, params, status, response, time.time(), headers))
            self._cond.notify_all()
        with contextlib.suppress(OSError):  # the client gave up meanwhile
            if fault is not None and fault.status == DROP:
                drop_connection(req)
            else:
                send_bytes(req, status, data, content_type, extra_headers)
