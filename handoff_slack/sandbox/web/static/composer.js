// The composer under each pane: a message (in the thread chosen with Reply, its chip saying whose),
// a file (shared with the message), or a slash command, sent as the current person.

import { act, channelName, conversationOf, el, page, render, userName } from "./page.js";

const composers = {};

export function renderComposer(slot, pane, channel, allowed, refusal) {
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

function buildComposer(pane, channel) {
  const root = el("div", "composer");
  root.dataset.pane = pane;
  const chip = el("span", "chip");
  const area = el("textarea");
  area.placeholder = pane === "shared"
    ? `Message #${page.state.shared.name} (@${page.state.bot.name} mentions the app)`
    : "Message, or a slash command: /handoff-queue, /handoff-status, /handoff-agents, /handoff-assign, /handoff-priority, /handoff-watch";
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
