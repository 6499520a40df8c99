// Dialogs over the page: a Block Kit confirmation (a button's `confirm`, deleting a message) and
// the person's open modal (views.open/push/update), its inputs read on submit, its errors shown.
// Text from the app only ever becomes text nodes (Mrkdwn and BlockKit, classic scripts, render it).

import { $, act, channelName, el, imageSrc, page, userName } from "./page.js";

export function askConfirm(confirm) {
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
export function renderModal(views) {
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
    imageSrc,
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

