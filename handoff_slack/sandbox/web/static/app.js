// The sandbox page: personas, the customer's DM, the channel shared with the customer's organisation
// (Slack Connect) and the support channel side by side, kept live by server-sent events; every click and message goes to /api/act as the chosen person, and the
// emulator sends it to the app exactly as Slack would.
"use strict";

const page = {
  me: new URLSearchParams(location.search).get("as") || localStorage.getItem("sandbox.as") || "",
  dmCustomer: new URLSearchParams(location.search).get("dm") || "",
  state: null,
  threadTarget: { dm: null, shared: null, channel: null }, // ts of the thread the composer answers in
  picker: null, // {channel, ts}: the message whose emoji picker is open
  editing: null, // {channel, ts, text}
  viewShown: null, // id + hash of the modal on screen (re-rendered only when it changes)
  viewErrors: {},
  refreshing: false,
  again: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!response.ok && data.ok === undefined) data.ok = false;
  return data;
}

async function act(kind, fields) {
  const result = await api("/api/act", { as: page.me, kind, ...fields });
  if (!result.ok && result.error) toast(`${kind}: ${result.error}`);
  refresh();
  return result;
}

// ------------------------------------------------------------------ state
async function refresh() {
  if (page.refreshing) { page.again = true; return; }
  page.refreshing = true;
  try {
    do {
      page.again = false;
      const asked = { as: page.me, dm: page.dmCustomer };
      const state = await api("/api/state?" + new URLSearchParams(asked));
      if (state.ok === false) { toast(state.error || "cannot read the state"); break; }
      // Someone switched persona (or DM) while this was on its way: read again for them.
      if (asked.as !== page.me || asked.dm !== page.dmCustomer) { page.again = true; continue; }
      page.state = state;
      page.me = state.me;
      page.dmCustomer = state.dm.customer;
      render();
    } while (page.again);
  } finally {
    page.refreshing = false;
  }
}

function listen() {
  const source = new EventSource("/api/events");
  source.onopen = () => $("live").classList.add("on");
  source.onerror = () => $("live").classList.remove("on");
  source.onmessage = () => {
    refresh();
    if (typeof FaultDrawer !== "undefined") FaultDrawer.refresh();
  };
}

// ------------------------------------------------------------------ helpers
function user(id) {
  return (page.state && page.state.users[id]) || null;
}

function userName(id) {
  const u = user(id);
  return u ? u.name : null;
}

function channelName(id) {
  return (page.state && page.state.channels && page.state.channels[id]) || null;
}

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
    imageSrc: (url) => (typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null),
    confirm: askConfirm,
    registerInput: () => {},
    errorFor: () => null,
    act: (action) => act("action", { ...container, action }),
  };
}

// ------------------------------------------------------------------ rendering
function render() {
  const s = page.state;
  localStorage.setItem("sandbox.as", page.me);
  renderPersonas(s);
  renderDmChooser(s);
  const meUser = user(page.me);
  $("dm-title").textContent = `DM · ${userName(s.dm.customer)} ↔ ${s.bot.name}`;
  $("channel-title").textContent = `# ${s.support.name}`;
  $("shared-title").textContent = `# ${s.shared.name}`;
  $("shared-tag").textContent = `Slack Connect · ${s.shared.teams.join(" + ")}`;
  renderMessages($("dm-messages"), s.dm, "dm");
  renderMessages($("shared-messages"), s.shared, "shared");
  renderMessages($("channel-messages"), s.support, "channel");
  renderComposer($("dm-composer"), "dm", s.dm.channel, page.me === s.dm.customer,
    `${meUser ? meUser.name : "You"} cannot write in ${userName(s.dm.customer)}'s DM: switch to that customer.`);
  renderComposer($("shared-composer"), "shared", s.shared.channel, canWrite("shared"),
    `${meUser ? meUser.name : "You"} is not a member of #${s.shared.name}.`);
  renderComposer($("channel-composer"), "channel", s.support.channel, canWrite("channel"),
    `${meUser ? meUser.name : "You"} is not a member of #${s.support.name} (customers never see it).`);
  renderModal(s.views || []);
}

// Whether the current person can write (and react) in the pane's conversation, as in Slack.
function canWrite(pane) {
  const s = page.state;
  if (pane === "dm") return page.me === s.dm.customer;
  if (pane === "shared") return s.shared.members.includes(page.me);
  return s.support.members.includes(page.me);
}

function renderPersonas(s) {
  const nav = $("personas");
  nav.replaceChildren();
  s.personas.forEach((p) => {
    const b = el("button", "persona" + (p.id === page.me ? " active" : ""), p.label);
    b.type = "button";
    b.dataset.persona = p.id;
    b.title = `${p.name} · ${p.team_name}`;
    b.appendChild(el("span", "role", p.external ? "external" : p.role));
    b.addEventListener("click", () => {
      page.me = p.id;
      if (p.role === "customer") page.dmCustomer = p.id;
      page.viewShown = null;
      page.editing = null;
      page.threadTarget = { dm: null, shared: null, channel: null };
      page.picker = null;
      refresh();
    });
    nav.appendChild(b);
  });
}

function renderDmChooser(s) {
  const select = $("dm-customer");
  select.replaceChildren();
  s.personas.filter((p) => p.role === "customer").forEach((p) => {
    const option = el("option", null, p.label);
    option.value = p.id;
    option.selected = p.id === s.dm.customer;
    select.appendChild(option);
  });
  select.onchange = () => { page.dmCustomer = select.value; refresh(); };
}

function renderMessages(box, conversation, pane) {
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

// ------------------------------------------------------------------ composer
const composers = {};

function renderComposer(slot, pane, channel, allowed, refusal) {
  if (!allowed) {
    slot.replaceChildren(el("div", "composer-off", refusal));
    delete composers[pane];
    return;
  }
  let c = composers[pane];
  if (!c || c.channel !== channel || !slot.contains(c.root)) {
    c = composers[pane] = buildComposer(pane, channel);
    slot.replaceChildren(c.root);
  }
  const target = page.threadTarget[pane];
  c.chip.replaceChildren();
  c.chip.hidden = !target;
  if (target) {
    // Whose thread: a channel may hold several people's threads at once.
    const root = conversationOf(pane).messages.find((m) => m.ts === target);
    const author = root && (userName(root.user) || (root.bot_id ? page.state.bot.name : null));
    const about = root ? Mrkdwn.render(root.text || "", { userName, channelName }).textContent.replace(/\s+/g, " ").trim() : "";
    const shown = el("span", null, "Replying in thread");
    const start = about.length > 40 ? about.slice(0, 40) + "…" : about;
    if (author || start) shown.appendChild(el("span", "chip-about", ` · ${[author, start].filter(Boolean).join(": ")}`));
    c.chip.appendChild(shown);
    const x = el("button", null, "✕");
    x.type = "button";
    x.title = "Stop replying in the thread";
    x.onclick = () => { page.threadTarget[pane] = null; render(); };
    c.chip.appendChild(x);
  }
}

function conversationOf(pane) {
  const s = page.state;
  return pane === "dm" ? s.dm : pane === "shared" ? s.shared : s.support;
}

function buildComposer(pane, channel) {
  const root = el("div", "composer");
  root.dataset.pane = pane;
  const chip = el("span", "chip");
  const area = el("textarea");
  area.placeholder = pane === "shared"
    ? `Message #${page.state.shared.name} (@${page.state.bot.name} mentions the app)`
    : "Message, or a slash command: /handoff-queue, /handoff-watch";
  const row = el("div", "composer-row");
  const file = el("input");
  file.type = "file";
  file.className = "file-input";
  const send = el("button", "send", "Send");
  send.type = "button";
  const hint = el("span", "hint", "Enter sends · Shift+Enter new line");
  row.append(file, hint, el("span", "spacer"), send);
  root.append(chip, area, row);

  send.onclick = async () => {
    const text = area.value;
    const thread_ts = page.threadTarget[pane] || undefined;
    const chosen = file.files && file.files[0];
    if (!text.trim() && !chosen) return;
    area.value = "";
    if (chosen) {
      file.value = "";
      const content_b64 = await readBase64(chosen);
      await act("file", { channel, thread_ts, text, name: chosen.name, mimetype: chosen.type, content_b64 });
    } else if (text.startsWith("/")) {
      const [command, ...rest] = text.trim().split(/\s+/);
      await act("command", { channel, command, text: rest.join(" ") });
    } else {
      await act("message", { channel, thread_ts, text });
    }
  };
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send.click(); }
  });
  return { root, chip, area, channel };
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// ------------------------------------------------------------------ confirm dialogs
function askConfirm(confirm) {
  return new Promise((resolve) => {
    const overlay = $("confirm-overlay");
    const dialog = el("div", "dialog");
    dialog.setAttribute("role", "alertdialog");
    const head = el("div", "dialog-head");
    head.appendChild(Mrkdwn.textObject(confirm.title || { type: "plain_text", text: "Are you sure?" }, { userName, channelName }));
    const body = el("div", "dialog-body");
    body.appendChild(Mrkdwn.textObject(confirm.text, { userName, channelName }));
    const foot = el("div", "dialog-foot");
    const deny = el("button", "deny", (confirm.deny && confirm.deny.text) || "Cancel");
    const yes = el("button", "confirm" + (confirm.style === "danger" ? " danger" : ""), (confirm.confirm && confirm.confirm.text) || "Yes");
    deny.type = yes.type = "button";
    const done = (answer) => { overlay.hidden = true; overlay.replaceChildren(); resolve(answer); };
    deny.onclick = () => done(false);
    yes.onclick = () => done(true);
    foot.append(deny, yes);
    dialog.append(head, body, foot);
    overlay.replaceChildren(dialog);
    overlay.hidden = false;
    yes.focus();
  });
}

// ------------------------------------------------------------------ modals
function renderModal(views) {
  const overlay = $("modal-overlay");
  const view = views.length ? views[views.length - 1] : null;
  const key = view ? `${view.id}:${view.hash || ""}` : null;
  if (key === page.viewShown) return; // typed values stay while other things change
  page.viewShown = key;
  page.viewErrors = {};
  if (!view) { overlay.hidden = true; overlay.replaceChildren(); return; }
  overlay.replaceChildren(buildModal(view, views.length));
  overlay.hidden = false;
}

function buildModal(view, depth) {
  const inputs = [];
  const modal = el("div", "modal");
  modal.dataset.viewId = view.id;
  modal.dataset.callbackId = view.callback_id || "";
  const head = el("div", "modal-head");
  head.appendChild(Mrkdwn.plain((view.title && view.title.text) || "App"));
  if (depth > 1) head.appendChild(el("span", "modal-stack", `${depth} views`));
  const body = el("div", "modal-body");
  const ctx = {
    userName,
    channelName,
    imageSrc: (url) => (typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null),
    confirm: askConfirm,
    registerInput: (blockId, actionId, read) => inputs.push({ blockId, actionId, read }),
    errorFor: (blockId) => page.viewErrors[blockId] || null,
    act: (action) => act("action", { view_id: view.id, action, values: values() }),
  };
  const values = () => {
    const out = {};
    inputs.forEach(({ blockId, actionId, read }) => { (out[blockId] = out[blockId] || {})[actionId] = read(); });
    return out;
  };
  body.appendChild(BlockKit.blocks(view.blocks, ctx));
  const foot = el("div", "modal-foot");
  const close = el("button", "close", (view.close && view.close.text) || "Cancel");
  close.type = "button";
  close.onclick = () => act("close_view", { view_id: view.id });
  foot.appendChild(close);
  if (view.submit) {
    const submit = el("button", "submit", view.submit.text || "Submit");
    submit.type = "button";
    submit.onclick = async () => {
      submit.disabled = true;
      const result = await act("submit", { view_id: view.id, values: values() });
      submit.disabled = false;
      showErrors(modal, (result && result.errors) || {});
    };
    foot.appendChild(submit);
  }
  modal.append(head, body, foot);
  return modal;
}

function showErrors(modal, errors) {
  page.viewErrors = errors;
  modal.querySelectorAll(".bk-input").forEach((box) => {
    box.classList.remove("has-error");
    box.querySelectorAll(".bk-error").forEach((e) => e.remove());
    const error = errors[box.dataset.blockId];
    if (error) {
      box.classList.add("has-error");
      box.appendChild(el("div", "bk-error", error));
    }
  });
}

refresh().then(listen);
