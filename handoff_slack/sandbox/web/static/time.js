// The "⏩ Time" control in the top bar: the sandbox's time (real time plus how far it was moved on),
// and +5 min, +15 min, +1 h. A jump moves the app's clock forward and runs its timers at once
// (/api/time, handoff_slack/sandbox/sandbox_clock.py): reminders, the waiting timeout's offer,
// idle auto-close and the survey after it show within a second or two.

import { $, el, refresh, toast } from "./page.js";

let offsetSeconds = 0;
let drawn = null; // the steps the buttons were drawn for

function label(minutes) {
  return minutes % 60 === 0 ? `+${minutes / 60} h` : `+${minutes} min`;
}

function ahead(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes === 0) return "real time";
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return "+" + (h ? `${h} h` : "") + (h && m ? " " : "") + (m || !h ? `${m} min` : "");
}

function tick() {
  const now = new Date(Date.now() + offsetSeconds * 1000);
  $("time-now").textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  $("time-ahead").textContent = ahead(offsetSeconds);
}

async function jump(minutes, button) {
  button.disabled = true;
  try {
    const response = await fetch("/api/time", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ minutes }),
    });
    const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
    if (!answer.ok) { toast(`time: ${answer.error}`); return; }
    offsetSeconds = answer.offset_seconds;
    tick();
    refresh();
  } finally {
    button.disabled = false;
  }
}

export function renderTime(time) {
  if (!time) return;
  offsetSeconds = time.offset_seconds;
  const steps = time.steps_minutes.join(",");
  if (drawn !== steps) {
    const box = $("time-steps");
    box.replaceChildren(...time.steps_minutes.map((minutes) => {
      const button = el("button", "time-step", label(minutes));
      button.type = "button";
      button.dataset.minutes = String(minutes);
      button.title = `Move the sandbox's clock ${label(minutes)} on: what came due (reminders, offers, idle close) fires now`;
      button.addEventListener("click", () => jump(minutes, button));
      return button;
    }));
    drawn = steps;
  }
  tick();
}

setInterval(tick, 1000);
