// The makerlink sandbox page: draws /sandbox/state and turns clicks and typing into /sandbox/... calls.
// Everything the bot says comes from the server (the real texts); this file only draws and forwards.
"use strict";

const SHARE_LOCATION = "@location";
const SHARE_CONTACT = "@contact";
const PLACES = [
  ["Detroit, MI (48201)", 42.3456, -83.0600],
  ["Ann Arbor, MI (48104)", 42.2634, -83.7160],
  ["Flint, MI (48502)", 43.0145, -83.6887],
  ["Chicago, IL (60607)", 41.8747, -87.6518],
];

const $ = (id) => document.getElementById(id);
let state = null;
let drawn = "";
let selectedPhone = null;
const seen = {}; // phone → how many messages of that thread were on screen while it was open
let counter = 0;

function actionId() {
  counter += 1;
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}${counter}`;
}

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.error || `${response.status} ${response.statusText}`);
  }
  return data;
}

function notice(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = !text;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A picture the bot sent (a Telegram photo, an MMS): shown under its text, through its signed /media link.
function bubble(text, message) {
  const node = el("div", "bubble", text);
  if (message.picture && message.picture_is_pdf) {
    const link = el("a", "", "📄 drawing.pdf");
    link.href = message.picture;
    node.append(el("br"), link);
  } else if (message.picture) {
    const image = el("img", "picture");
    image.src = message.picture;
    image.alt = "picture";
    node.append(image);
  }
  return node;
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function timeOf(iso) {
  const zone = state ? state.clock.timezone : undefined;
  return new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone });
}

// ── the buyer's chat ──

function isReplyKeyboard(buttons) {
  return buttons.some((row) => row.some((b) => b.data === SHARE_LOCATION || b.data === SHARE_CONTACT));
}

function describeInbound(message) {
  if (message.kind === "loc") return `📍 Location shared (${message.text})`;
  if (message.kind === "tel") return `📞 Contact shared: ${message.text}`;
  if (message.kind === "pic") return "📎";
  return message.text;
}

// Draws `messages` into `log`, keeping the node of a message already shown (so a button being pressed, or a test
// holding it, is not replaced on every poll), in the order given.
function syncLog(log, key, messages, build, meta) {
  if (log.dataset.key !== key) {
    log.replaceChildren();
    log.dataset.key = key;
  }
  const existing = new Map([...log.children].map((node) => [node.dataset.id, node]));
  const wanted = new Set();
  for (const message of messages) {
    wanted.add(message.id);
    let node = existing.get(message.id);
    if (!node) {
      node = build(message);
      node.dataset.id = message.id;
      node.append(el("div", "meta"));
    }
    node.lastChild.textContent = meta(message);
    if (log.lastChild !== node) log.append(node);
  }
  for (const [id, node] of existing) if (!wanted.has(id)) node.remove();
}

function chatMessage(message) {
  const mine = message.from === "buyer";
  const wrap = el("div", `msg ${mine ? "mine" : "bot"}`);
  if (message.purpose) wrap.dataset.purpose = message.purpose;
  wrap.append(bubble(mine ? describeInbound(message) : message.text, message));
  const buttons = message.buttons || [];
  if (buttons.length && !isReplyKeyboard(buttons)) {
    const keyboard = el("div", "inline-keyboard");
    for (const row of buttons) {
      const line = el("div", "inline-row");
      for (const button of row) {
        const press = el("button", "inline-button", button.label);
        press.type = "button";
        press.dataset.data = button.data;
        press.addEventListener("click", () => pressButton(button.data));
        line.append(press);
      }
      keyboard.append(line);
    }
    wrap.append(keyboard);
  }
  return wrap;
}

function drawChat() {
  const log = $("chat-log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  syncLog(log, "buyer", state.buyer.messages, chatMessage, (m) => timeOf(m.at));
  if (atBottom || log.dataset.count !== String(state.buyer.messages.length)) log.scrollTop = log.scrollHeight;
  log.dataset.count = String(state.buyer.messages.length);
  $("chat-start-row").hidden = state.buyer.messages.length > 0;

  const keyboard = $("keyboard");
  keyboard.replaceChildren();
  for (const row of state.buyer.keyboard || []) {
    const line = el("div", "inline-row");
    for (const button of row) {
      const press = el("button", "reply-button", button.label);
      press.type = "button";
      press.dataset.data = button.data;
      press.addEventListener("click", () => replyKey(button));
      line.append(press);
    }
    keyboard.append(line);
  }
}

function showToast(text, alert) {
  const toast = $("toast");
  toast.textContent = text;
  toast.className = alert ? "toast alert" : "toast";
  toast.hidden = false;
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => { toast.hidden = true; }, alert ? 4000 : 1800);
}

async function chat(body) {
  try {
    const answer = await call("POST", "/sandbox/chat", { ...body, id: actionId() });
    if (answer.toast) showToast(answer.toast, answer.alert);
    notice("");
  } catch (error) {
    notice(error.message);
  }
  refresh();
}

function pressButton(data) {
  chat({ callback: data });
}

function replyKey(button) {
  if (button.data === SHARE_LOCATION) {
    openPlaces();
  } else if (button.data === SHARE_CONTACT) {
    const phone = window.prompt("Telegram would share your phone number. Which number?", "+13135550199");
    if (phone) chat({ contact: phone });
  } else {
    chat({ text: button.label });
  }
}

function openPlaces() {
  const choices = $("place-choices");
  choices.replaceChildren();
  for (const [name, lat, lon] of PLACES) {
    const pick = el("button", "place", name);
    pick.type = "button";
    pick.addEventListener("click", () => {
      $("place-dialog").close();
      chat({ location: { latitude: lat, longitude: lon } });
    });
    choices.append(pick);
  }
  $("place-dialog").showModal();
}

$("place-form").addEventListener("submit", (event) => {
  if (event.submitter && event.submitter.value === "send") {
    const lat = parseFloat($("place-lat").value);
    const lon = parseFloat($("place-lon").value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) chat({ location: { latitude: lat, longitude: lon } });
  }
});

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("chat-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  chat({ text });
});

$("chat-start").addEventListener("click", () => chat({ text: "/start" }));

// ── the makers' phones ──

function threads() {
  const rows = state.makers.map((m) => ({ ...m, label: m.name }));
  for (const s of state.strangers) {
    rows.push({ phone: s.phone, name: s.phone, label: s.phone, zip: "", capabilities: "not in the directory",
      status: "", messages: s.messages, waiting: 0, waiting_until: null });
  }
  const last = (m) => (m.messages.length ? m.messages[m.messages.length - 1].at : "");
  rows.sort((a, b) => (last(b) > last(a) ? 1 : last(b) < last(a) ? -1 : 0));
  return rows;
}

// Who a maker is, as small chips: its kind unless a business, the organisers' labels, greener practices, classes.
// `few` keeps a card in the list short: two practices and one class at most, then how many more.
function traitChips(maker, few) {
  const box = el("div", "traits");
  const some = (list, most) => (few && list.length > most ? list.slice(0, most) : list);
  const more = (list, most) => (few && list.length > most ? list.length - most : 0);
  if (maker.type && maker.type !== "business") box.append(el("span", "chip kind", maker.type));
  for (const badge of maker.badges || []) box.append(el("span", "chip label", `🏷 ${badge}`));
  const practices = maker.practices || [];
  for (const practice of some(practices, 2)) box.append(el("span", "chip green", `🌱 ${practice}`));
  const offers = maker.training || [];
  for (const offer of some(offers, 1)) box.append(el("span", "chip teach", `🎓 ${offer}`));
  const hidden = more(practices, 2) + more(offers, 1);
  if (hidden) box.append(el("span", "chip", `+${hidden}`));
  return box;
}

function drawMakers() {
  const filter = $("maker-filter").value.trim().toLowerCase();
  const list = $("maker-list");
  list.replaceChildren();
  const rows = threads();
  if (selectedPhone === null) {
    const active = rows.find((m) => m.messages.length);
    if (active) selectedPhone = active.phone;
  }
  for (const maker of rows) {
    const traits = [...(maker.badges || []), ...(maker.practices || []), ...(maker.training || []), maker.type || ""];
    const haystack = `${maker.name} ${maker.phone} ${maker.zip} ${maker.capabilities} ${traits.join(" ")}`.toLowerCase();
    if (filter && !haystack.includes(filter)) continue;
    const item = el("li", "maker");
    item.dataset.phone = maker.phone;
    if (maker.messages.length) item.classList.add("has-messages");
    if (maker.phone === selectedPhone) item.classList.add("selected");
    const name = el("div", "name");
    name.append(el("span", "", maker.name));
    const unread = maker.messages.length - (seen[maker.phone] || 0);
    if (maker.phone !== selectedPhone && unread > 0) name.append(el("span", "badge", String(unread)));
    if (maker.waiting) name.append(el("span", "badge wait", `${maker.waiting} waiting`));
    item.append(name);
    const chips = traitChips(maker, true);
    if (chips.childElementCount) item.append(chips);
    const lastMessage = maker.messages[maker.messages.length - 1];
    item.append(el("div", "sub", lastMessage ? lastMessage.text : `${maker.zip} · ${maker.capabilities}`));
    item.addEventListener("click", () => {
      selectedPhone = maker.phone;
      drawMakers();
      drawThread(true);
    });
    list.append(item);
  }
}

function drawThread(jump) {
  const maker = threads().find((m) => m.phone === selectedPhone);
  const input = $("sms-input");
  const send = $("sms-send");
  const log = $("thread-log");
  if (!maker) {
    $("thread-title").textContent = "Pick a maker";
    $("thread-sub").textContent = "";
    log.replaceChildren();
    log.dataset.key = "";
    input.disabled = send.disabled = $("sms-file").disabled = true;
    $("thread-waiting").hidden = true;
    $("thread-traits").replaceChildren();
    return;
  }
  input.disabled = send.disabled = $("sms-file").disabled = false;
  $("thread-title").textContent = `${maker.name}`;
  $("thread-sub").textContent = `${maker.phone}${maker.zip ? " · " + maker.zip : ""}${maker.status && maker.status !== "active" ? " · " + maker.status : ""} · ${maker.capabilities}`;
  $("thread-traits").replaceChildren(...traitChips(maker, false).childNodes);
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const build = (message) => {
    const wrap = el("div", `msg ${message.from === "maker" ? "mine" : "bot"}`);
    if (message.purpose) wrap.dataset.purpose = message.purpose;
    wrap.append(bubble(message.text, message));
    return wrap;
  };
  const meta = (message) => `${timeOf(message.at)}${message.from === "maker" ? "" : ` · ${message.status}`}`;
  syncLog(log, maker.phone, maker.messages, build, meta);
  if (jump || atBottom || log.dataset.count !== String(maker.messages.length)) log.scrollTop = log.scrollHeight;
  log.dataset.count = String(maker.messages.length);
  seen[maker.phone] = maker.messages.length;
  const waiting = $("thread-waiting");
  if (maker.waiting) {
    const until = maker.waiting_until ? ` — held until ${timeOf(maker.waiting_until)} (quiet hours or pacing)` : " — going out";
    waiting.textContent = `${maker.waiting} message(s) on their way${until}`;
    waiting.hidden = false;
  } else {
    waiting.hidden = true;
  }
}

$("maker-filter").addEventListener("input", drawMakers);

$("chat-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const input = $("chat-input");
  const text = input.value.trim();
  input.value = "";
  try {
    const picture = await readAsDataUrl(file);
    await call("POST", "/sandbox/chat/picture", { picture, text, id: actionId() });
    notice("");
  } catch (error) {
    notice(error.message);
  }
  refresh();
});

$("sms-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || !selectedPhone) return;
  const input = $("sms-input");
  const text = input.value.trim();
  input.value = "";
  try {
    const picture = await readAsDataUrl(file);
    await call("POST", "/sandbox/sms/picture", { phone: selectedPhone, picture, text, id: actionId() });
    notice("");
  } catch (error) {
    notice(error.message);
  }
  refresh();
});

$("sms-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("sms-input");
  const text = input.value.trim();
  if (!text || !selectedPhone) return;
  input.value = "";
  try {
    await call("POST", "/sandbox/sms", { phone: selectedPhone, text, id: actionId() });
    notice("");
  } catch (error) {
    notice(error.message);
  }
  refresh();
});

// ── clock and reset ──

function drawClock() {
  const c = state.clock;
  $("clock").textContent = `${c.local} (${c.timezone})`;
  const notes = [];
  if (c.skipped_hours) notes.push(`${c.skipped_hours} h ahead of real time`);
  if (c.quiet_now) notes.push(`quiet hours (${c.quiet_hours}): bulk SMS wait`);
  $("clock-note").textContent = notes.length ? `— ${notes.join("; ")}` : "";
}

for (const button of document.querySelectorAll(".skip-button")) {
  button.addEventListener("click", async () => {
    try {
      const result = await call("POST", "/sandbox/clock", { hours: Number(button.dataset.hours) });
      notice(result.notice);  // the server says what came due: how many were sent, how many skipped and why
    } catch (error) {
      notice(error.message);
    }
    refresh();
  });
}

$("reset").addEventListener("click", async () => {
  if (!window.confirm("Empty the sandbox database and start again with the demo makers?")) return;
  try {
    const result = await call("POST", "/sandbox/reset", {});
    selectedPhone = null;
    watching = null;
    for (const key of Object.keys(seen)) delete seen[key];
    $("bc-preview-box").hidden = $("bc-send").hidden = $("bc-progress-box").hidden = true;
    notice(`Reset: a fresh database with ${result.makers} demo makers.`);
  } catch (error) {
    notice(error.message);
  }
  refresh();
});

// ── broadcasts ──

let draft = null;
let watching = null;

function list(title, entries) {
  const box = el("div");
  box.append(el("strong", "", title));
  const ul = el("ul");
  for (const entry of entries) ul.append(el("li", "", entry));
  if (!entries.length) ul.append(el("li", "muted", "none"));
  box.append(ul);
  return box;
}

$("bc-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const radius = $("bc-radius").value.trim();
  const body = {
    text: $("bc-text").value,
    to: $("bc-to").value,
    capability: $("bc-capability").value.trim() || null,
    zip: $("bc-zip").value.trim() || null,
    radius_miles: radius ? Number(radius) : null,
  };
  try {
    const result = await call("POST", "/sandbox/broadcasts", body);
    draft = result.broadcast;
    const p = result.preview;
    const box = $("bc-preview-box");
    box.replaceChildren();
    box.append(el("div", "", `Broadcast #${draft}: ${p.recipients} recipient(s).`));
    box.append(list("By channel", Object.entries(p.by_channel).map(([c, n]) => `${n} by ${c}`)));
    box.append(list("Left out", Object.entries(p.excluded).map(([why, n]) => `${n} ${why}`)));
    box.append(el("div", "", `SMS: ${p.sms_summary}; estimated cost $${p.estimated_cost_usd}`));
    box.append(list("For example", p.sample));
    box.hidden = false;
    $("bc-send").hidden = p.recipients === 0;
    $("bc-progress-box").hidden = true;
    notice("");
  } catch (error) {
    notice(error.message);
  }
});

$("bc-send").addEventListener("click", async () => {
  if (draft === null) return;
  try {
    await call("POST", `/sandbox/broadcasts/${draft}/send`, {});
    watching = draft;
    $("bc-send").hidden = true;
    $("bc-progress-box").hidden = false;
    watchBroadcast();
  } catch (error) {
    notice(error.message);
  }
});

async function watchBroadcast() {
  if (watching === null) return;
  let report;
  try {
    report = await call("GET", `/sandbox/broadcasts/${watching}`);
  } catch (error) {
    notice(error.message);
    watching = null;
    return;
  }
  const total = report.recipients || Object.values(report.messages).reduce((a, b) => a + b, 0);
  const pending = ["queued", "sending", "errored"].reduce((sum, s) => sum + (report.messages[s] || 0), 0);
  const finished = total - pending;
  $("bc-bar").style.width = total ? `${Math.round((100 * finished) / total)}%` : "100%";
  const parts = Object.entries(report.messages).sort().map(([s, n]) => `${n} ${s}`);
  let line = `#${report.id} ${report.status}: ${finished} of ${total} done — ${parts.join(", ") || "nothing queued"}`;
  const failures = Object.entries(report.failures).map(([code, n]) => `${n} ${code}`);
  if (failures.length) line += `; not sent: ${failures.join(", ")}`;
  if (report.held_until) line += `; quiet hours hold the rest until ${timeOf(report.held_until)} (skip ahead)`;
  if (report.done) line += " ✔";
  $("bc-progress").textContent = line;
  if (report.done) {
    watching = null;
    return;
  }
  setTimeout(watchBroadcast, 700);
}

// ── the local impact (the organisers' figures, as the server words them) ──

function drawImpact() {
  if (state.impact) $("impact").textContent = state.impact.text;
}

// ── polling ──

async function refresh() {
  try {
    const fresh = await call("GET", "/sandbox/state");
    const text = JSON.stringify(fresh);
    if (text === drawn) return;
    drawn = text;
    state = fresh;
    drawClock();
    drawChat();
    drawMakers();
    drawThread(false);
    drawImpact();
  } catch (error) {
    notice(`The sandbox server does not answer (${error.message}). Is makerlink serve still running?`);
  }
}

refresh();
setInterval(refresh, 800);
