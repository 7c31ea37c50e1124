'use strict';
/*
 * A compatibility front for telegram-test-api (npm, 4.2.1) so that the real python-telegram-bot 22 can drive it
 * unchanged, in polling and in webhook mode (see /work/shared/PEERS.md for the incompatibilities it fixes).
 *
 *   node tests/peers/telegram_front.js --port P
 *
 * starts telegram-test-api's TelegramServer on an internal free port and an HTTP front on 127.0.0.1:P:
 *   - Bot API:   GET|POST /bot<token>/<method>  (JSON, x-www-form-urlencoded or multipart/form-data parameters)
 *   - User side: POST /sendMessage, /sendCommand, /sendCallback, /getUpdates, /getUpdatesHistory (JSON), passed
 *                through to telegram-test-api unchanged.
 * Prints `ready` once both listen; exits cleanly on SIGTERM / SIGINT. Plain Node 20: `http` and global `fetch` only.
 */

const http = require('http');
const net = require('net');
const TelegramServer = require('telegram-test-api'); // module.exports is the TelegramServer class

const HOST = '127.0.0.1';
const POLL_MS = 100; // how often pending updates are fetched for webhook delivery and long polling
const WEBHOOK_ATTEMPTS = 5; // a failed webhook delivery is retried this many times in all, then dropped
const WEBHOOK_RETRY_MS = 200;
const WEBHOOK_TIMEOUT_MS = 5000;
const MAX_LONG_POLL_S = 50;
const MILLIS = 1e11; // a `date` above this is in milliseconds (in seconds it would be the year 5138)
const BOT_DEFAULTS = { first_name: 'Test First name', username: 'TestNameBot' };
// Harmless methods telegram-test-api does not know: answered like Telegram does, so a bot's setup does not fail.
const NO_OPS = new Set(['sendchataction', 'setmycommands', 'deletemycommands', 'setchatmenubutton']);
const UPDATE_TYPES = [
  'message', 'edited_message', 'channel_post', 'edited_channel_post', 'callback_query', 'inline_query',
  'chosen_inline_result', 'shipping_query', 'pre_checkout_query', 'poll', 'poll_answer', 'my_chat_member',
  'chat_member', 'chat_join_request',
];
const USER_ROUTES = new Map([
  ['/sendMessage', 'botToken'],
  ['/sendCommand', 'botToken'],
  ['/sendCallback', 'botToken'],
  ['/getUpdates', 'token'],
  ['/getUpdatesHistory', 'token'],
]);

const log = (...args) => console.log(new Date().toISOString(), ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

// Never crash the process: a peer that dies mid-test hides the real failure.
process.on('unhandledRejection', (reason) => log('unhandledRejection:', reason && reason.stack ? reason.stack : reason));
process.on('uncaughtException', (error) => log('uncaughtException:', error && error.stack ? error.stack : error));

function parseArgs(argv) {
  const args = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') args.port = Number(argv[++i]);
    else if (argv[i].startsWith('--port=')) args.port = Number(argv[i].slice('--port='.length));
  }
  if (!Number.isInteger(args.port) || args.port <= 0) {
    console.error('usage: node telegram_front.js --port PORT');
    process.exit(2);
  }
  return args;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------- request bodies

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseMultipart(body, boundary) {
  const fields = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  while (position !== -1) {
    let start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start, next - 2); // the CRLF before the next delimiter belongs to it
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /;\s*name="([^"]*)"/i.exec(headers);
      const filename = /;\s*filename="([^"]*)"/i.exec(headers);
      if (name) fields[name[1]] = filename ? { filename: filename[1], size: content.length } : content.toString('utf8');
    }
    position = next;
  }
  return fields;
}

// Bot API parameters as Telegram accepts them: query string, then JSON, urlencoded or multipart body.
// python-telegram-bot 22 posts application/x-www-form-urlencoded (objects JSON-encoded as strings), and
// multipart/form-data only when it uploads a file; GET and JSON are accepted too, as Telegram does.
function parseParams(url, contentType, body) {
  const params = Object.fromEntries(url.searchParams);
  const type = (contentType || '').toLowerCase();
  if (!body.length) return params;
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    if (boundary) Object.assign(params, parseMultipart(body, (boundary[1] || boundary[2]).trim()));
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else {
    const text = body.toString('utf8');
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(params, parsed);
    } catch {
      Object.assign(params, Object.fromEntries(new URLSearchParams(text)));
    }
  }
  return params;
}

function jsonParam(value) {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const truthy = (value) => value === true || value === 'true' || value === '1' || value === 1;

function send(res, status, payload) {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const ok = (result, extra = {}) => ({ ok: true, result, ...extra });
const fail = (code, description) => ({ ok: false, error_code: code, description });

// ---------------------------------------------------------------------------------------------- normalising

// python-telegram-bot parses `date` as seconds since the epoch; telegram-test-api stamps milliseconds.
function fixDates(value) {
  if (Array.isArray(value)) return value.map(fixDates);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = (key === 'date' || key === 'edit_date') && typeof item === 'number' && item > MILLIS
      ? Math.floor(item / 1000) : fixDates(item);
  }
  return out;
}

function botUser(token, base = {}) {
  const prefix = String(token).split(':')[0];
  return {
    ...BOT_DEFAULTS,
    ...base,
    // Telegram's bot id is the number before the colon of its token (telegram-test-api says 666 for every bot).
    id: /^\d+$/.test(prefix) ? Number(prefix) : base.id || 666,
    is_bot: true, // python-telegram-bot's User requires is_bot: without it Application.initialize() fails
  };
}

// A Message as python-telegram-bot's Message.de_json needs it: chat with a type, from with is_bot, a date.
function fixMessage(message, token, fromBot) {
  if (!message || typeof message !== 'object') return message;
  const m = { ...message };
  delete m.botToken; // telegram-test-api keeps the user side's request fields in the message
  for (const key of ['reply_markup', 'entities']) m[key] = jsonParam(m[key]);
  if (m.reply_markup === undefined) delete m.reply_markup;
  if (m.entities === undefined) delete m.entities;
  if (!m.chat || typeof m.chat !== 'object') {
    const id = Number(m.chat_id !== undefined ? m.chat_id : m.from && m.from.id);
    m.chat = { id, type: 'private' };
  } else if (!m.chat.type) {
    m.chat = { ...m.chat, type: 'private' };
  }
  delete m.chat_id;
  if (m.from && typeof m.from === 'object') m.from = fromBot ? botUser(token, m.from) : { is_bot: false, ...m.from };
  else if (fromBot) m.from = botUser(token);
  if (m.message_id !== undefined) m.message_id = Number(m.message_id);
  if (typeof m.date !== 'number') m.date = nowSeconds();
  return fixDates(m);
}

function fixUpdate(update, token) {
  const u = { ...update };
  for (const key of ['message', 'edited_message', 'channel_post', 'edited_channel_post']) {
    if (u[key]) u[key] = fixMessage(u[key], token, false);
  }
  if (u.callback_query) {
    const query = { ...u.callback_query };
    query.from = { is_bot: false, ...query.from };
    if (query.message) query.message = fixMessage(query.message, token, true);
    if (query.data === undefined || query.data === null) delete query.data;
    // python-telegram-bot's CallbackQuery requires chat_instance: without it the whole getUpdates batch fails.
    if (!query.chat_instance) {
      const chat = query.message && query.message.chat;
      query.chat_instance = String(chat && chat.id !== undefined ? chat.id : query.from.id);
    }
    u.callback_query = query;
  }
  return fixDates(u);
}

const updateType = (update) => UPDATE_TYPES.find((type) => type in update);

// ---------------------------------------------------------------------------------------------- the front

class Front {
  constructor(server, internalUrl) {
    this.server = server;
    this.internalUrl = internalUrl;
    this.bots = new Map(); // token -> {webhook, pending, allowed, lastError, busy}
    this.ticker = setInterval(() => this.tick(), POLL_MS);
  }

  bot(token) {
    if (!this.bots.has(token)) {
      this.bots.set(token, { webhook: null, pending: [], allowed: null, lastError: null, busy: false });
    }
    return this.bots.get(token);
  }

  async internal(path, params) {
    const response = await fetch(`${this.internalUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params || {}),
    });
    const text = await response.text();
    let payload;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { message: text };
    }
    return { status: response.status, payload };
  }

  // Moves the bot's new updates from telegram-test-api (which hands each out once) into the front's queue, where
  // they stay until confirmed by a getUpdates offset or delivered to the webhook, as on Telegram.
  async pull(token) {
    const { status, payload } = await this.internal(`/bot${encodeURIComponent(token)}/getUpdates`, {});
    if (status !== 200 || !payload || !Array.isArray(payload.result)) {
      throw new Error(`internal getUpdates answered ${status}: ${JSON.stringify(payload)}`);
    }
    const bot = this.bot(token);
    const seen = new Set(bot.pending.map((u) => u.update_id));
    for (const raw of payload.result) {
      const update = fixUpdate(raw, token);
      if (!seen.has(update.update_id)) bot.pending.push(update);
    }
    if (bot.allowed && bot.allowed.length) {
      bot.pending = bot.pending.filter((u) => bot.allowed.includes(updateType(u)));
    }
    return bot;
  }

  async drop(token) {
    const bot = await this.pull(token);
    bot.pending = [];
  }

  chatFor(token, chatId) {
    // A private chat's first_name is the user's (telegram-test-api says 'Bot'): found in what the user sent.
    const users = this.server.storage.userMessages;
    for (let i = users.length - 1; i >= 0; i--) {
      const entry = users[i];
      if (entry.botToken !== token) continue;
      const user = entry.callbackQuery ? entry.callbackQuery.from : entry.message && entry.message.from;
      const chat = entry.message && entry.message.chat;
      if (chat && String(chat.id) === String(chatId)) return { type: 'private', ...chat, id: Number(chatId) };
      if (user && String(user.id) === String(chatId)) {
        const { is_bot: _isBot, language_code: _language, ...names } = user;
        return { ...names, id: Number(chatId), type: 'private' };
      }
    }
    return { id: Number(chatId), type: 'private' };
  }

  storedBotMessage(token, chatId, messageId) {
    return this.server.storage.botMessages.find((entry) => entry.botToken === token
      && String(entry.messageId) === String(messageId) && String(entry.message.chat_id) === String(chatId));
  }

  messageFromEntry(token, entry, editDate) {
    const raw = entry.message;
    const message = {
      message_id: entry.messageId,
      from: botUser(token),
      chat: this.chatFor(token, raw.chat_id),
      date: Math.floor(entry.time / 1000),
      text: raw.text,
    };
    if (editDate) message.edit_date = editDate;
    const entities = jsonParam(raw.entities);
    if (Array.isArray(entities) && entities.length) message.entities = entities;
    const markup = jsonParam(raw.reply_markup);
    if (markup && Array.isArray(markup.inline_keyboard)) message.reply_markup = markup; // Message carries inline ones
    return message;
  }

  // ------------------------------------------------------------------------------------------ Bot API

  async botApi(token, method, params) {
    const name = method.toLowerCase();
    const bot = this.bot(token);
    switch (name) {
      case 'setwebhook':
        return this.setWebhook(token, bot, params);
      case 'deletewebhook':
        return this.deleteWebhook(token, bot, params);
      case 'getwebhookinfo': // PTB's WebhookInfo needs url, has_custom_certificate, pending_update_count
        return [200, ok(this.webhookInfo(bot))];
      case 'getupdates':
        return this.getUpdates(token, bot, params);
      default:
        break;
    }
    if (NO_OPS.has(name)) return [200, ok(true)];
    if (name === 'sendmessage') {
      // Telegram refuses these with 400 (PTB raises BadRequest); telegram-test-api would store a message to chat NaN.
      if (params.chat_id === undefined || params.chat_id === '') return [400, fail(400, 'Bad Request: chat not found')];
      if (!params.text) return [400, fail(400, 'Bad Request: message text is empty')];
    }
    if (name === 'editmessagetext' || name === 'editmessagereplymarkup') return this.edit(token, name, params);
    return this.forward(token, method, name, params);
  }

  async forward(token, method, name, params) {
    const { status, payload } = await this.internal(`/bot${encodeURIComponent(token)}/${method}`, params);
    if (status >= 500 || !payload || typeof payload.ok !== 'boolean') {
      // telegram-test-api answers 500 for what it does not know, which python-telegram-bot retries as a network
      // error (hiding the failure): Telegram answers 400 with ok=false, which PTB raises as BadRequest at once.
      const description = (payload && (payload.description || payload.message)) || `HTTP ${status}`;
      return [400, fail(400, `Bad Request: ${description}`)];
    }
    if (!payload.ok) return [payload.error_code || 400, payload]; // PTB reads errors from the HTTP status
    let result = payload.result;
    if (name === 'getme') {
      result = botUser(token, result);
      // Fields of getMe's User that PTB exposes (bot.can_join_groups, ...); telegram-test-api has none.
      result = {
        can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
        can_connect_to_business: false, has_main_web_app: false, ...result,
      };
    } else if (name === 'sendmessage' && result && typeof result === 'object') {
      // Only Message fields (telegram-test-api echoes chat_id, parse_mode, ... which PTB keeps as api_kwargs),
      // from = the bot, and the chat as Telegram describes it.
      const entry = this.storedBotMessage(token, params.chat_id, result.message_id);
      result = entry ? this.messageFromEntry(token, entry) : fixMessage(result, token, true);
    } else if (result === null || result === undefined) {
      // answerCallbackQuery, deleteMessage, ... return True on Telegram; PTB's return values say bool.
      result = true;
    }
    return [200, ok(fixDates(result))];
  }

  async edit(token, name, params) {
    if (params.inline_message_id) return [200, ok(true)]; // Telegram returns True for inline messages
    const entry = this.storedBotMessage(token, params.chat_id, params.message_id);
    if (!entry) return [400, fail(400, 'Bad Request: message to edit not found')];
    // Telegram edits only messages sent with no keyboard markup or with an inline keyboard (not with a reply
    // keyboard, nor with the removal of one); telegram-test-api edits anything.
    const sentWith = jsonParam(entry.message.reply_markup);
    if (sentWith && !Array.isArray(sentWith.inline_keyboard)) {
      return [400, fail(400, "Bad Request: message can't be edited")];
    }
    const markup = jsonParam(params.reply_markup);
    if (markup !== undefined && !(markup && Array.isArray(markup.inline_keyboard))) {
      return [400, fail(400, 'Bad Request: only inline keyboards can be edited')];
    }
    const before = this.messageFromEntry(token, entry);
    const text = name === 'editmessagetext' ? params.text : before.text;
    if (name === 'editmessagetext' && !text) return [400, fail(400, 'Bad Request: message text is empty')];
    const same = (a, b) => JSON.stringify(a || null) === JSON.stringify(b || null);
    const empty = (m) => (m && m.inline_keyboard && m.inline_keyboard.length ? m : null);
    if (text === before.text && same(empty(markup), empty(before.reply_markup))) {
      // What Telegram answers (and PTB raises as BadRequest) when an edit changes nothing.
      return [400, fail(400, 'Bad Request: message is not modified: specified new message content and reply markup'
        + ' are exactly the same as a current content and reply markup of the message')];
    }
    // Telegram drops the inline keyboard of a message edited without reply_markup (telegram-test-api keeps it).
    // It goes before the package stores the new text, so that no reader polling meanwhile sees the new text
    // with the old keyboard; it comes back if the edit fails.
    const kept = entry.message.reply_markup;
    if (markup === undefined) delete entry.message.reply_markup;
    const { status, payload } = await this.internal(`/bot${encodeURIComponent(token)}/${name === 'editmessagetext'
      ? 'editMessageText' : 'editMessageReplyMarkup'}`, params);
    if (status !== 200 || !payload || !payload.ok) {
      if (markup === undefined && kept !== undefined) entry.message.reply_markup = kept;
      return [400, fail(400, `Bad Request: ${(payload && (payload.description || payload.message)) || status}`)];
    }
    // telegram-test-api returns result: null, which PTB cannot turn into the edited Message it returns.
    return [200, ok(this.messageFromEntry(token, entry, nowSeconds()))];
  }

  async setWebhook(token, bot, params) {
    const url = params.url || '';
    const secret = params.secret_token;
    if (secret !== undefined && secret !== '' && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      return [400, fail(400, 'Bad Request: secret token contains unallowed characters')];
    }
    if (url && !/^https?:\/\//i.test(url)) return [400, fail(400, 'Bad Request: bad webhook: invalid URL')];
    if (truthy(params.drop_pending_updates)) await this.drop(token);
    const allowed = jsonParam(params.allowed_updates);
    if (Array.isArray(allowed)) bot.allowed = allowed.length ? allowed : null;
    if (!url) {
      bot.webhook = null;
      return [200, ok(true, { description: 'Webhook was deleted' })];
    }
    bot.webhook = {
      url,
      secret: secret || null,
      maxConnections: params.max_connections ? Number(params.max_connections) : 40,
      certificate: typeof params.certificate === 'object',
      ipAddress: params.ip_address,
    };
    bot.lastError = null;
    log(`webhook set for bot ${token.split(':')[0]}: ${url}${secret ? ' (with secret token)' : ''}`);
    return [200, ok(true, { description: 'Webhook was set' })];
  }

  async deleteWebhook(token, bot, params) {
    const had = bot.webhook !== null;
    bot.webhook = null;
    if (truthy(params.drop_pending_updates)) await this.drop(token);
    if (had) log(`webhook deleted for bot ${token.split(':')[0]}`);
    return [200, ok(true, { description: had ? 'Webhook was deleted' : 'Webhook is already deleted' })];
  }

  webhookInfo(bot) {
    const info = { url: bot.webhook ? bot.webhook.url : '', has_custom_certificate: false,
      pending_update_count: bot.pending.length };
    if (bot.webhook) {
      info.has_custom_certificate = bot.webhook.certificate;
      info.max_connections = bot.webhook.maxConnections;
      if (bot.webhook.ipAddress) info.ip_address = bot.webhook.ipAddress;
    }
    if (bot.lastError) {
      info.last_error_date = bot.lastError.date;
      info.last_error_message = bot.lastError.message;
    }
    if (bot.allowed) info.allowed_updates = bot.allowed;
    return info;
  }

  // Telegram's getUpdates: offset confirms, limit, long polling up to `timeout` seconds (telegram-test-api has
  // none, so PTB's default timeout=10 would spin), allowed_updates remembered; 409 while a webhook is set.
  async getUpdates(token, bot, params, res) {
    if (bot.webhook) {
      return [409, fail(409, "Conflict: can't use getUpdates method while webhook is active;"
        + ' use deleteWebhook to delete the webhook first')];
    }
    const offset = Number(params.offset || 0);
    const limit = Math.min(Math.max(Number(params.limit || 100), 1), 100);
    const timeout = Math.min(Math.max(Number(params.timeout || 0), 0), MAX_LONG_POLL_S);
    const allowed = jsonParam(params.allowed_updates);
    if (Array.isArray(allowed)) bot.allowed = allowed.length ? allowed : null;
    const deadline = Date.now() + timeout * 1000;
    for (;;) {
      await this.pull(token);
      if (offset > 0) bot.pending = bot.pending.filter((u) => u.update_id >= offset);
      else if (offset < 0) bot.pending = bot.pending.slice(offset);
      const gone = res && (res.destroyed || res.writableEnded || !res.socket || res.socket.destroyed);
      if (gone) log('getUpdates: the client went away');
      if (bot.pending.length || Date.now() >= deadline || gone || bot.webhook) break;
      await sleep(POLL_MS);
    }
    if (bot.webhook) return [409, fail(409, 'Conflict: terminated by setWebhook request')];
    return [200, ok(bot.pending.slice(0, limit))];
  }

  // ------------------------------------------------------------------------------------------ webhooks

  tick() {
    for (const [token, bot] of this.bots) {
      if (!bot.webhook || bot.busy) continue;
      bot.busy = true;
      this.deliver(token, bot)
        .catch((error) => log(`webhook delivery for bot ${token.split(':')[0]} failed: ${error}`))
        .finally(() => {
          bot.busy = false;
        });
    }
  }

  async deliver(token, bot) {
    await this.pull(token);
    while (bot.webhook && bot.pending.length) {
      const webhook = bot.webhook;
      const update = bot.pending[0];
      let delivered = false;
      for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && bot.webhook === webhook; attempt++) {
        try {
          const headers = { 'content-type': 'application/json' };
          // Telegram sends the secret_token given to setWebhook in this header; PTB's webhook server checks it.
          if (webhook.secret) headers['X-Telegram-Bot-Api-Secret-Token'] = webhook.secret;
          const response = await fetch(webhook.url, {
            method: 'POST', headers, body: JSON.stringify(update), signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          });
          await response.arrayBuffer().catch(() => undefined);
          if (response.status >= 200 && response.status < 300) {
            delivered = true;
            break;
          }
          throw new Error(`Wrong response from the webhook: ${response.status} ${response.statusText}`);
        } catch (error) {
          const message = error && error.cause ? `${error.message}: ${error.cause.code || error.cause.message}`
            : String(error && error.message ? error.message : error);
          bot.lastError = { date: nowSeconds(), message };
          log(`webhook delivery of update ${update.update_id} to ${webhook.url}, attempt ${attempt}: ${message}`);
          if (attempt < WEBHOOK_ATTEMPTS) await sleep(WEBHOOK_RETRY_MS);
        }
      }
      if (bot.webhook !== webhook) return; // deleted or replaced meanwhile: the update stays pending
      if (!delivered) log(`webhook: dropping update ${update.update_id} after ${WEBHOOK_ATTEMPTS} attempts`);
      if (bot.pending[0] === update) bot.pending.shift();
    }
  }

  // ------------------------------------------------------------------------------------------ HTTP

  async handle(req, res) {
    const url = new URL(req.url, `http://${HOST}`);
    const body = await readBody(req);
    const botRoute = /^\/bot([^/]+)\/([A-Za-z_]+)\/?$/.exec(url.pathname);
    if (botRoute) {
      if (req.method !== 'GET' && req.method !== 'POST') {
        return send(res, 405, fail(405, `Method Not Allowed: ${req.method}`));
      }
      const token = decodeURIComponent(botRoute[1]);
      const method = botRoute[2];
      let status;
      let payload;
      try {
        const params = parseParams(url, req.headers['content-type'], body);
        [status, payload] = method.toLowerCase() === 'getupdates'
          ? await this.getUpdates(token, this.bot(token), params, res)
          : await this.botApi(token, method, params);
      } catch (error) {
        log(`bot API ${method} failed:`, error && error.stack ? error.stack : error);
        [status, payload] = [400, fail(400, `Bad Request: ${error && error.message ? error.message : error}`)];
      }
      if (method.toLowerCase() !== 'getupdates' || status !== 200 || payload.result.length) {
        log(`bot API ${method} -> ${status}${payload.ok ? '' : ` ${payload.description}`}`);
      }
      return send(res, status, payload);
    }
    const field = USER_ROUTES.get(url.pathname);
    if (field) {
      if (req.method !== 'POST') return send(res, 405, { ok: false, message: 'user-side routes take POST JSON' });
      let params;
      try {
        params = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return send(res, 400, { ok: false, message: 'user-side routes take a JSON body' });
      }
      // telegram-test-api asserts these inside a promise nobody awaits: the request would say ok and do nothing.
      if (!params || !params[field]) return send(res, 400, { ok: false, message: `\`${field}\` is required` });
      if (url.pathname === '/sendCommand' && !Array.isArray(params.entities)) {
        return send(res, 400, { ok: false, message: 'a command needs `entities` (a bot_command entity)' });
      }
      const response = await fetch(`${this.internalUrl}${url.pathname}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body,
      });
      const text = await response.text();
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') || 'application/json' });
      return res.end(text);
    }
    return send(res, 404, fail(404, 'Not Found'));
  }
}

async function main() {
  const { port } = parseArgs(process.argv.slice(2));
  const internalPort = await freePort();
  const server = new TelegramServer({ port: internalPort, host: HOST, storeTimeout: 60 });
  await server.start();
  const front = new Front(server, `http://${HOST}:${internalPort}`);
  const httpServer = http.createServer((req, res) => {
    front.handle(req, res).catch((error) => {
      log('front failed:', error && error.stack ? error.stack : error);
      send(res, 500, fail(500, 'Internal Server Error'));
    });
  });
  // Longer than httpx's keep-alive (5 s), so the client always closes an idle connection first: otherwise PTB
  // may reuse a connection the server is just closing and log a NetworkError.
  httpServer.keepAliveTimeout = 75000;
  httpServer.headersTimeout = 80000;
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, HOST, resolve);
  });
  console.log('ready');
  log(`telegram front on http://${HOST}:${port} (telegram-test-api on port ${internalPort})`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    clearInterval(front.ticker);
    setTimeout(() => process.exit(0), 3000).unref();
    httpServer.close();
    httpServer.closeAllConnections();
    try {
      await server.stop();
    } catch (error) {
      log('stopping telegram-test-api failed:', error);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
