// Slack's mrkdwn as DOM nodes: *bold*, _italic_, ~strike~, `code`, ```pre```, <url|label>,
// <@U…> mentions, <#C…|name> channels, <!here>. Never innerHTML: text only ever becomes text nodes.
"use strict";

const Mrkdwn = (() => {
  // Slack escapes &, < and > in message text; show them as the characters they stand for.
  function unescapeEntities(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function safeHref(url) {
    const trimmed = url.trim();
    if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
    return null; // javascript:, data: and friends are shown as text, never followed
  }

  // <...> references: links, mentions, channels, special mentions.
  function reference(inner, ctx) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : "";
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const span = document.createElement("span");
      span.className = "mention";
      span.textContent = "@" + (ctx.userName(id) || unescapeEntities(label) || id);
      return span;
    }
    if (target.startsWith("#")) {
      const span = document.createElement("span");
      span.className = "mention";
      const id = target.slice(1);
      span.textContent = "#" + ((ctx.channelName && ctx.channelName(id)) || unescapeEntities(label) || id);
      return span;
    }
    if (target.startsWith("!date^")) {
      return document.createTextNode(unescapeEntities(label || target.split("^")[1] || ""));
    }
    if (target.startsWith("!")) {
      const span = document.createElement("span");
      span.className = "mention";
      const word = target.slice(1).split("^")[0];
      const shown = unescapeEntities(label || word);
      span.textContent = shown.startsWith("@") ? shown : "@" + shown;
      return span;
    }
    const href = safeHref(unescapeEntities(target));
    const shown = unescapeEntities(label || target);
    if (!href) return document.createTextNode(shown);
    const a = document.createElement("a");
    a.href = href;
    a.textContent = shown;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  const STYLES = [
    ["*", "strong"],
    ["_", "em"],
    ["~", "s"],
  ];

  // Inline markup inside one line of text (no code spans here: handled before).
  // The emoji the app's own messages use; others stay as their :name:.
  // tests/sandbox/test_sandbox_emoji.py checks that every one the app's messages use is here.
  const EMOJI = {
    warning: "⚠️", white_check_mark: "✅", speech_balloon: "💬", tada: "🎉",
    no_entry_sign: "🚫", hourglass_flowing_sand: "⏳", wave: "👋", eyes: "👀", crescent_moon: "🌙",
    stop_sign: "🛑", zzz: "💤", envelope: "✉️", incoming_envelope: "📨", rotating_light: "🚨",
    robot_face: "🤖", hourglass: "⌛", alarm_clock: "⏰", white_circle: "⚪", ticket: "🎫", star: "⭐",
    small_red_triangle: "🔺", small_blue_diamond: "🔹", rage: "😡", point_up: "☝️", lock: "🔒",
    large_yellow_circle: "🟡", large_green_circle: "🟢", bulb: "💡", arrows_counterclockwise: "🔄",
  };

  function emoji(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  function inline(text, ctx, parent) {
    let i = 0;
    let buffer = "";
    const flush = () => {
      if (buffer) parent.appendChild(document.createTextNode(emoji(unescapeEntities(buffer))));
      buffer = "";
    };
    while (i < text.length) {
      const ch = text[i];
      if (ch === "<") {
        const end = text.indexOf(">", i + 1);
        if (end > i + 1) {
          flush();
          parent.appendChild(reference(text.slice(i + 1, end), ctx));
          i = end + 1;
          continue;
        }
      }
      if (ch === "`") {
        const end = text.indexOf("`", i + 1);
        if (end > i + 1) {
          flush();
          const code = document.createElement("code");
          code.textContent = unescapeEntities(text.slice(i + 1, end));
          parent.appendChild(code);
          i = end + 1;
          continue;
        }
      }
      const style = STYLES.find(([mark]) => mark === ch);
      const before = i === 0 ? " " : text[i - 1];
      if (style && /[\s(\[{"'>]/.test(before)) {
        const end = text.indexOf(ch, i + 1);
        if (end > i + 1 && !/\s/.test(text[i + 1]) && !/\s/.test(text[end - 1])) {
          flush();
          const node = document.createElement(style[1]);
          inline(text.slice(i + 1, end), ctx, node);
          parent.appendChild(node);
          i = end + 1;
          continue;
        }
      }
      buffer += ch;
      i += 1;
    }
    flush();
  }

  // Block level: ``` fences become <pre>, the rest is lines of inline markup (quotes with "&gt;").
  function render(text, ctx, options) {
    const container = document.createElement(options && options.block ? "div" : "span");
    container.className = "mrkdwn";
    const parts = String(text == null ? "" : text).split("```");
    parts.forEach((part, index) => {
      if (index % 2 === 1 && index < parts.length - 1) {
        const pre = document.createElement("pre");
        pre.textContent = unescapeEntities(part.replace(/^\n/, ""));
        container.appendChild(pre);
        return;
      }
      const chunk = index % 2 === 1 ? "```" + part : part;
      chunk.split("\n").forEach((line, n, lines) => {
        if (line.startsWith("&gt; ") || line === "&gt;") {
          const quote = document.createElement("span");
          quote.className = "quote";
          inline(line.replace(/^&gt; ?/, ""), ctx, quote);
          container.appendChild(quote);
        } else {
          inline(line, ctx, container);
        }
        if (n < lines.length - 1) container.appendChild(document.createElement("br"));
      });
    });
    return container;
  }

  function plain(text) {
    const span = document.createElement("span");
    span.textContent = String(text == null ? "" : text);
    return span;
  }

  // A Block Kit text object: {type: "mrkdwn" | "plain_text", text}.
  function textObject(obj, ctx) {
    if (!obj) return document.createTextNode("");
    if (typeof obj === "string") return render(obj, ctx);
    if (obj.type === "mrkdwn") return render(obj.text, ctx);
    return plain(obj.text);
  }

  return { render, plain, textObject, safeHref };
})();
