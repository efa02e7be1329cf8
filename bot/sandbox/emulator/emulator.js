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
    key: "\ud83d\udd11", link: "\ud83d\udd17", tada: "\ud83c\udf89", eyes: "\ud83d\udc40", red_circle: "\ud83d\udd34",
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

  const state = { user: CONFIG.users[0].id, cursor: 0, messages: new Map(), notes: [], modal: null, busy: false };
  const $ = (id) => document.getElementById(id);
  const listEl = $("messages");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

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

  // ---- Block Kit -------------------------------------------------------------------------------------------
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
    return node;
  }
  function select(element, where) {
    const node = el("select", "btn");
    node.dataset.actionId = element.action_id || "";
    const placeholder = el("option", "", (element.placeholder || {}).text || "Select an item");
    placeholder.value = ""; placeholder.disabled = true; placeholder.selected = true;
    node.appendChild(placeholder);
    for (const option of element.options || []) {
      const o = el("option", "", (option.text || {}).text || option.value);
      o.value = option.value;
      if (element.initial_option && element.initial_option.value === option.value) o.selected = true;
      node.appendChild(o);
    }
    node.addEventListener("change", () => act(where, node.value));
    return node;
  }
  function interactive(element, where) {
    if (element.type === "button") return button(element, where);
    if (element.type === "static_select") return select(element, where);
    return el("span", "context", "[" + element.type + "]");
  }
  function renderBlocks(blocks, origin) {
    const container = el("div", "blocks");
    blocks.forEach((block, blockIndex) => {
      const where = Object.assign({ block_index: blockIndex }, origin);
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

  // ---- messages --------------------------------------------------------------------------------------------
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
    if (message.blocks && message.blocks.length) body.appendChild(renderBlocks(message.blocks, { message_ts: message.ts }));
    else body.appendChild(mrkdwn(message.text));
    for (const unfurl of message.unfurls || []) {
      const box = el("div", "unfurl");
      box.appendChild(el("div", "unfurl-url", unfurl.url));
      if (unfurl.blocks) box.appendChild(renderBlocks(unfurl.blocks, { message_ts: message.ts, unfurl_url: unfurl.url }));
      else if (unfurl.text) box.appendChild(mrkdwn(unfurl.text));
      body.appendChild(box);
    }
    row.appendChild(body);
    return row;
  }
  function render() {
    const atBottom = listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 40;
    listEl.replaceChildren();
    const live = [...state.messages.values()].filter((m) => !m.deleted);
    const replies = new Map();
    for (const m of live) {
      if (m.thread_ts && m.thread_ts !== m.ts) {
        if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
        replies.get(m.thread_ts).push(m);
      }
    }
    const top = live.filter((m) => !m.thread_ts || m.thread_ts === m.ts || !state.messages.has(m.thread_ts));
    const items = top.map((m) => ({ ts: Number(m.ts), node: () => renderMessage(m), message: m }))
      .concat(state.notes.map((n) => ({ ts: n.ts, node: () => el("div", "system", n.text) })));
    items.sort((a, b) => a.ts - b.ts);
    for (const item of items) {
      listEl.appendChild(item.node());
      const thread = item.message && replies.get(item.message.ts);
      if (thread) {
        const count = thread.length;
        listEl.appendChild(el("div", "thread-label", count + (count === 1 ? " reply" : " replies")));
        const box = el("div", "thread");
        thread.sort((a, b) => Number(a.ts) - Number(b.ts)).forEach((r) => box.appendChild(renderMessage(r)));
        listEl.appendChild(box);
      }
    }
    if (atBottom) listEl.scrollTop = listEl.scrollHeight;
  }
  function note(text) {
    state.notes.push({ ts: Date.now() / 1000, text });
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
  function act(where, value) {
    return send("/sandbox/action", Object.assign({ user_id: state.user, value }, where));
  }
  let pollTimer = null;
  async function poll(once) {
    if (!once) clearTimeout(pollTimer);
    const user = state.user;
    try {
      const response = await fetch("/sandbox/messages?since=" + state.cursor + "&user_id=" + encodeURIComponent(user));
      const answer = await response.json();
      if (user === state.user && response.ok) {
        if (answer.messages.length) {
          for (const m of answer.messages) state.messages.set(m.ts, m);
          render();
        }
        state.cursor = Math.max(state.cursor, answer.cursor);
        showModal(answer.modal);
      }
    } catch (error) {
      // The server restarting is not worth a note per poll; the next poll will tell.
    }
    if (!once) pollTimer = setTimeout(poll, POLL_MS);
  }

  // ---- composer --------------------------------------------------------------------------------------------
  async function submitComposer() {
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text || state.busy) return;
    input.value = "";
    state.busy = true;
    try {
      const command = text.match(/^\/(\S+)\s*([\s\S]*)$/);
      if (command && command[1] !== "pscale") note("/" + command[1] + " is not a valid command. In Slack, this would go nowhere: the sandbox only knows /pscale.");
      else if (command) await send("/sandbox/command", { user_id: state.user, text: command[2] });
      else await send("/sandbox/post", { user_id: state.user, text });
    } finally {
      state.busy = false;
    }
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
  function inputElement(block, index) {
    const element = block.element || {};
    let node;
    if (element.type === "static_select") {
      node = el("select");
      const empty = el("option", "", (element.placeholder || {}).text || "Select an option"); empty.value = "";
      node.appendChild(empty);
      for (const option of element.options || []) {
        const o = el("option", "", (option.text || {}).text || option.value); o.value = option.value;
        if (element.initial_option && element.initial_option.value === option.value) o.selected = true;
        node.appendChild(o);
      }
    } else {
      node = el(element.multiline ? "textarea" : "input");
      if (!element.multiline) node.type = element.type === "number_input" ? "number" : "text";
      node.placeholder = (element.placeholder || {}).text || "";
      node.value = element.initial_value || "";
    }
    node.name = String(index);
    node.id = "input-" + index;
    return node;
  }
  function showModal(view) {
    const overlay = $("modal-overlay");
    if (!view) { overlay.classList.add("hidden"); state.modal = null; return; }
    if (state.modal && state.modal.id === view.id && state.modal.hash === view.hash) return;
    state.modal = view;
    $("modal-title").textContent = emojify((view.title || {}).text || "");
    $("modal-close").textContent = (view.close || {}).text || "Cancel";
    $("modal-submit").textContent = (view.submit || {}).text || "Submit";
    $("modal-submit").classList.toggle("hidden", !view.submit);
    const body = $("modal-body");
    body.replaceChildren();
    (view.blocks || []).forEach((block, index) => {
      if (block.type !== "input") { body.appendChild(renderBlocks([block], { view_id: view.id })); return; }
      const wrap = el("div", "input-block");
      wrap.dataset.blockId = block.block_id || "";
      const label = el("label", "", (block.label || {}).text || "");
      label.htmlFor = "input-" + index;
      if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
      wrap.appendChild(label);
      wrap.appendChild(inputElement(block, index));
      if (block.hint) wrap.appendChild(el("div", "input-hint", block.hint.text));
      body.appendChild(wrap);
    });
    overlay.classList.remove("hidden");
  }
  async function submitModal(event) {
    event.preventDefault();
    const view = state.modal;
    if (!view) return;
    const values = {};
    for (const field of $("modal-form").querySelectorAll("input, select, textarea")) values[field.name] = field.value;
    document.querySelectorAll(".input-error").forEach((n) => n.remove());
    const answer = await send("/sandbox/view", { user_id: state.user, view_id: view.id, values });
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
  function start() {
    $("team-name").textContent = CONFIG.team.name;
    $("search-team").textContent = CONFIG.team.name;
    $("sidebar-channel").textContent = CONFIG.channel.name;
    $("sidebar-bot").textContent = CONFIG.bot.name;
    $("channel-name").textContent = CONFIG.channel.name;
    $("channel-members").textContent = CONFIG.users.length + 1 + " members";
    $("composer-input").placeholder = "Message #" + CONFIG.channel.name;
    const switcher = $("user-switcher");
    for (const user of CONFIG.users) {
      const option = el("option", "", user.real_name + " (" + (user.is_admin ? "admin" : "member") + ")");
      option.value = user.id;
      switcher.appendChild(option);
    }
    switcher.addEventListener("change", () => {
      state.user = switcher.value;
      state.cursor = 0; state.messages.clear(); state.notes = []; state.modal = null;
      render(); poll();
    });
    $("composer").addEventListener("submit", (event) => { event.preventDefault(); submitComposer(); });
    $("composer-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submitComposer(); }
    });
    $("modal-form").addEventListener("submit", submitModal);
    $("modal-close").addEventListener("click", closeModal);
    $("modal-x").addEventListener("click", closeModal);
    poll();
  }
  start();
})();
