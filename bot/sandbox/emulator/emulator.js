"use strict";
// The emulator page: a Slack channel drawn from what the Slack stand-in holds. Every string that came from the bot
// goes into the page through text nodes (never innerHTML), so a reply cannot inject markup.
(function () {
  const CONFIG = JSON.parse(document.getElementById("config").textContent);
  const POLL_MS = 600;
  const EMOJI = {
    traffic_light: "\ud83d\udea5", thinking_face: "\ud83e\udd14", raised_hand: "\u270b", ok_hand: "\ud83d\udc4c",
    electric_plug: "\ud83d\udd0c", bust_in_silhouette: "\ud83d\udc64",
    white_check_mark: "\u2705", heavy_check_mark: "\u2714\ufe0f", x: "\u274c", warning: "\u26a0\ufe0f",
    rocket: "\ud83d\ude80", hourglass: "\u231b", hourglass_flowing_sand: "\u23f3", lock: "\ud83d\udd12",
    grey_question: "\u2754", rewind: "\u23ea",
    key: "\ud83d\udd11", link: "\ud83d\udd17", newspaper: "\ud83d\udcf0", tada: "\ud83c\udf89", eyes: "\ud83d\udc40", red_circle: "\ud83d\udd34",
    large_green_circle: "\ud83d\udfe2", large_yellow_circle: "\ud83d\udfe1", large_blue_circle: "\ud83d\udd35",
    white_circle: "\u26aa", no_entry: "\u26d4", no_entry_sign: "\ud83d\udeab", octagonal_sign: "\ud83d\uded1",
    information_source: "\u2139\ufe0f", arrows_counterclockwise: "\ud83d\udd04", arrow_right: "\u27a1\ufe0f",
    speech_balloon: "\ud83d\udcac", construction: "\ud83d\udea7", bulb: "\ud83d\udca1", gear: "\u2699\ufe0f",
    mag: "\ud83d\udd0d", memo: "\ud83d\udcdd", calendar: "\ud83d\udcc5", bell: "\ud83d\udd14", no_bell: "\ud83d\udd15",
    leftwards_arrow_with_hook: "\u21a9\ufe0f", fast_forward: "\u23e9", twisted_rightwards_arrows: "\ud83d\udd00",
    wastebasket: "\ud83d\uddd1\ufe0f", package: "\ud83d\udce6", sparkles: "\u2728", thumbsup: "\ud83d\udc4d",
    "+1": "\ud83d\udc4d", stopwatch: "\u23f1\ufe0f", zap: "\u26a1", ship: "\ud83d\udea2", seedling: "\ud83c\udf31",
    clipboard: "\ud83d\udccb", bar_chart: "\ud83d\udcca", hammer_and_wrench: "\ud83d\udee0\ufe0f", wave: "\ud83d\udc4b",
  };
  const COLORS = ["#e8912d", "#2bac76", "#1264a3", "#e01e5a", "#4a154b", "#36c5f0"];
  const WELCOME_HIDDEN = "pscale-sandbox-welcome-hidden";

  const state = {
    user: CONFIG.users[0].id,
    pane: "channel", // "channel"; "dm": the person's direct messages with the bot; "home": the app's Home tab
    home: null, // the Home view the app last published for the person
    thread: null, // ts of the message whose thread is open beside the channel
    generation: null, // the stand-in's: when it changes (Reset), everything shown is gone
    cursor: 0,
    messages: new Map(), // ts → message, of every conversation the person sees
    notes: [],
    modal: null,
    modalFields: [],
    seenDm: 0,
    busy: false,
    welcome: !storageGet(WELCOME_HIDDEN),
  };
  const $ = (id) => document.getElementById(id);
  const listEl = $("messages");

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }
  function storageSet(key, value) {
    try { if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value); }
    catch (error) { /* a private window without storage: the greeting just comes back next time */ }
  }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function me() { return CONFIG.users.find((u) => u.id === state.user); }
  function here() { return state.pane === "channel" ? CONFIG.channel.id : me().dm; }

  // ---- mrkdwn ----------------------------------------------------------------------------------------------
  function unescapeSlack(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }
  function emojify(text) {
    return text.replace(/:([a-z0-9_+\-]+):/g, (whole, name) => EMOJI[name] || whole);
  }
  function safeHref(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : null;
  }
  function ordinal(n) {
    const s = ["th", "st", "nd", "rd"], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }
  function dayWord(date) {
    const today = new Date(); today.setHours(0, 0, 0, 0);
    const that = new Date(date); that.setHours(0, 0, 0, 0);
    const days = Math.round((that - today) / 86400000);
    return days === 0 ? "Today" : days === -1 ? "Yesterday" : days === 1 ? "Tomorrow" : null;
  }
  function ago(date) {
    const seconds = Math.round((Date.now() - date.getTime()) / 1000);
    const future = seconds < 0, s = Math.abs(seconds);
    const [n, unit] = s < 60 ? [s, "second"] : s < 3600 ? [Math.round(s / 60), "minute"]
      : s < 86400 ? [Math.round(s / 3600), "hour"] : [Math.round(s / 86400), "day"];
    const phrase = n + " " + unit + (n === 1 ? "" : "s");
    return future ? "in " + phrase : phrase + " ago";
  }
  function formatDate(seconds, template) {
    const d = new Date(seconds * 1000);
    const month = (style) => d.toLocaleDateString(undefined, { month: style });
    const weekday = d.toLocaleDateString(undefined, { weekday: "long" });
    const pad = (n) => String(n).padStart(2, "0");
    const parts = {
      date_num: d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()),
      date: month("long") + " " + ordinal(d.getDate()) + ", " + d.getFullYear(),
      date_short: month("short") + " " + d.getDate() + ", " + d.getFullYear(),
      date_long: weekday + ", " + month("long") + " " + ordinal(d.getDate()) + ", " + d.getFullYear(),
      time: d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" }),
      time_secs: d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
      ago: ago(d),
    };
    parts.date_pretty = dayWord(d) || parts.date;
    parts.date_short_pretty = dayWord(d) || parts.date_short;
    parts.date_long_pretty = dayWord(d) || parts.date_long;
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in parts ? parts[key] : whole));
  }
  function userName(id) {
    const user = CONFIG.users.find((u) => u.id === id);
    if (user) return user.name;
    return id === CONFIG.bot.id ? CONFIG.bot.name : id;
  }
  function controlSequence(inner) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? unescapeSlack(inner.slice(bar + 1)) : null;
    if (target.startsWith("@")) return el("span", "mention", "@" + (label || userName(target.slice(1))));
    if (target.startsWith("#")) return el("span", "mention", "#" + (label || (target.slice(1) === CONFIG.channel.id ? CONFIG.channel.name : target.slice(1))));
    if (target.startsWith("!date^")) {
      const [, stamp, template, link] = target.split("^");
      const seconds = Number(stamp);
      const text = Number.isFinite(seconds) ? formatDate(seconds, template || "{date_short}") : (label || target);
      const href = link && safeHref(unescapeSlack(link));
      if (!href) return el("time", "date", text);
      const a = el("a", "", text); a.href = href; a.target = "_blank"; a.rel = "noopener"; return a;
    }
    if (target.startsWith("!subteam^")) return el("span", "mention", label || "@group");
    if (target.startsWith("!")) return el("span", "mention", "@" + target.slice(1));
    const url = unescapeSlack(target), href = safeHref(url);
    if (!href) return document.createTextNode(label || url);
    const a = el("a", "", label || url); a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }
  // Leftmost match wins: a control sequence, or *bold* / _italic_ / ~strike~ between word boundaries.
  const INLINE = /<([^<>\n]+)>|(?<![A-Za-z0-9])([*_~])(?=\S)([^\n]*?\S)\2(?![A-Za-z0-9])/g;
  function formatted(text, parent) {
    let last = 0;
    INLINE.lastIndex = 0;
    const matches = [...text.matchAll(INLINE)];
    for (const m of matches) {
      if (m.index < last) continue;
      parent.appendChild(document.createTextNode(emojify(unescapeSlack(text.slice(last, m.index)))));
      if (m[1] !== undefined) {
        parent.appendChild(controlSequence(m[1]));
      } else {
        const tag = { "*": "b", "_": "i", "~": "s" }[m[2]];
        const node = el(tag);
        formatted(m[3], node);
        parent.appendChild(node);
      }
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(emojify(unescapeSlack(text.slice(last)))));
  }
  function inline(text, parent) {
    text.split(/`([^`\n]+)`/).forEach((part, i) => {
      if (i % 2 === 1) parent.appendChild(el("code", "", unescapeSlack(part)));
      else formatted(part, parent);
    });
  }
  function mrkdwn(text) {
    const root = el("div", "mrkdwn");
    String(text || "").split(/```([\s\S]*?)```/).forEach((part, i) => {
      if (i % 2 === 1) root.appendChild(el("pre", "", unescapeSlack(part.replace(/^\n/, ""))));
      else inline(part, root);
    });
    return root;
  }
  function textObject(obj) {
    if (!obj) return el("span");
    if (obj.type === "mrkdwn") return mrkdwn(obj.text);
    return el("div", "mrkdwn", emojify(obj.text || ""));
  }
  window.__renderMrkdwn = mrkdwn; // lets a test check the renderer directly

  // ---- Block Kit: elements -----------------------------------------------------------------------------------
  // Each control returns { node, read(), restore(value) }: `read` is the value as the server expects it (a string,
  // a list for checkboxes, {value, text} for a menu whose options came from the bot).
  function optionText(option) {
    return emojify((option.text || {}).text || option.value || "");
  }
  function optionsOf(element) {
    const options = (element.options || []).slice();
    for (const group of element.option_groups || []) options.push(...(group.options || []));
    return options;
  }
  function button(element, where) {
    const node = el("button", "btn" + (element.style ? " " + element.style : ""), emojify((element.text || {}).text || ""));
    node.type = "button";
    node.dataset.actionId = element.action_id || "";
    if (element.url) node.appendChild(el("span", "link-icon", "\u2197"));
    node.addEventListener("click", async () => {
      if (element.confirm && !(await confirmDialog(element.confirm))) return;
      if (element.url && safeHref(element.url)) window.open(element.url, "_blank", "noopener");
      node.disabled = true;
      try { await act(where, null); } finally { node.disabled = false; }
    });
    return { node, read: () => null, restore: () => {} };
  }
  function staticSelect(element, onChange) {
    const node = el("select", onChange ? "btn" : "");
    node.dataset.actionId = element.action_id || "";
    const placeholder = el("option", "", (element.placeholder || {}).text || "Select an option");
    placeholder.value = "";
    node.appendChild(placeholder);
    const add = (parent, option) => {
      const o = el("option", "", optionText(option));
      o.value = option.value;
      if (element.initial_option && element.initial_option.value === option.value) o.selected = true;
      parent.appendChild(o);
    };
    for (const option of element.options || []) add(node, option);
    for (const group of element.option_groups || []) {
      const g = el("optgroup"); g.label = (group.label || {}).text || "";
      (group.options || []).forEach((option) => add(g, option));
      node.appendChild(g);
    }
    let previous = node.value;
    if (onChange) {
      node.addEventListener("change", async () => {
        if (element.confirm && !(await confirmDialog(element.confirm))) { node.value = previous; return; }
        previous = node.value;
        onChange(node.value);
      });
    }
    return { node, read: () => node.value, restore: (value) => { node.value = value || ""; previous = node.value; } };
  }
  function choiceList(element, name, multiple, onChange) {
    const node = el("div", multiple ? "checkboxes" : "radios");
    node.dataset.actionId = element.action_id || "";
    const initial = multiple ? (element.initial_options || []).map((o) => o.value)
      : element.initial_option ? [element.initial_option.value] : [];
    const boxes = [];
    for (const option of element.options || []) {
      const label = el("label", "choice");
      const box = el("input");
      box.type = multiple ? "checkbox" : "radio";
      box.name = name;
      box.value = option.value;
      box.checked = initial.includes(option.value);
      label.appendChild(box);
      const text = el("span");
      text.appendChild(textObject(option.text));
      if (option.description) text.appendChild(el("span", "choice-note", (option.description || {}).text || ""));
      label.appendChild(text);
      node.appendChild(label);
      boxes.push(box);
    }
    const read = () => (multiple ? boxes.filter((b) => b.checked).map((b) => b.value)
      : (boxes.find((b) => b.checked) || { value: "" }).value);
    if (onChange) node.addEventListener("change", () => onChange(read()));
    const restore = (value) => {
      const wanted = multiple ? value || [] : [value];
      boxes.forEach((b) => { b.checked = wanted.includes(b.value); });
    };
    return { node, read, restore };
  }
  function externalSelect(element, where, onChange) {
    const node = el("div", "ext-select");
    const field = el("input", "ext-input");
    field.type = "text";
    field.autocomplete = "off";
    field.placeholder = (element.placeholder || {}).text || "Select an option";
    field.setAttribute("role", "combobox");
    field.dataset.actionId = element.action_id || "";
    const list = el("ul", "ext-options hidden");
    list.setAttribute("role", "listbox");
    node.append(field, list);
    let chosen = element.initial_option ? { value: element.initial_option.value, text: optionText(element.initial_option) } : null;
    const show = () => { field.value = chosen ? chosen.text : ""; };
    show();
    // Slack's default is 3 characters before the first options request; the bot's menus ask for 0.
    const minLength = element.min_query_length === undefined ? 3 : element.min_query_length;
    let asked = 0, timer = null;
    const line = (text) => { list.replaceChildren(el("li", "ext-empty", text)); list.classList.remove("hidden"); };
    async function load() {
      const typed = chosen && field.value === chosen.text ? "" : field.value;
      if (typed.length < minLength) { line("Type at least " + minLength + " characters"); return; }
      const mine = ++asked;
      line("Loading\u2026");
      const answer = await loadOptions(where, typed);
      if (mine !== asked || document.activeElement !== field) return;
      const groups = (answer.option_groups || []).map((g) => ({ label: (g.label || {}).text, options: g.options || [] }));
      if ((answer.options || []).length) groups.unshift({ label: null, options: answer.options });
      if (!groups.some((g) => g.options.length)) { line(answer.error ? "\u26a0 " + answer.error : "No matches"); return; }
      list.replaceChildren();
      for (const group of groups) {
        if (group.label) list.appendChild(el("li", "ext-group", group.label));
        for (const option of group.options) {
          const item = el("li", "ext-option", optionText(option));
          item.setAttribute("role", "option");
          item.dataset.value = option.value;
          // mousedown, not click: the field's blur (which closes the list) must not come first.
          item.addEventListener("mousedown", (event) => { event.preventDefault(); pick({ value: option.value, text: optionText(option) }); });
          list.appendChild(item);
        }
      }
    }
    async function pick(option) {
      list.classList.add("hidden");
      field.blur();
      if (element.confirm && !(await confirmDialog(element.confirm))) { show(); return; }
      chosen = option;
      show();
      if (onChange) onChange(chosen);
    }
    field.addEventListener("focus", () => { field.select(); load(); });
    field.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
    field.addEventListener("blur", () => { list.classList.add("hidden"); show(); });
    return { node, read: () => chosen, restore: (value) => { if (value) { chosen = value; show(); } } };
  }
  function overflow(element, where) {
    const node = el("div", "overflow");
    const toggle = el("button", "btn", "\u22ef");
    toggle.type = "button";
    toggle.dataset.actionId = element.action_id || "";
    const menu = el("ul", "ext-options hidden");
    for (const option of element.options || []) {
      const item = el("li", "ext-option", optionText(option));
      item.addEventListener("click", async () => {
        menu.classList.add("hidden");
        if (element.confirm && !(await confirmDialog(element.confirm))) return;
        act(where, option.value);
      });
      menu.appendChild(item);
    }
    toggle.addEventListener("click", () => menu.classList.toggle("hidden"));
    node.append(toggle, menu);
    return { node, read: () => null, restore: () => {} };
  }
  function textInput(element, id) {
    const node = el(element.multiline ? "textarea" : "input");
    if (!element.multiline) node.type = element.type === "number_input" ? "number" : "text";
    node.placeholder = (element.placeholder || {}).text || "";
    node.value = element.initial_value || "";
    node.id = id;
    return { node, read: () => node.value, restore: (value) => { node.value = value || ""; } };
  }
  // An element on a message or in a modal's `actions` block: every change goes to the bot at once.
  function interactive(element, where) {
    const send = (value) => act(where, value);
    switch (element.type) {
      case "button": return button(element, where).node;
      case "static_select": return staticSelect(element, send).node;
      case "external_select": return externalSelect(element, where, send).node;
      case "radio_buttons": return choiceList(element, "r" + JSON.stringify(where), false, send).node;
      case "checkboxes": return choiceList(element, "c" + JSON.stringify(where), true, send).node;
      case "overflow": return overflow(element, where).node;
      default: return el("span", "context", "[" + element.type + "]");
    }
  }
  // An input block's element in a modal: read on submission, or sent at once when the block says `dispatch_action`.
  function inputControl(block, index, where) {
    const element = block.element || {};
    const onChange = block.dispatch_action ? (value) => act(where, value) : null;
    const id = "input-" + index;
    let control;
    switch (element.type) {
      case "static_select": control = staticSelect(element, onChange); break;
      case "external_select": control = externalSelect(element, where, onChange); break;
      case "radio_buttons": control = choiceList(element, id, false, onChange); break;
      case "checkboxes": control = choiceList(element, id, true, onChange); break;
      default: control = textInput(element, id);
    }
    if (!control.node.matches(".radios, .checkboxes")) focusable(control.node).id = id;
    return control;
  }
  function focusable(node) {
    return node.matches("input, select, textarea") ? node : node.querySelector("input, select, textarea") || node;
  }

  // ---- Block Kit: blocks -------------------------------------------------------------------------------------
  function renderBlocks(blocks, origin, firstIndex) {
    const container = el("div", "blocks");
    blocks.forEach((block, offset) => {
      const where = Object.assign({ block_index: (firstIndex || 0) + offset }, origin);
      const node = el("div", "block " + block.type);
      node.dataset.blockId = block.block_id || "";
      if (block.type === "section") {
        const body = el("div");
        if (block.text) body.appendChild(textObject(block.text));
        if (block.fields) {
          const fields = el("div", "fields");
          block.fields.forEach((f) => fields.appendChild(textObject(f)));
          body.appendChild(fields);
        }
        node.appendChild(body);
        if (block.accessory) {
          if (block.accessory.type === "image") {
            const img = el("img"); img.src = block.accessory.image_url; img.alt = block.accessory.alt_text || "";
            img.width = 72; node.appendChild(img);
          } else {
            node.appendChild(interactive(block.accessory, Object.assign({ element_index: null }, where)));
          }
        }
      } else if (block.type === "context") {
        for (const item of block.elements || []) {
          if (item.type === "image") {
            const img = el("img"); img.src = item.image_url; img.alt = item.alt_text || ""; node.appendChild(img);
          } else node.appendChild(textObject(item));
        }
      } else if (block.type === "divider") {
        node.appendChild(el("hr", "divider"));
      } else if (block.type === "header") {
        node.textContent = emojify((block.text || {}).text || "");
      } else if (block.type === "actions") {
        (block.elements || []).forEach((element, i) =>
          node.appendChild(interactive(element, Object.assign({ element_index: i }, where))));
      } else if (block.type === "image") {
        const img = el("img"); img.src = block.image_url; img.alt = block.alt_text || ""; img.style.maxWidth = "360px";
        node.appendChild(img);
      } else {
        node.appendChild(el("span", "context", "[" + block.type + " block]"));
      }
      container.appendChild(node);
    });
    return container;
  }

  // ---- messages, threads and the two conversations -----------------------------------------------------------
  function avatar(message) {
    const name = message.is_bot ? CONFIG.bot.name : userName(message.user);
    const node = el("div", "avatar", name.slice(0, 1).toUpperCase());
    const index = message.is_bot ? 1 : [...message.user].reduce((sum, c) => sum + c.charCodeAt(0), 0);
    node.style.background = message.is_bot ? "#2bac76" : COLORS[index % COLORS.length];
    return node;
  }
  function timeOf(ts) {
    return new Date(Number(ts) * 1000).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  }
  function renderMessage(message) {
    const row = el("div", "msg" + (message.ephemeral ? " ephemeral" : ""));
    row.dataset.ts = message.ts;
    row.appendChild(avatar(message));
    const body = el("div", "body");
    if (message.ephemeral) body.appendChild(el("div", "only-you", "Only visible to you"));
    const meta = el("div", "meta");
    meta.appendChild(el("span", "author", message.is_bot ? CONFIG.bot.name : userName(message.user)));
    if (message.is_bot) meta.appendChild(el("span", "badge", "APP"));
    meta.appendChild(el("span", "time", timeOf(message.ts)));
    if (message.edited) meta.appendChild(el("span", "edited", "(edited)"));
    body.appendChild(meta);
    const origin = { message_ts: message.ts, channel_id: message.channel };
    if (message.blocks && message.blocks.length) body.appendChild(renderBlocks(message.blocks, origin));
    else body.appendChild(mrkdwn(message.text));
    for (const unfurl of message.unfurls || []) {
      const box = el("div", "unfurl");
      box.appendChild(el("div", "unfurl-url", unfurl.url));
      if (unfurl.blocks) box.appendChild(renderBlocks(unfurl.blocks, Object.assign({ unfurl_url: unfurl.url }, origin)));
      else if (unfurl.text) box.appendChild(mrkdwn(unfurl.text));
      body.appendChild(box);
    }
    row.appendChild(body);
    return row;
  }
  function conversation(channel) {
    const live = [...state.messages.values()].filter((m) => !m.deleted && m.channel === channel);
    const replies = new Map();
    for (const m of live) {
      if (m.thread_ts && m.thread_ts !== m.ts && state.messages.has(m.thread_ts)) {
        if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
        replies.get(m.thread_ts).push(m);
      }
    }
    const top = live.filter((m) => !m.thread_ts || m.thread_ts === m.ts || !state.messages.has(m.thread_ts));
    const byTs = (a, b) => Number(a.ts) - Number(b.ts);
    top.sort(byTs);
    replies.forEach((list) => list.sort(byTs));
    return { top, replies };
  }
  function threadLink(parent, thread) {
    const link = el("button", "thread-link", thread.length + (thread.length === 1 ? " reply" : " replies"));
    link.type = "button";
    link.dataset.threadTs = parent.ts;
    link.appendChild(el("span", "thread-last", "Last reply " + timeOf(thread[thread.length - 1].ts)));
    link.addEventListener("click", () => { state.thread = parent.ts; render(); });
    return link;
  }
  function welcome() {
    const box = el("section", "welcome");
    box.setAttribute("aria-label", "What to try");
    box.appendChild(el("h2", "", "Welcome to the pscale-bot sandbox"));
    box.appendChild(mrkdwn("This page plays Slack, and PlanetScale is a stand-in with the organization `acme` and its " +
      "databases `shop` and `analytics`. The bot is the real one: every message below goes to it signed, as Slack would send it."));
    const steps = el("ol");
    for (const step of CONFIG.welcome) {
      const item = el("li");
      item.appendChild(mrkdwn(step.text));
      const chips = el("div", "chips");
      for (const command of step.commands) {
        const chip = el("button", "chip", command);
        chip.type = "button";
        chip.title = "Put this in the message box";
        chip.addEventListener("click", () => { const input = $("composer-input"); input.value = command; input.focus(); });
        chips.appendChild(chip);
      }
      item.appendChild(chips);
      steps.appendChild(item);
    }
    box.appendChild(steps);
    const hide = el("button", "btn", "Got it");
    hide.type = "button";
    hide.addEventListener("click", () => { state.welcome = false; storageSet(WELCOME_HIDDEN, "1"); render(); });
    box.appendChild(hide);
    return box;
  }
  function renderHome() {
    listEl.replaceChildren();
    const box = el("div", "home-view");
    box.id = "home-view";
    if (state.home) box.appendChild(renderBlocks(state.home.blocks || [], { view_id: state.home.id }));
    else box.appendChild(el("div", "system", "Opening the app's Home…"));
    listEl.appendChild(box);
  }
  function renderPane() {
    const onHome = state.pane === "home";
    const inDm = state.pane !== "channel";
    $("tab-home").classList.toggle("active", onHome);
    $("tab-messages").classList.toggle("active", inDm && !onHome);
    $("tab-home").setAttribute("aria-selected", String(onHome));
    $("tab-messages").setAttribute("aria-selected", String(inDm && !onHome));
    $("composer").classList.toggle("hidden", onHome);
    $("pane-title").replaceChildren(inDm ? el("span", "app-dot") : el("span", "hash", "#"),
      document.createTextNode(inDm ? CONFIG.bot.name : CONFIG.channel.name));
    $("pane-subtitle").textContent = inDm ? "Your direct messages with the app" : CONFIG.users.length + 1 + " members";
    $("app-tabs").classList.toggle("hidden", !inDm);
    $("open-channel").classList.toggle("active", !inDm);
    $("open-dm").classList.toggle("active", inDm);
    $("composer-input").placeholder = "Message " + (inDm ? CONFIG.bot.name : "#" + CONFIG.channel.name);
    if (onHome) { renderHome(); return; }
    const atBottom = listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
    listEl.replaceChildren();
    if (!inDm && state.welcome && CONFIG.welcome.length) listEl.appendChild(welcome());
    const { top, replies } = conversation(here());
    const items = top.map((m) => ({ ts: Number(m.ts), message: m }))
      .concat(state.notes.filter((n) => n.channel === here()).map((n) => ({ ts: n.ts, note: n.text })));
    items.sort((a, b) => a.ts - b.ts);
    for (const item of items) {
      if (item.note !== undefined) { listEl.appendChild(el("div", "system", item.note)); continue; }
      const row = renderMessage(item.message);
      const thread = replies.get(item.message.ts);
      if (thread) row.querySelector(".body").appendChild(threadLink(item.message, thread));
      listEl.appendChild(row);
    }
    if (atBottom) listEl.scrollTop = listEl.scrollHeight;
  }
  function renderThread() {
    const pane = $("thread-pane");
    const parent = state.thread && state.messages.get(state.thread);
    if (!parent || parent.deleted) { state.thread = null; pane.classList.add("hidden"); $("app").classList.remove("with-thread"); return; }
    pane.classList.remove("hidden");
    $("app").classList.add("with-thread");
    $("thread-where").textContent = parent.channel === CONFIG.channel.id ? "#" + CONFIG.channel.name : CONFIG.bot.name;
    const box = $("thread-messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.replaceChildren(renderMessage(parent));
    const thread = conversation(parent.channel).replies.get(parent.ts) || [];
    box.appendChild(el("div", "thread-count", thread.length + (thread.length === 1 ? " reply" : " replies")));
    thread.forEach((reply) => box.appendChild(renderMessage(reply)));
    // A thread opens at its start, as Slack's does; while open, it follows new replies.
    if (box.dataset.ts !== parent.ts) box.scrollTop = 0;
    else if (atBottom) box.scrollTop = box.scrollHeight;
    box.dataset.ts = parent.ts;
  }
  function renderUnread() {
    const unread = [...state.messages.values()].filter((m) => m.channel === me().dm && !m.deleted && m.is_bot
      && Number(m.ts) > state.seenDm).length;
    const badge = $("dm-unread");
    badge.textContent = String(unread);
    badge.classList.toggle("hidden", unread === 0);
    $("open-dm").classList.toggle("has-unread", unread > 0);
  }
  function render() {
    if (state.pane === "dm") {
      for (const m of state.messages.values()) if (m.channel === me().dm) state.seenDm = Math.max(state.seenDm, Number(m.ts));
    }
    renderPane();
    renderThread();
    renderUnread();
  }
  function note(text) {
    state.notes.push({ ts: Date.now() / 1000, text, channel: here() });
    render();
  }

  // ---- talking to the server -------------------------------------------------------------------------------
  async function send(path, body) {
    let response;
    try {
      response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (error) {
      note("\u26a0 The sandbox server did not answer: " + error);
      return null;
    }
    const answer = await response.json().catch(() => ({ error: "unreadable answer (HTTP " + response.status + ")" }));
    if (!response.ok) { note("\u26a0 " + (answer.error || "HTTP " + response.status)); return null; }
    if (answer.error) note("\u26a0 " + answer.error);
    poll(true);
    return answer;
  }
  function inModal(where) { return where.view_id !== undefined; }
  function act(where, value) {
    const body = Object.assign({ user_id: state.user, value }, where);
    if (inModal(where)) body.values = modalValues();
    return send("/sandbox/action", body);
  }
  async function loadOptions(where, typed) {
    const body = Object.assign({ user_id: state.user, value: typed }, where);
    if (inModal(where)) body.values = modalValues();
    try {
      const response = await fetch("/sandbox/options", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return await response.json();
    } catch (error) {
      return { error: "the sandbox server did not answer", options: [] };
    }
  }
  function forgetEverything() {
    state.cursor = 0; state.messages.clear(); state.notes = []; state.thread = null; state.seenDm = 0;
    state.modal = null; state.modalFields = []; state.home = null;
  }
  let pollTimer = null;
  async function poll(once) {
    if (!once) clearTimeout(pollTimer);
    const user = state.user;
    try {
      const response = await fetch("/sandbox/messages?since=" + state.cursor + "&user_id=" + encodeURIComponent(user));
      const answer = await response.json();
      if (user === state.user && response.ok) {
        if (state.generation !== null && answer.generation !== state.generation) {
          forgetEverything(); // Reset, here or in another tab: start again from an empty channel
          state.generation = answer.generation;
          render();
          if (!once) pollTimer = setTimeout(poll, 0);
          return;
        }
        state.generation = answer.generation;
        if (answer.messages.length) {
          for (const m of answer.messages) state.messages.set(m.ts, m);
          render();
        }
        state.cursor = Math.max(state.cursor, answer.cursor);
        const home = answer.home || null;
        if ((home && home.hash) !== (state.home && state.home.hash)) { state.home = home; if (state.pane === "home") render(); }
        showModal(answer.modal);
      }
    } catch (error) {
      // The server restarting is not worth a note per poll; the next poll will tell.
    }
    if (!once) pollTimer = setTimeout(poll, POLL_MS);
  }

  // ---- composers -------------------------------------------------------------------------------------------
  async function submitText(input, threadTs) {
    const text = input.value.trim();
    if (!text || state.busy) return;
    input.value = "";
    state.busy = true;
    try {
      const command = text.match(/^\/(\S+)\s*([\s\S]*)$/);
      const where = { user_id: state.user, channel_id: threadTs ? state.messages.get(threadTs).channel : here() };
      if (command && command[1] !== "pscale") note("/" + command[1] + " is not a valid command. In Slack, this would go nowhere: the sandbox only knows /pscale.");
      else if (command) await send("/sandbox/command", Object.assign({ text: command[2] }, where));
      else await send("/sandbox/post", Object.assign({ text, thread_ts: threadTs || undefined }, where));
    } finally {
      state.busy = false;
    }
  }
  function onEnter(input, submit) {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(); }
    });
  }

  // ---- modal and confirm dialogs ---------------------------------------------------------------------------
  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      $("confirm-title").textContent = (confirm.title || {}).text || "Are you sure?";
      $("confirm-text").replaceChildren(textObject(confirm.text));
      const ok = $("confirm-ok"), deny = $("confirm-deny");
      ok.textContent = (confirm.confirm || {}).text || "Yes";
      deny.textContent = (confirm.deny || {}).text || "Cancel";
      ok.className = "btn " + (confirm.style === "danger" ? "danger" : "primary");
      $("confirm-overlay").classList.remove("hidden");
      const done = (answer) => { $("confirm-overlay").classList.add("hidden"); ok.onclick = deny.onclick = null; resolve(answer); };
      ok.onclick = () => done(true);
      deny.onclick = () => done(false);
    });
  }
  function modalValues() {
    const values = {};
    for (const field of state.modalFields) values[field.index] = field.read();
    return values;
  }
  function showModal(view) {
    const overlay = $("modal-overlay");
    if (!view) { overlay.classList.add("hidden"); state.modal = null; state.modalFields = []; return; }
    if (state.modal && state.modal.id === view.id && state.modal.hash === view.hash) return;
    // Slack keeps what was entered when the app redraws the same modal (views.update): matched by block id.
    // The field the person was in keeps the focus too, so an open menu stays open across the redraw.
    const kept = {};
    let focused = null;
    if (state.modal && state.modal.id === view.id) {
      for (const f of state.modalFields) {
        kept[f.blockId] = f.read();
        if (f.node.contains(document.activeElement)) focused = f.blockId;
      }
    }
    state.modal = view;
    state.modalFields = [];
    $("modal-title").textContent = emojify((view.title || {}).text || "");
    $("modal-close").textContent = (view.close || {}).text || "Cancel";
    $("modal-submit").textContent = (view.submit || {}).text || "Submit";
    $("modal-submit").classList.toggle("hidden", !view.submit);
    const body = $("modal-body");
    body.replaceChildren();
    (view.blocks || []).forEach((block, index) => {
      if (block.type !== "input") { body.appendChild(renderBlocks([block], { view_id: view.id }, index)); return; }
      const wrap = el("div", "input-block");
      wrap.dataset.blockId = block.block_id || "";
      const label = el("label", "", (block.label || {}).text || "");
      label.id = "label-" + index;
      if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
      wrap.appendChild(label);
      const control = inputControl(block, index, { view_id: view.id, block_index: index });
      // One field is labelled by `for`; a group of radio buttons or checkboxes is named by the label instead.
      if (control.node.matches(".radios, .checkboxes")) {
        control.node.setAttribute("role", control.node.matches(".radios") ? "radiogroup" : "group");
        control.node.setAttribute("aria-labelledby", label.id);
      } else label.htmlFor = "input-" + index;
      const field = Object.assign({ index: String(index), blockId: block.block_id || "blk" + index }, control);
      if (kept[field.blockId] !== undefined && kept[field.blockId] !== null) field.restore(kept[field.blockId]);
      state.modalFields.push(field);
      wrap.appendChild(control.node);
      if (block.hint) wrap.appendChild(el("div", "input-hint", block.hint.text));
      body.appendChild(wrap);
    });
    overlay.classList.remove("hidden");
    const refocus = state.modalFields.find((f) => f.blockId === focused);
    if (refocus) focusable(refocus.node).focus();
  }
  async function submitModal(event) {
    event.preventDefault();
    const view = state.modal;
    if (!view) return;
    document.querySelectorAll(".input-error").forEach((n) => n.remove());
    const answer = await send("/sandbox/view", { user_id: state.user, view_id: view.id, values: modalValues() });
    if (answer && answer.errors) {
      for (const [blockId, message] of Object.entries(answer.errors)) {
        const wrap = document.querySelector('.input-block[data-block-id="' + CSS.escape(blockId) + '"]');
        (wrap || $("modal-body")).appendChild(el("div", "input-error", message));
      }
    }
  }
  async function closeModal() {
    await send("/sandbox/view/close", { user_id: state.user });
    state.modal = null;
  }

  // ---- start -----------------------------------------------------------------------------------------------
  async function reset() {
    const sure = await confirmDialog({
      title: { type: "plain_text", text: "Reset the sandbox?" },
      text: { type: "mrkdwn", text: "Every message, card and link goes, and PlanetScale's stand-in is seeded afresh: the sandbox as it was at the start." },
      confirm: { type: "plain_text", text: "Reset" },
      deny: { type: "plain_text", text: "Cancel" },
      style: "danger",
    });
    if (!sure) return;
    const answer = await send("/sandbox/reset", {});
    if (answer) { forgetEverything(); state.generation = answer.generation; state.welcome = true; storageSet(WELCOME_HIDDEN, null); render(); poll(true); }
  }
  function start() {
    $("team-name").textContent = CONFIG.team.name;
    $("search-team").textContent = CONFIG.team.name;
    $("sidebar-channel").textContent = CONFIG.channel.name;
    $("sidebar-bot").textContent = CONFIG.bot.name;
    const switcher = $("user-switcher");
    for (const user of CONFIG.users) {
      const option = el("option", "", user.real_name + " (" + (user.is_admin ? "admin" : "member") + ")");
      option.value = user.id;
      switcher.appendChild(option);
    }
    switcher.addEventListener("change", () => {
      state.user = switcher.value;
      forgetEverything();
      render(); poll();
      if (state.pane === "home") send("/sandbox/home", { user_id: state.user });
    });
    $("open-channel").addEventListener("click", () => { state.pane = "channel"; render(); });
    $("open-dm").addEventListener("click", () => { state.pane = "dm"; render(); });
    $("tab-messages").addEventListener("click", () => { state.pane = "dm"; render(); });
    // Slack sends `app_home_opened` each time the Home tab is opened; the app publishes the Home afresh.
    $("tab-home").addEventListener("click", () => { state.pane = "home"; render(); send("/sandbox/home", { user_id: state.user }); });
    $("thread-close").addEventListener("click", () => { state.thread = null; render(); });
    $("show-welcome").addEventListener("click", () => {
      state.welcome = true; state.pane = "channel"; storageSet(WELCOME_HIDDEN, null); render(); listEl.scrollTop = 0;
    });
    $("reset").classList.toggle("hidden", !CONFIG.can_reset);
    $("reset").addEventListener("click", reset);
    const submitMain = () => submitText($("composer-input"), null);
    $("composer").addEventListener("submit", (event) => { event.preventDefault(); submitMain(); });
    onEnter($("composer-input"), submitMain);
    const submitReply = () => submitText($("thread-input"), state.thread);
    $("thread-composer").addEventListener("submit", (event) => { event.preventDefault(); submitReply(); });
    onEnter($("thread-input"), submitReply);
    $("modal-form").addEventListener("submit", submitModal);
    $("modal-close").addEventListener("click", closeModal);
    $("modal-x").addEventListener("click", closeModal);
    $("show-welcome").classList.toggle("hidden", !CONFIG.welcome.length);
    render();
    poll();
  }
  start();
})();
