// The sandbox page: personas, the customer's DM, the channel shared with the customer's organisation
// (Slack Connect) and the support channel side by side, kept live by server-sent events; every click
// and message goes to /api/act as the chosen person, and the emulator sends it to the app exactly as
// Slack would. This module draws the page from the state (page.js) with its parts: messages.js,
// composer.js, dialogs.js, time.js (the "⏩ Time" control; ES modules; mrkdwn.js, blockkit.js and
// faults.js are classic scripts).

import { renderComposer } from "./composer.js";
import { renderModal } from "./dialogs.js";
import { renderMessages } from "./messages.js";
import { $, canWrite, el, listen, page, refresh, setRenderer, user, userName } from "./page.js";
import { renderTime } from "./time.js";

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
  renderTime(s.time);
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
  // The customers' DMs, and an agent's or admin's own (routing's offers to them arrive there).
  s.personas.filter((p) => p.role === "customer" || p.id === page.me).forEach((p) => {
    const option = el("option", null, p.role === "customer" ? p.label : `${p.label} (your DM)`);
    option.value = p.id;
    option.selected = p.id === s.dm.customer;
    select.appendChild(option);
  });
  select.onchange = () => { page.dmCustomer = select.value; refresh(); };
}

setRenderer(render);
refresh().then(listen);
