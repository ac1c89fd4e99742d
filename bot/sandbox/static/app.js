// The sandbox page: four phones, each showing only its own chat with the bot.
"use strict";

let T = {};               // strings for the chosen language (from the bot's catalogs)
let language = "fr";
const local = {};         // per phone: { replyTo, editing }
const phonesEl = document.getElementById("phones");

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
  document.getElementById("reset").textContent = T["sandbox.reset"];
  document.getElementById("language-label").textContent = T["sandbox.language"];
  document.getElementById("language").value = lang;
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

function message(phone, m) {
  const box = el("div", { class: `msg${m.mine ? " mine" : ""}`, "data-id": m.id, role: "article" });
  if (m.reply_to) box.append(el("div", { class: "quote" }, m.reply_to.text));
  if (m.kind === "photo") box.append(el("img", { src: m.file, alt: T["sandbox.photo_alt"] }));
  else if (m.kind) box.append(el("div", { class: "quote" }, `[${T["sandbox.kind_" + m.kind] || m.kind}]`));
  const text = m.text || m.caption;
  if (text) box.append(el("div", { class: "text" }, text));
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
  render(lastState);
  document.getElementById(`input-${slot}`).focus();
}

function startEdit(slot, m) {
  local[slot] = { replyTo: null, editing: m };
  render(lastState);
  const input = document.getElementById(`input-${slot}`);
  input.value = m.text;
  input.focus();
}

async function submit(slot, input) {
  const text = input.value.trim();
  if (!text) return;
  const state = local[slot] || {};
  if (state.editing) await api(`/api/${slot}/edit`, { message_id: state.editing.id, text });
  else await api(`/api/${slot}/send`, { text, reply_to: state.replyTo ? state.replyTo.id : null });
  local[slot] = {};
  input.value = "";
  drafts[slot] = "";
}

const drafts = {};

function phoneView(phone) {
  const state = local[phone.slot] || {};
  const chat = el("div", { class: "chat", role: "log", "aria-live": "polite", "aria-label": `${T["sandbox.chat_with_bot"]} — ${phone.name}`, id: `chat-${phone.slot}` });
  if (!phone.messages.length) chat.append(el("p", { class: "empty" }, T["sandbox.empty"]));
  for (const m of phone.messages) chat.append(message(phone, m));
  const composer = el("div", { class: "composer" });
  if (!phone.started) {
    composer.append(el("button", { type: "button", class: "primary", id: `start-${phone.slot}`, onclick: () => api(`/api/${phone.slot}/start`, {}) }, T["sandbox.start"]));
  } else {
    if (state.replyTo || state.editing) {
      const what = state.editing ? T["sandbox.editing"] : `${T["sandbox.replying"]} « ${(state.replyTo.text || state.replyTo.caption || "").slice(0, 40)} »`;
      composer.append(el("div", { class: "replying" }, el("span", {}, what),
        el("button", { type: "button", onclick: () => { local[phone.slot] = {}; render(lastState); } }, T["sandbox.cancel"])));
    }
    const input = el("textarea", { id: `input-${phone.slot}`, rows: "1", placeholder: T["sandbox.placeholder"] });
    input.value = drafts[phone.slot] || "";
    input.addEventListener("input", () => { drafts[phone.slot] = input.value; });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(phone.slot, input); }
    });
    const form = el("form", { onsubmit: (event) => { event.preventDefault(); submit(phone.slot, input); } },
      el("label", { for: `input-${phone.slot}`, class: "sr-only" }, `${T["sandbox.message_label"]} — ${phone.name}`),
      input,
      el("button", { type: "submit", class: "primary" }, T["sandbox.send"]),
      el("button", { type: "button", title: T["sandbox.photo"], "aria-label": T["sandbox.photo"], onclick: () => api(`/api/${phone.slot}/photo`, { caption: input.value.trim() }) }, "📷"));
    composer.append(form);
  }
  const role = phone.facilitator ? T["sandbox.facilitator"] : T["sandbox.member"];
  return el("section", { class: "phone", "aria-labelledby": `title-${phone.slot}`, "data-slot": phone.slot },
    el("header", {}, el("h2", { id: `title-${phone.slot}` }, phone.name),
      el("span", { class: `badge${phone.facilitator ? "" : " member"}` }, role)),
    chat, composer);
}

let lastState = null;
function render(state) {
  if (!state) return;
  lastState = state;
  const focused = document.activeElement && document.activeElement.id;
  const scrolls = {};
  document.querySelectorAll(".chat").forEach((c) => { scrolls[c.id] = c.scrollHeight - c.scrollTop - c.clientHeight < 40; });
  phonesEl.replaceChildren(...state.phones.map(phoneView));
  document.querySelectorAll(".chat").forEach((c) => { if (scrolls[c.id] !== false) c.scrollTop = c.scrollHeight; });
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
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
  if (confirm(T["sandbox.reset_confirm"])) { Object.keys(local).forEach((k) => delete local[k]); await api("/api/reset", {}); }
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
