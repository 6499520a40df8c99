// The sandbox page's state and its road to the server: who is acting, what the server last said,
// reading it again (/api/state, on every server-sent event) and acting (/api/act) as that person.
// Shared by the page's modules (app.js renders; messages.js, composer.js, dialogs.js draw parts).

export const page = {
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

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// The page's renderer (app.js): drawn again after every state read and local change.
let renderer = () => {};
export function setRenderer(fn) { renderer = fn; }
export function render() { renderer(); }

export function toast(text) {
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

export async function act(kind, fields) {
  const result = await api("/api/act", { as: page.me, kind, ...fields });
  if (!result.ok && result.error) toast(`${kind}: ${result.error}`);
  refresh();
  return result;
}

export async function refresh() {
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

export function listen() {
  const source = new EventSource("/api/events");
  source.onopen = () => $("live").classList.add("on");
  source.onerror = () => $("live").classList.remove("on");
  source.onmessage = () => {
    refresh();
    if (typeof FaultDrawer !== "undefined") FaultDrawer.refresh(); // faults.js, a classic script
  };
}

// ------------------------------------------------------------------ who and where
export function user(id) {
  return (page.state && page.state.users[id]) || null;
}

export function userName(id) {
  const u = user(id);
  return u ? u.name : null;
}

export function channelName(id) {
  return (page.state && page.state.channels && page.state.channels[id]) || null;
}

// Whether the current person can write (and react) in the pane's conversation, as in Slack.
export function canWrite(pane) {
  const s = page.state;
  if (pane === "dm") return page.me === s.dm.customer;
  if (pane === "shared") return s.shared.members.includes(page.me);
  return s.support.members.includes(page.me);
}

export function conversationOf(pane) {
  const s = page.state;
  return pane === "dm" ? s.dm : pane === "shared" ? s.shared : s.support;
}

// Images only from this page's own server (nothing outside the machine is contacted).
export function imageSrc(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}
