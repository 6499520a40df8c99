// The "Slack faults" drawer: arm 429s, 500s, slow answers or dropped connections on the emulated
// Slack for one Web API method (and optionally one channel), for the next N calls or until healed;
// shows what is armed and how many calls each still takes. Backed by /api/faults.
"use strict";

const FaultDrawer = (() => {
  const $ = (id) => document.getElementById(id);
  let loaded = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  async function call(path, body) {
    const response = await fetch(path, body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  }

  function fill(select, items) {
    const chosen = select.value;
    select.replaceChildren(...items.map(([value, label]) => {
      const option = el("option", null, label);
      option.value = value;
      return option;
    }));
    if (items.some(([value]) => value === chosen)) select.value = chosen;
  }

  function describe(fault, channels) {
    const what = fault.kind === "slow" ? `slow (${fault.seconds} s)`
      : fault.kind === "drop" ? "dropped connection"
      : fault.status === 429 ? `429 (Retry-After ${fault.retry_after ?? "none"})` : `${fault.status} ${fault.error}`;
    const channel = fault.channel === null ? "any channel"
      : (channels.find((c) => c.id === fault.channel) || { label: fault.channel }).label;
    const left = fault.left === null ? "until healed" : `${fault.left} left`;
    return `${what} · ${fault.method} · ${channel} · ${left}`;
  }

  function show(state) {
    if (!state || state.ok === false) {
      $("faults-message").textContent = (state && state.error) || "cannot read the faults";
      return;
    }
    $("faults-message").textContent = "";
    fill($("fault-method"), state.methods.map((m) => [m, m]));
    fill($("fault-channel"), [["", "any channel"], ...state.channels.map((c) => [c.id, c.label])]);
    const list = $("faults-armed");
    list.replaceChildren(...state.armed.map((fault) => el("li", "armed-fault", describe(fault, state.channels))));
    if (!state.armed.length) list.appendChild(el("li", "armed-none", "Nothing armed: Slack answers normally."));
    $("faults-toggle").classList.toggle("armed", state.armed.length > 0);
    loaded = true;
  }

  async function refresh() {
    if ($("faults-drawer").hidden && loaded) return;
    show(await call("/api/faults"));
  }

  function syncFields() {
    const kind = $("fault-kind").value;
    $("fault-retry-field").hidden = kind !== "429";
    $("fault-seconds-field").hidden = kind !== "slow";
    $("fault-count").disabled = $("fault-forever").checked;
  }

  async function arm() {
    const kind = $("fault-kind").value;
    const request = {
      method: $("fault-method").value,
      channel: $("fault-channel").value,
      kind,
      count: $("fault-forever").checked ? null : Number($("fault-count").value),
    };
    if (kind === "429") request.retry_after = Number($("fault-retry-after").value);
    if (kind === "slow") request.seconds = Number($("fault-seconds").value);
    show(await call("/api/faults", request));
  }

  function init() {
    $("faults-toggle").addEventListener("click", () => {
      $("faults-drawer").hidden = !$("faults-drawer").hidden;
      refresh();
    });
    $("faults-close").addEventListener("click", () => ($("faults-drawer").hidden = true));
    $("fault-kind").addEventListener("change", syncFields);
    $("fault-forever").addEventListener("change", syncFields);
    $("fault-arm").addEventListener("click", arm);
    $("faults-heal").addEventListener("click", async () => show(await call("/api/faults/heal", {})));
    syncFields();
    refresh();
  }

  return { init, refresh };
})();

FaultDrawer.init();
