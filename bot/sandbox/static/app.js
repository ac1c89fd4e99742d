// The sandbox page: four Telegram phones and one Signal phone, each showing only its own chat
// with the bot. The Signal phone has no buttons: the bot numbers its choices, one types the number.
"use strict";

let T = {};               // strings for the chosen language (from the bot's catalogs)
let language = "fr";
const local = {};         // per phone: { replyTo, editing }
const drafts = {};        // per phone: what is typed and not sent yet
const keys = {};          // per phone: what was last drawn, to redraw only what changed
const phonesEl = document.getElementById("phones");

// Each chat keeps its own place: at the bottom it follows new messages, scrolled up it
// stays where it is (also across a reload of the page, for this tab).
const SCROLL_KEY = "entraide.sandbox.scroll";
const NOTICE_KEY = "entraide.sandbox.notices";
const scroll = readStore(SCROLL_KEY);   // slot -> { bottom: bool, top: number }
const seen = readStore(NOTICE_KEY);     // slot -> id of the last notice shown
const NEAR_BOTTOM = 24;

function readStore(key) {
  try { return JSON.parse(sessionStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
}
function writeStore(key, value) {
  try { sessionStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
}

async function api(path, payload) {
  const response = await fetch(path, {
    method: payload === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

async function loadStrings(lang) {
  T = await api(`/api/strings?lang=${encodeURIComponent(lang)}`);
  document.documentElement.lang = lang;
  document.getElementById("banner-text").textContent = T["sandbox.banner"];
  document.getElementById("guide").textContent = T["sandbox.guide"];
  document.getElementById("reset").textContent = T["sandbox.reset"];
  document.getElementById("replay").textContent = T["sandbox.replay"];
  document.getElementById("language-label").textContent = T["sandbox.language"];
  document.getElementById("language").value = lang;
  Object.keys(keys).forEach((k) => delete keys[k]);  // redraw everything in the new language
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ------------------------------------------------------------------ messages
// Text with the bot's bold spans; offsets count UTF-16 units, like JavaScript strings.
function styled(text, bold) {
  const node = el("div", { class: "text" });
  let at = 0;
  for (const [offset, length] of [...(bold || [])].sort((a, b) => a[0] - b[0])) {
    if (offset < at) continue;
    node.append(text.slice(at, offset), el("strong", {}, text.slice(offset, offset + length)));
    at = offset + length;
  }
  node.append(text.slice(at));
  return node;
}

function message(phone, m) {
  const box = el("div", { class: `msg${m.mine ? " mine" : ""}`, "data-id": m.id, role: "article" });
  if (m.reply_to) box.append(el("div", { class: "quote" }, m.reply_to.text));
  if (m.kind === "photo") {
    const img = el("img", { src: m.file, alt: T["sandbox.photo_alt"], width: m.width, height: m.height });
    img.addEventListener("load", () => followIfAtBottom(phone.slot));
    box.append(img);
  } else if (m.kind === "document") {
    box.append(el("a", { class: "file", href: m.file, download: m.file_name },
      `📎 ${m.file_name} · ${T["sandbox.download"]}`));
  } else if (m.kind) {
    box.append(el("div", { class: "quote" }, `[${T["sandbox.kind_" + m.kind] || m.kind}]`));
  }
  const text = m.text || m.caption;
  if (text) box.append(styled(text, m.bold));
  const meta = el("div", { class: "meta" });
  if (m.edited) meta.append(el("span", {}, T["sandbox.edited"]));
  if (!m.mine) meta.append(el("button", { type: "button", onclick: () => startReply(phone.slot, m) }, T["sandbox.reply"]));
  if (m.mine && m.text && !m.text.startsWith("/")) {
    meta.append(el("button", { type: "button", onclick: () => startEdit(phone.slot, m) }, T["sandbox.edit"]));
    meta.append(el("button", { type: "button", onclick: () => api(`/api/${phone.slot}/delete`, { message_id: m.id }) }, T["sandbox.delete"]));
  }
  box.append(meta);
  if (m.buttons.length) {
    const keyboard = el("div", { class: "keyboard" });
    for (const row of m.buttons) {
      const line = el("div", { class: "row" });
      for (const b of row) {
        line.append(b.url
          ? el("a", { href: b.url, target: "_blank", rel: "noopener" }, b.label)
          : el("button", { type: "button", onclick: () => api(`/api/${phone.slot}/press`, { message_id: m.id, data: b.data }) }, b.label));
      }
      keyboard.append(line);
    }
    box.append(keyboard);
  }
  return box;
}

function startReply(slot, m) {
  local[slot] = { replyTo: m, editing: null };
  drawComposer(lastPhone(slot));
  document.getElementById(`input-${slot}`).focus();
}

function startEdit(slot, m) {
  local[slot] = { replyTo: null, editing: m };
  drafts[slot] = m.text;
  drawComposer(lastPhone(slot));
  document.getElementById(`input-${slot}`).focus();
}

async function submit(slot, input) {
  const text = input.value.trim();
  if (!text) return;
  const state = local[slot] || {};
  local[slot] = {};
  input.value = "";
  drafts[slot] = "";
  remember(slot, { bottom: true });  // what one sends, one sees
  if (state.editing) await api(`/api/${slot}/edit`, { message_id: state.editing.id, text });
  else await api(`/api/${slot}/send`, { text, reply_to: state.replyTo ? state.replyTo.id : null });
  if (state.replyTo || state.editing) drawComposer(lastPhone(slot));
}

async function sendPhoto(slot, input) {
  const caption = input.value.trim();
  input.value = "";  // the caption went with the photo
  drafts[slot] = "";
  remember(slot, { bottom: true });
  await api(`/api/${slot}/photo`, { caption });
}

async function sendDocument(slot) {
  remember(slot, { bottom: true });
  await api(`/api/${slot}/document`, {});
}

// -------------------------------------------------------------------- scroll
function remember(slot, place) {
  scroll[slot] = place;
  writeStore(SCROLL_KEY, scroll);
}

function atBottom(chat) {
  return chat.scrollHeight - chat.scrollTop - chat.clientHeight <= NEAR_BOTTOM;
}

function followIfAtBottom(slot) {
  const chat = document.getElementById(`chat-${slot}`);
  const place = scroll[slot];
  if (chat && (!place || place.bottom)) chat.scrollTop = chat.scrollHeight;
}

function placeChat(slot, chat) {
  const place = scroll[slot];
  if (!place || place.bottom) chat.scrollTop = chat.scrollHeight;
  else chat.scrollTop = place.top;
}

// --------------------------------------------------------------------- phones
let lastState = null;
function lastPhone(slot) { return lastState.phones.find((p) => p.slot === slot); }

function section(phone) {
  let node = phonesEl.querySelector(`section[data-slot="${phone.slot}"]`);
  if (node) return node;
  const inner = el("div", { class: "chat-inner" });
  const chat = el("div", { class: "chat", role: "log", id: `chat-${phone.slot}` }, inner);
  // Content that grows (an image, a font, a new message) keeps a chat that was at the
  // bottom at the bottom; one scrolled up stays where it is (no scroll anchoring: see CSS).
  const follow = new ResizeObserver(() => followIfAtBottom(phone.slot));
  follow.observe(inner);
  follow.observe(chat);
  // Like Telegram's arrow: shown while scrolled up, « Nouveaux messages » when some came meanwhile.
  const jump = el("button", { type: "button", class: "jump", hidden: "", onclick: () => {
    remember(phone.slot, { bottom: true });
    chat.scrollTop = chat.scrollHeight;
    showJump(jump, false);
  } });
  chat.addEventListener("scroll", () => {
    const bottom = atBottom(chat);
    remember(phone.slot, { bottom, top: chat.scrollTop });
    if (bottom) showJump(jump, false);
    else if (jump.hidden) showJump(jump, true, false);
  });
  const signal = phone.transport === "signal";
  node = el("section", { class: `phone${signal ? " signal" : ""}`, "aria-labelledby": `title-${phone.slot}`,
    "data-slot": phone.slot, "data-transport": phone.transport },
    el("header", {}, el("h2", { id: `title-${phone.slot}` }, phone.name),
      el("span", { class: "badges" }, signal ? el("span", { class: "messenger" }) : null, el("span", { class: "badge" }))),
    chat, jump, el("div", { class: "toasts", role: "status", "aria-live": "polite" }), el("div", { class: "composer" }));
  return node;
}

function drawChat(phone, node) {
  const chat = node.querySelector(".chat");
  const inner = chat.querySelector(".chat-inner");
  const before = inner.childElementCount ? inner.lastElementChild.dataset.id || null : null;
  chat.setAttribute("aria-label", `${T["sandbox.chat_with_bot"]} — ${phone.name}`);
  const children = phone.messages.map((m) => message(phone, m));
  if (!phone.messages.length) {
    const empty = phone.facilitator ? "sandbox.empty_facilitator" : (phone.transport === "signal" ? "sandbox.empty_signal" : "sandbox.empty");
    children.push(el("p", { class: "empty" }, T[empty]));
  }
  inner.replaceChildren(...children);
  placeChat(phone.slot, chat);
  const newest = phone.messages.length ? String(phone.messages[phone.messages.length - 1].id) : null;
  const place = scroll[phone.slot];
  const jump = node.querySelector(".jump");
  if (!place || place.bottom) showJump(jump, false);
  else showJump(jump, true, jump.dataset.fresh === "1" || (newest !== null && before !== null && newest !== before));
}

function showJump(jump, shown, fresh = false) {
  jump.hidden = !shown;
  jump.dataset.fresh = shown && fresh ? "1" : "";
  jump.textContent = shown && fresh ? T["sandbox.new_messages"] : T["sandbox.to_bottom"];
}

function drawComposer(phone) {
  keys[`composer-${phone.slot}`] = composerKey(phone);
  const node = section(phone);
  const composer = node.querySelector(".composer");
  const state = local[phone.slot] || {};
  const focused = document.activeElement && document.activeElement.id === `input-${phone.slot}`;
  const parts = [];
  if (!phone.started) {
    parts.push(el("button", { type: "button", class: "primary", id: `start-${phone.slot}`, onclick: () => api(`/api/${phone.slot}/start`, {}) }, T["sandbox.start"]));
  } else {
    if (state.replyTo || state.editing) {
      const what = state.editing ? T["sandbox.editing"] : `${T["sandbox.replying"]} « ${(state.replyTo.text || state.replyTo.caption || "").slice(0, 40)} »`;
      parts.push(el("div", { class: "replying" }, el("span", {}, what),
        el("button", { type: "button", onclick: () => { local[phone.slot] = {}; drawComposer(phone); } }, T["sandbox.cancel"])));
    }
    const signal = phone.transport === "signal";
    const input = el("textarea", { id: `input-${phone.slot}`, rows: "1",
      placeholder: T[signal ? "sandbox.placeholder_signal" : "sandbox.placeholder"] });
    input.value = drafts[phone.slot] || "";
    input.addEventListener("input", () => { drafts[phone.slot] = input.value; });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(phone.slot, input); }
    });
    parts.push(el("form", { onsubmit: (event) => { event.preventDefault(); submit(phone.slot, input); } },
      el("label", { for: `input-${phone.slot}`, class: "sr-only" }, `${T["sandbox.message_label"]} — ${phone.name}`),
      input,
      el("button", { type: "submit", class: "primary" }, T["sandbox.send"]),
      el("button", { type: "button", class: "attach", title: T["sandbox.photo"], "aria-label": T["sandbox.photo"], onclick: () => sendPhoto(phone.slot, input) }, "📷"),
      signal ? null : el("button", { type: "button", class: "attach", title: T["sandbox.document"], "aria-label": T["sandbox.document"], onclick: () => sendDocument(phone.slot) }, "📎")));
  }
  composer.replaceChildren(...parts);
  if (focused && document.getElementById(`input-${phone.slot}`)) document.getElementById(`input-${phone.slot}`).focus();
}

// ------------------------------------------------- answers to button presses
// As Telegram shows them: a short toast that fades, or an alert box to dismiss.
function notices(phone, node) {
  const ids = phone.notices.map((n) => n.id);
  if (seen[phone.slot] === undefined) {  // a fresh page does not replay old answers
    seen[phone.slot] = ids.length ? Math.max(...ids) : 0;
    writeStore(NOTICE_KEY, seen);
    return;
  }
  for (const notice of phone.notices) {
    if (notice.id <= seen[phone.slot]) continue;
    seen[phone.slot] = notice.id;
    writeStore(NOTICE_KEY, seen);
    if (notice.alert) showAlert(node, notice.text);
    else showToast(node, notice.text);
  }
}

function showToast(node, text) {
  const area = node.querySelector(".toasts");
  const toast = el("div", { class: "toast" }, text);
  area.append(toast);
  setTimeout(() => toast.remove(), 3500);
}

function showAlert(node, text) {
  const previous = document.activeElement;
  const id = `alert-${node.dataset.slot}-${Date.now()}`;
  const close = () => { overlay.remove(); if (previous && previous.isConnected) previous.focus(); };
  const ok = el("button", { type: "button", class: "primary", onclick: close }, T["sandbox.alert_ok"]);
  const overlay = el("div", { class: "alert-backdrop" },
    el("div", { class: "alert", role: "alertdialog", "aria-modal": "true", "aria-describedby": id },
      el("p", { id }, text), ok));
  overlay.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  node.append(overlay);
  ok.focus();
}

// --------------------------------------------------------------------- render
function composerKey(phone) {
  const state = local[phone.slot] || {};
  return JSON.stringify([phone.started, state.replyTo && state.replyTo.id, state.editing && state.editing.id]);
}

function render(state) {
  if (!state) return;
  lastState = state;
  const nodes = state.phones.map(section);
  nodes.forEach((node, index) => {  // in order, without detaching a chat (its scroll stays)
    if (phonesEl.children[index] !== node) phonesEl.insertBefore(node, phonesEl.children[index] || null);
  });
  state.phones.forEach((phone, index) => {
    const node = nodes[index];
    const messenger = node.querySelector(".messenger");
    if (messenger) messenger.textContent = T["sandbox.signal"];
    const badge = node.querySelector(".badge");
    badge.className = `badge${phone.facilitator ? "" : " member"}`;
    badge.textContent = phone.facilitator ? T["sandbox.facilitator"] : T["sandbox.member"];
    // The composer first: the chat is placed once the phone's layout is final.
    if (keys[`composer-${phone.slot}`] !== composerKey(phone)) drawComposer(phone);
    const chatKey = JSON.stringify(phone.messages);
    if (keys[`chat-${phone.slot}`] !== chatKey) {
      keys[`chat-${phone.slot}`] = chatKey;
      drawChat(phone, node);
    }
    notices(phone, node);
  });
  const replay = document.getElementById("replay");
  replay.hidden = !state.demo.enabled;
  document.getElementById("demo-status").textContent = state.demo.playing ? T["sandbox.demo_playing"] : "";
}

let pending = null;
async function refresh() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    const state = await api("/api/state");
    if (state.language !== language) { language = state.language; await loadStrings(language); }
    render(state);
  }, 60);
}

document.getElementById("reset").addEventListener("click", async () => {
  if (confirm(T["sandbox.reset_confirm"])) {
    Object.keys(local).forEach((k) => delete local[k]);
    Object.keys(scroll).forEach((k) => delete scroll[k]);
    writeStore(SCROLL_KEY, scroll);
    await api("/api/reset", {});
  }
});
document.getElementById("replay").addEventListener("click", async () => {
  Object.keys(local).forEach((k) => delete local[k]);
  Object.keys(scroll).forEach((k) => delete scroll[k]);
  writeStore(SCROLL_KEY, scroll);
  await api("/api/replay", {});
});
document.getElementById("language").addEventListener("change", async (event) => {
  await api("/api/language", { language: event.target.value });
});

(async () => {
  const state = await api("/api/state");
  language = state.language;
  await loadStrings(language);
  render(state);
  const events = new EventSource("/api/events");
  events.addEventListener("change", refresh);
})();
