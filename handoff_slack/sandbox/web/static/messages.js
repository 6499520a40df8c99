// A conversation's messages as Slack shows them to the current person: top-level messages and
// their threads, the person's own ephemeral messages where Slack shows them, Block Kit, attachments,
// files, reactions (with a small emoji picker) and the tools on hover (Reply, React, Edit, Delete).

import { act, canWrite, channelName, el, imageSrc, page, render, user, userName } from "./page.js";
import { askConfirm } from "./dialogs.js";

const COLORS = ["#2d9ee0", "#e8912d", "#2bac76", "#9b59b6", "#e01e5a", "#1264a3", "#7a4a00"];
function avatar(id, name) {
  const hue = [...String(id)].reduce((a, c) => a + c.charCodeAt(0), 0) % COLORS.length;
  const initials = String(name || "?").split(/\s+/).filter(Boolean).map((w) => w[0]).join("").slice(0, 2);
  const box = el("div", "avatar", initials.toUpperCase());
  box.style.background = COLORS[hue];
  return box;
}

function time(ts) {
  const d = new Date(parseFloat(ts) * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function renderContext(container) {
  // What Block Kit needs to act as the current person from inside a message or modal.
  return {
    userName,
    channelName,
    imageSrc,
    confirm: askConfirm,
    registerInput: () => {},
    errorFor: () => null,
    act: (action) => act("action", { ...container, action }),
  };
}

export function renderMessages(box, conversation, pane) {
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const editingValue = document.querySelector(".edit-box textarea");
  if (editingValue && page.editing) page.editing.text = editingValue.value;
  box.replaceChildren();
  const mine = (page.state.ephemerals || []).filter((e) => e.channel === conversation.channel);
  const items = [...conversation.messages.map((m) => ({ m, ephemeral: false })),
                 ...mine.filter((e) => !e.thread_ts).map((m) => ({ m, ephemeral: true }))];
  items.sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
  if (!items.length) box.appendChild(el("div", "empty", "No messages yet."));
  items.forEach(({ m, ephemeral }) => {
    const row = box.appendChild(renderMessage(m, conversation.channel, pane, ephemeral, false));
    if (!ephemeral && m.ts === page.threadTarget[pane]) row.classList.add("replying");
    const replies = [...(m.replies || []).map((r) => ({ r, ephemeral: false })),
                     ...mine.filter((e) => e.thread_ts === m.ts).map((r) => ({ r, ephemeral: true }))];
    replies.sort((a, b) => parseFloat(a.r.ts) - parseFloat(b.r.ts));
    if (replies.length) {
      const thread = el("div", "thread");
      thread.dataset.threadTs = m.ts;
      thread.appendChild(el("div", "thread-label", `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`));
      replies.forEach(({ r, ephemeral: e }) => thread.appendChild(renderMessage(r, conversation.channel, pane, e, true)));
      box.appendChild(thread);
    }
  });
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function renderMessage(m, channel, pane, ephemeral, inThread) {
  const row = el("div", "message" + (ephemeral ? " ephemeral" : ""));
  row.dataset.ts = m.ts;
  const isBot = !!m.bot_id || m.user === page.state.bot.user_id;
  const name = (isBot && m.username) || userName(m.user) || (isBot ? page.state.bot.name : m.user || "someone");
  row.appendChild(avatar(m.user || m.bot_id, name));
  const main = el("div", "msg-main");
  const head = el("div", "msg-head");
  head.appendChild(el("span", "author", name));
  if (isBot) head.appendChild(el("span", "app-tag", "APP"));
  const author = user(m.user);
  if (!isBot && author && author.external) head.appendChild(el("span", "ext-tag", author.team_name));
  head.appendChild(el("span", "time", time(m.ts)));
  if (m.edited) head.appendChild(el("span", "edited", "(edited)"));
  if (ephemeral) head.appendChild(el("span", "only-you", "Only visible to you"));
  main.appendChild(head);

  const editing = page.editing && page.editing.ts === m.ts && page.editing.channel === channel;
  if (editing) main.appendChild(editBox(channel, m));
  else if (m.blocks && m.blocks.length) {
    const container = { channel, message_ts: m.ts, is_ephemeral: ephemeral, thread_ts: m.thread_ts || null };
    main.appendChild(BlockKit.blocks(m.blocks, renderContext(container)));
  } else if (m.text) {
    const text = el("div", "msg-text");
    text.appendChild(Mrkdwn.render(m.text, { userName, channelName }, { block: true }));
    main.appendChild(text);
  }
  (m.attachments || []).forEach((a) => main.appendChild(renderAttachment(a, channel, m, ephemeral)));
  if (m.files && m.files.length) main.appendChild(renderFiles(m.files));
  if (m.reactions && m.reactions.length) main.appendChild(renderReactions(m, channel, pane));
  row.appendChild(main);
  const picking = page.picker && page.picker.ts === m.ts && page.picker.channel === channel;
  if (picking) row.appendChild(emojiPicker(m, channel));

  const tools = el("div", "msg-tools");
  if (!ephemeral && !inThread) tools.appendChild(tool("Reply", "reply", () => {
    page.threadTarget[pane] = m.ts;
    render();
    const box = document.querySelector(`#${pane}-composer textarea`);
    if (box) box.focus();
  }));
  if (!ephemeral && canWrite(pane)) tools.appendChild(tool("React", "react", () => {
    page.picker = picking ? null : { channel, ts: m.ts };
    render();
  }));
  if (!ephemeral && !isBot && m.user === page.me && !editing) {
    tool("Edit", "edit", () => { page.editing = { channel, ts: m.ts, text: m.text || "" }; render(); }, tools);
    tool("Delete", "delete", () => askConfirm({
      title: { type: "plain_text", text: "Delete message" },
      text: { type: "plain_text", text: "Are you sure you want to delete this message?" },
      confirm: { type: "plain_text", text: "Delete" },
      style: "danger",
    }).then((yes) => yes && act("delete", { channel, ts: m.ts })), tools);
  }
  if (tools.childNodes.length) row.appendChild(tools);
  return row;
}

// A few emoji to react with (:ticket: opens a ticket from a customer's message in a served channel).
const EMOJI = { ticket: "🎫", eyes: "👀", white_check_mark: "✅", "+1": "👍", heart: "❤️", pray: "🙏" };

function emojiPicker(m, channel) {
  const box = el("div", "emoji-picker");
  box.setAttribute("role", "menu");
  Object.entries(EMOJI).forEach(([name, glyph]) => {
    const b = el("button", null, glyph);
    b.type = "button";
    b.title = `:${name}:`;
    b.dataset.emoji = name;
    b.onclick = () => { page.picker = null; act("react", { channel, ts: m.ts, name, add: true }); };
    box.appendChild(b);
  });
  return box;
}

function renderReactions(m, channel, pane) {
  const box = el("div", "reactions");
  m.reactions.forEach((r) => {
    const mine = (r.users || []).includes(page.me);
    const chip = el("button", "reaction" + (mine ? " mine" : ""), `${EMOJI[r.name] || `:${r.name}:`} ${r.count}`);
    chip.type = "button";
    chip.dataset.reaction = r.name;
    chip.title = `:${r.name}: by ${(r.users || []).map((u) => userName(u) || u).join(", ")}`;
    chip.disabled = !canWrite(pane);
    chip.onclick = () => act("react", { channel, ts: m.ts, name: r.name, add: !mine });
    box.appendChild(chip);
  });
  return box;
}

function tool(label, name, onClick, parent) {
  const b = el("button", null, label);
  b.type = "button";
  b.dataset.tool = name;
  b.addEventListener("click", onClick);
  if (parent) parent.appendChild(b);
  return b;
}

function editBox(channel, m) {
  const box = el("div", "edit-box composer");
  const area = el("textarea");
  area.value = page.editing.text;
  const row = el("div", "composer-row");
  const cancel = el("button", "bk-button", "Cancel");
  const save = el("button", "send", "Save");
  cancel.type = save.type = "button";
  cancel.onclick = () => { page.editing = null; render(); };
  save.onclick = () => {
    const text = area.value;
    page.editing = null;
    act("edit", { channel, ts: m.ts, text });
  };
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); save.click(); }
    if (e.key === "Escape") cancel.click();
  });
  row.append(el("span", "spacer"), cancel, save);
  box.append(area, row);
  setTimeout(() => area.focus(), 0);
  return box;
}

function renderAttachment(a, channel, m, ephemeral) {
  const box = el("div", "attachment");
  if (a.color) box.style.borderLeftColor = /^#?[0-9a-f]{3,8}$/i.test(a.color) ? (a.color[0] === "#" ? a.color : "#" + a.color) : "#ddd";
  if (a.pretext) box.appendChild(Mrkdwn.render(a.pretext, { userName, channelName }, { block: true }));
  if (a.title) box.appendChild(el("div", "author", a.title));
  if (a.text) box.appendChild(Mrkdwn.render(a.text, { userName, channelName }, { block: true }));
  if (a.blocks) box.appendChild(BlockKit.blocks(a.blocks, renderContext({ channel, message_ts: m.ts, is_ephemeral: ephemeral })));
  if (a.fallback && !a.text && !a.blocks && !a.title) box.appendChild(el("div", null, a.fallback));
  return box;
}

function renderFiles(files) {
  const box = el("div", "files");
  files.forEach((f) => {
    const link = el("a", "file");
    link.href = f.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.dataset.fileId = f.id;
    if ((f.mimetype || "").startsWith("image/")) {
      const img = el("img");
      img.src = f.url;
      img.alt = f.name;
      link.appendChild(img);
    } else {
      link.appendChild(el("span", "file-type", (f.name.split(".").pop() || "file").slice(0, 4).toUpperCase()));
    }
    link.appendChild(el("span", "file-name", `${f.title || f.name} (${f.size} bytes)`));
    box.appendChild(link);
  });
  return box;
}

