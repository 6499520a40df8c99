// Block Kit as DOM: blocks of messages and modals, their interactive elements, and the values of
// a modal's inputs. Unknown block and element types are shown as their JSON, never dropped.
// Text from the app only ever becomes text nodes (Mrkdwn renders without innerHTML).
"use strict";

const BlockKit = (() => {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function unknown(kind, obj) {
    const box = el("div", "unknown");
    box.appendChild(el("div", "unknown-label", `Unknown ${kind} type: ${obj && obj.type}`));
    box.appendChild(el("pre", "json", JSON.stringify(obj, null, 2)));
    return box;
  }

  function textOf(obj) {
    return obj && typeof obj.text === "string" ? obj.text : "";
  }

  // An image: only from this page's own server (nothing outside the machine is contacted);
  // anything else is shown as a placeholder naming it.
  function image(url, alt, className, ctx) {
    const src = ctx.imageSrc(url);
    if (src) {
      const img = el("img", className);
      img.src = src;
      img.alt = alt || "";
      return img;
    }
    const box = el("span", (className || "") + " image-placeholder", "🖼 " + (alt || "image"));
    box.title = String(url || "");
    return box;
  }

  function withConfirm(element, ctx, run) {
    if (!element.confirm) return run();
    return ctx.confirm(element.confirm).then((yes) => (yes ? run() : undefined));
  }

  function optionList(element) {
    const options = [];
    (element.options || []).forEach((o) => options.push(o));
    (element.option_groups || []).forEach((g) => (g.options || []).forEach((o) => options.push(o)));
    return options;
  }

  function plainOption(o) {
    return { text: o.text, value: o.value };
  }

  // Interactive elements. `input` is true inside an input block: values are collected on submit
  // instead of being sent as block_actions (unless the input block has dispatch_action).
  const ELEMENTS = {
    button(element, blockId, ctx) {
      const b = el("button", "bk-button" + (element.style ? " " + element.style : ""));
      b.type = "button";
      b.appendChild(Mrkdwn.textObject(element.text, ctx));
      b.dataset.actionId = element.action_id || "";
      b.addEventListener("click", () =>
        withConfirm(element, ctx, () => {
          const href = element.url && Mrkdwn.safeHref(element.url);
          if (href) window.open(href, "_blank", "noopener");
          const action = { type: "button", action_id: element.action_id, block_id: blockId, text: element.text };
          if (element.value !== undefined) action.value = element.value;
          if (element.style) action.style = element.style;
          return ctx.act(action);
        })
      );
      return b;
    },

    static_select(element, blockId, ctx, input) {
      const select = el("select", "bk-select");
      select.dataset.actionId = element.action_id || "";
      const placeholder = el("option", null, textOf(element.placeholder) || "Select an item");
      placeholder.value = "";
      select.appendChild(placeholder);
      const options = optionList(element);
      options.forEach((o, i) => {
        const option = el("option", null, textOf(o.text));
        option.value = String(i);
        if (element.initial_option && element.initial_option.value === o.value) option.selected = true;
        select.appendChild(option);
      });
      const selected = () => (select.value === "" ? null : plainOption(options[Number(select.value)]));
      if (input) {
        ctx.registerInput(blockId, element.action_id, () => ({ type: "static_select", selected_option: selected() }));
      }
      if (!input || input.dispatch) {
        select.addEventListener("change", () => {
          if (select.value === "") return;
          withConfirm(element, ctx, () =>
            ctx.act({ type: "static_select", action_id: element.action_id, block_id: blockId, selected_option: selected() })
          );
        });
      }
      return select;
    },

    multi_static_select(element, blockId, ctx, input) {
      const select = el("select", "bk-select");
      select.multiple = true;
      select.dataset.actionId = element.action_id || "";
      const options = optionList(element);
      const initial = new Set((element.initial_options || []).map((o) => o.value));
      options.forEach((o, i) => {
        const option = el("option", null, textOf(o.text));
        option.value = String(i);
        option.selected = initial.has(o.value);
        select.appendChild(option);
      });
      const chosen = () => Array.from(select.selectedOptions).map((o) => plainOption(options[Number(o.value)]));
      if (input) ctx.registerInput(blockId, element.action_id, () => ({ type: "multi_static_select", selected_options: chosen() }));
      else select.addEventListener("change", () => ctx.act({ type: "multi_static_select", action_id: element.action_id, block_id: blockId, selected_options: chosen() }));
      return select;
    },

    overflow(element, blockId, ctx) {
      const wrap = el("span", "bk-overflow");
      const toggle = el("button", "bk-button overflow-toggle", "⋯");
      toggle.type = "button";
      toggle.dataset.actionId = element.action_id || "";
      const menu = el("div", "overflow-menu");
      menu.hidden = true;
      (element.options || []).forEach((o) => {
        const item = el("button", "overflow-item");
        item.type = "button";
        item.appendChild(Mrkdwn.textObject(o.text, ctx));
        item.addEventListener("click", () => {
          menu.hidden = true;
          withConfirm(element, ctx, () =>
            ctx.act({ type: "overflow", action_id: element.action_id, block_id: blockId, selected_option: plainOption(o) })
          );
        });
        menu.appendChild(item);
      });
      toggle.addEventListener("click", () => (menu.hidden = !menu.hidden));
      wrap.append(toggle, menu);
      return wrap;
    },

    plain_text_input(element, blockId, ctx, input) {
      const field = el(element.multiline ? "textarea" : "input", "bk-text-input");
      if (!element.multiline) field.type = "text";
      field.placeholder = textOf(element.placeholder);
      if (element.initial_value) field.value = element.initial_value;
      if (element.max_length) field.maxLength = element.max_length;
      field.dataset.actionId = element.action_id || "";
      ctx.registerInput(blockId, element.action_id, () => ({ type: "plain_text_input", value: field.value === "" ? null : field.value }));
      return field;
    },

    number_input(element, blockId, ctx) {
      const field = el("input", "bk-text-input");
      field.type = "number";
      if (element.initial_value) field.value = element.initial_value;
      field.dataset.actionId = element.action_id || "";
      ctx.registerInput(blockId, element.action_id, () => ({ type: "number_input", value: field.value === "" ? null : field.value }));
      return field;
    },

    email_text_input(element, blockId, ctx) {
      const field = el("input", "bk-text-input");
      field.type = "email";
      if (element.initial_value) field.value = element.initial_value;
      field.dataset.actionId = element.action_id || "";
      ctx.registerInput(blockId, element.action_id, () => ({ type: "email_text_input", value: field.value === "" ? null : field.value }));
      return field;
    },

    checkboxes(element, blockId, ctx, input) {
      return choices(element, blockId, ctx, input, "checkbox");
    },

    radio_buttons(element, blockId, ctx, input) {
      return choices(element, blockId, ctx, input, "radio");
    },

    image(element, blockId, ctx) {
      return image(element.image_url, element.alt_text, "bk-accessory-image", ctx);
    },
  };

  let radioGroups = 0;

  function choices(element, blockId, ctx, input, kind) {
    const box = el("div", "bk-choices");
    const name = `choice-${++radioGroups}`;
    const initial = new Set(
      (element.initial_options || (element.initial_option ? [element.initial_option] : [])).map((o) => o.value)
    );
    const boxes = (element.options || []).map((o) => {
      const label = el("label", "bk-choice");
      const tick = el("input");
      tick.type = kind;
      tick.name = name;
      tick.checked = initial.has(o.value);
      label.append(tick, Mrkdwn.textObject(o.text, ctx));
      box.appendChild(label);
      return [tick, o];
    });
    const chosen = () => boxes.filter(([tick]) => tick.checked).map(([, o]) => plainOption(o));
    const value = () =>
      kind === "checkbox"
        ? { type: "checkboxes", selected_options: chosen() }
        : { type: "radio_buttons", selected_option: chosen()[0] || null };
    if (input) ctx.registerInput(blockId, element.action_id, value);
    else boxes.forEach(([tick]) => tick.addEventListener("change", () => ctx.act({ action_id: element.action_id, block_id: blockId, ...value() })));
    return box;
  }

  function element(obj, blockId, ctx, input) {
    const render = obj && ELEMENTS[obj.type];
    return render ? render(obj, blockId, ctx, input) : unknown("element", obj);
  }

  const BLOCKS = {
    header(block, ctx) {
      const h = el("div", "bk-header");
      h.appendChild(Mrkdwn.textObject(block.text, ctx));
      return h;
    },

    divider() {
      return el("hr", "bk-divider");
    },

    section(block, ctx) {
      const box = el("div", "bk-section");
      const body = el("div", "bk-section-body");
      if (block.text) body.appendChild(Mrkdwn.textObject(block.text, ctx));
      if (block.fields && block.fields.length) {
        const fields = el("div", "bk-fields");
        block.fields.forEach((f) => {
          const cell = el("div", "bk-field");
          cell.appendChild(Mrkdwn.textObject(f, ctx));
          fields.appendChild(cell);
        });
        body.appendChild(fields);
      }
      box.appendChild(body);
      if (block.accessory) {
        const accessory = el("div", "bk-accessory");
        accessory.appendChild(element(block.accessory, block.block_id, ctx, null));
        box.appendChild(accessory);
      }
      return box;
    },

    context(block, ctx) {
      const box = el("div", "bk-context");
      (block.elements || []).forEach((e) => {
        if (e.type === "image") box.appendChild(image(e.image_url, e.alt_text, "bk-context-image", ctx));
        else if (e.type === "mrkdwn" || e.type === "plain_text") box.appendChild(Mrkdwn.textObject(e, ctx));
        else box.appendChild(unknown("context element", e));
      });
      return box;
    },

    actions(block, ctx) {
      const box = el("div", "bk-actions");
      (block.elements || []).forEach((e) => box.appendChild(element(e, block.block_id, ctx, null)));
      return box;
    },

    image(block, ctx) {
      const box = el("figure", "bk-image");
      if (block.title) box.appendChild(el("figcaption", null, textOf(block.title)));
      box.appendChild(image(block.image_url, block.alt_text, "bk-image-img", ctx));
      return box;
    },

    input(block, ctx) {
      const box = el("div", "bk-input");
      box.dataset.blockId = block.block_id || "";
      const label = el("label", "bk-input-label");
      label.appendChild(Mrkdwn.plain(textOf(block.label)));
      if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
      box.appendChild(label);
      box.appendChild(element(block.element, block.block_id, ctx, { dispatch: !!block.dispatch_action }));
      if (block.hint) box.appendChild(el("div", "bk-hint", textOf(block.hint)));
      const error = ctx.errorFor(block.block_id);
      if (error) {
        box.classList.add("has-error");
        box.appendChild(el("div", "bk-error", error));
      }
      return box;
    },

    rich_text(block, ctx) {
      // The text of rich_text sections, lists and quotes; styles beyond that are not drawn.
      const box = el("div", "bk-rich-text");
      const walk = (node, parent) => {
        if (!node) return;
        if (node.type === "text") parent.appendChild(document.createTextNode(node.text || ""));
        else if (node.type === "user") parent.appendChild(el("span", "mention", "@" + (ctx.userName(node.user_id) || node.user_id)));
        else if (node.type === "link") {
          const href = Mrkdwn.safeHref(node.url || "");
          const a = el(href ? "a" : "span", null, node.text || node.url);
          if (href) {
            a.href = href;
            a.rel = "noopener noreferrer";
            a.target = "_blank";
          }
          parent.appendChild(a);
        } else if (node.type === "emoji") parent.appendChild(document.createTextNode(`:${node.name}:`));
        else if (Array.isArray(node.elements)) {
          const tag = node.type === "rich_text_preformatted" ? "pre" : node.type === "rich_text_quote" ? "blockquote" : "div";
          const child = el(tag);
          node.elements.forEach((e) => walk(e, child));
          parent.appendChild(child);
        } else parent.appendChild(unknown("rich text element", node));
      };
      (block.elements || []).forEach((e) => walk(e, box));
      return box;
    },
  };

  function blocks(list, ctx) {
    const box = el("div", "blocks");
    (list || []).forEach((block) => {
      const render = block && BLOCKS[block.type];
      const node = render ? render(block, ctx) : unknown("block", block);
      node.dataset.blockType = block && block.type;
      box.appendChild(node);
    });
    return box;
  }

  return { blocks, unknown, image };
})();
