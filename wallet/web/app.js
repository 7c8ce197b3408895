'use strict';
// Bandeira Pay: the wallet's page. It speaks only to the wallet's JSON API (/v1, see
// /v1/openapi.json); money is integer centavos everywhere, formatted as reais here.

const $ = (sel) => document.querySelector(sel);
const state = { user: null, token: null, users: [], cards: [], merchants: [], chat: null, cart: {}, catalog: [], device: null, confirm: null };
// The bearer tokens of the users registered in this browser, by user ID: the wallet acts
// for a user only with that user's token.
const tokens = JSON.parse(localStorage.getItem('wallet.tokens') || '{}');
function saveToken(id, token) { tokens[id] = token; localStorage.setItem('wallet.tokens', JSON.stringify(tokens)); }

// ---- API ----------------------------------------------------------------------------
async function api(method, path, body, idempotencyKey) {
  const headers = { 'X-App': $('#app-select').value };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.error ? data.error.message : res.statusText);
    err.code = data.error ? data.error.code : String(res.status);
    throw err;
  }
  return data;
}

// ---- money and text -------------------------------------------------------------------
function brl(c) {
  const neg = c < 0; c = Math.abs(c);
  const reais = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return (neg ? '-' : '') + 'R$ ' + reais + ',' + String(c % 100).padStart(2, '0');
}
function centavos(text) {
  const m = /^\s*(?:R\$\s*)?(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
}
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
function toast(text, bad) {
  const t = $('#toast'); t.textContent = text; t.className = bad ? 'bad' : ''; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}
function time(iso) { return new Date(iso).toLocaleString('pt-BR', { dateStyle: 'short', timeStyle: 'short' }); }
function newKey() { return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(); }

// ---- users ----------------------------------------------------------------------------
async function loadUsers(select) {
  state.users = (await api('GET', '/v1/users')).users;
  const sel = $('#user-select');
  sel.replaceChildren(el('option', { value: '' }, '— pick a user —'));
  for (const u of state.users) if (tokens[u.id]) sel.append(el('option', { value: u.id }, `${u.name} (${u.phone})`));
  if (select) sel.value = select;
}
async function selectUser(id) {
  if (id && !tokens[id]) { toast('This browser holds no session for that user', true); id = ''; }
  localStorage.setItem('wallet.user', id); state.token = tokens[id] || null;
  state.user = id ? await api('GET', '/v1/users/' + id) : null;
  $('#cards-btn').disabled = !state.user;
  state.chat = null; state.cart = {};
  if (!state.user) return renderChats();
  state.cards = (await api('GET', `/v1/users/${id}/cards`)).cards;
  state.device = await loadDevice(id);
  renderChats();
  if (!state.user.pin_set) $('#pin-dialog').showModal();
  else if (state.cards.length === 0) toast('Add a card in "Cards & security" to pay and receive money.');
}

// ---- chats ----------------------------------------------------------------------------
function renderChats() {
  const list = $('#chat-list'); list.replaceChildren();
  if (!state.user) return;
  const item = (key, title, sub, open) => {
    const li = el('li', { 'data-chat': key, onclick: () => { state.chat = key; renderChats(); open(); } }, title, el('small', {}, sub));
    if (state.chat === key) li.classList.add('active');
    list.append(li);
  };
  item('activity', 'Activity', 'Payments, transfers and bills', openActivity);
  for (const m of state.merchants) item('merchant:' + m.id, m.name, `Business · ${m.city}`, () => openMerchant(m));
  for (const u of state.users) if (u.id !== state.user.id) item('contact:' + u.id, u.name, u.phone, () => openContact(u));
}
function chatHead(title, sub) { $('#chat-title').textContent = title; $('#chat-sub').textContent = sub || ''; }
function messages(...bubbles) { $('#messages').replaceChildren(...bubbles); $('#messages').scrollTop = 1e9; }
function say(bubble) { $('#messages').append(bubble); $('#messages').scrollTop = 1e9; }

async function history() { return (await api('GET', `/v1/users/${state.user.id}/activity?limit=100`)).items; }

async function openMerchant(m) {
  $('#composer').hidden = true; chatHead(m.name, m.city);
  state.cart = {}; state.catalog = (await api('GET', `/v1/merchants/${m.id}/catalog`)).products;
  const products = el('div', { class: 'products' });
  for (const p of state.catalog) {
    products.append(el('div', { class: 'product' }, el('span', {}, p.name), el('span', { class: 'price' }, brl(p.price)),
      el('button', { type: 'button', 'data-add-product': p.id, onclick: () => addToCart(m, p) }, 'Add')));
  }
  const past = (await history()).filter((it) => it.type !== 'transfer' && (it.payment || it.charge || {}).merchant_id === m.id).reverse();
  messages(el('div', { class: 'bubble in' }, `Olá! Welcome to ${m.name}. Here is our catalog:`, products),
    ...past.map((it) => it.type === 'payment' ? receipt(it.payment) : chargeBubble(it.charge)), el('div', { id: 'cart' }));
}
function addToCart(m, p) {
  state.cart[p.id] = (state.cart[p.id] || 0) + 1;
  const items = Object.entries(state.cart).map(([id, q]) => ({ product_id: id, quantity: q }));
  const total = items.reduce((s, it) => s + it.quantity * state.catalog.find((p) => p.id === it.product_id).price, 0);
  const lines = items.map((it) => `${it.quantity}× ${state.catalog.find((p) => p.id === it.product_id).name}`).join(', ');
  $('#cart').replaceWith(el('div', { id: 'cart', class: 'bubble out' }, lines, el('div', { class: 'cart' },
    el('span', { class: 'amount' }, brl(total)),
    el('button', { id: 'cart-pay', type: 'button', onclick: () => confirmPayment(m, items, total) }, 'Pay'))));
  $('#messages').scrollTop = 1e9;
}
function receipt(p) {
  const ok = p.status === 'approved';
  return el('div', { class: `bubble out receipt ${p.status}`, 'data-status': p.status, 'data-payment': p.id },
    el('h3', {}, ok ? 'Payment approved' : 'Payment ' + p.status), el('div', { class: 'amount' }, brl(p.amount)),
    el('div', {}, p.items.map((i) => `${i.quantity}× ${i.name}`).join(', ')),
    el('div', { class: 'meta' }, ok ? `Auth ${p.auth_code} · card •••• ${cardLast4(p.card_id)} · ${p.app} · ${time(p.created_at)}`
      : `${p.reason} (${p.response_code}) · ${time(p.created_at)}`));
}
function chargeBubble(c) {
  const open = c.status === 'open';
  return el('div', { class: 'bubble in', 'data-charge': c.id }, el('h3', {}, 'Bill: ' + c.description),
    el('div', { class: 'amount' }, brl(c.amount)), el('div', { class: 'meta' }, `${c.status} · until ${time(c.expires_at)}`),
    open ? el('button', { type: 'button', 'data-pay-charge': c.id, onclick: () => confirmCharge(c) }, 'Pay bill') : null);
}
function cardLast4(id) { const c = state.cards.find((x) => x.id === id); return c ? c.last4 : '????'; }

async function openContact(u) {
  $('#composer').hidden = false; chatHead(u.name, u.phone); state.contact = u;
  const mine = (await history()).filter((it) => it.type === 'transfer' &&
    (it.transfer.to_user_id === u.id || it.transfer.from_user_id === u.id)).reverse();
  messages(el('div', { class: 'bubble in' }, `Send money to ${u.name} like a message. It is free for both of you.`),
    ...mine.map((it) => transferBubble(it)));
}
function transferBubble(it) {
  const t = it.transfer, out = it.direction === 'out';
  return el('div', { class: `bubble ${out ? 'out' : 'in'} ${t.status}`, 'data-transfer': t.id, 'data-status': t.status },
    el('div', { class: 'amount' }, (out ? 'You sent ' : 'You received ') + brl(t.amount)),
    t.message ? el('div', {}, t.message) : null,
    el('div', { class: 'meta' }, t.status === 'completed' ? `${t.app} · ${time(t.created_at)}` : `${t.status}: ${t.reason} (${t.response_code})`));
}

async function openActivity() {
  $('#composer').hidden = true; chatHead('Activity', 'newest first');
  const list = el('div', { id: 'activity-list' });
  messages(list);
  const more = async (cursor) => {
    const page = await api('GET', `/v1/users/${state.user.id}/activity?limit=20` + (cursor ? '&cursor=' + cursor : ''));
    for (const it of page.items) {
      list.append(el('div', { class: `bubble ${it.direction === 'in' ? 'in' : 'out'} activity-item ${it.status}`, 'data-type': it.type, 'data-status': it.status },
        el('strong', {}, `${it.type === 'transfer' ? (it.direction === 'in' ? 'From ' : 'To ') : ''}${it.title}`),
        el('div', { class: 'amount' }, brl(it.amount)), el('div', {}, it.description),
        el('div', { class: 'meta' }, `${it.type} · ${it.status}${it.app ? ' · ' + it.app : ''} · ${time(it.created_at)}`)));
    }
    if (page.next_cursor) list.append(el('button', { type: 'button', class: 'ghost', onclick: (e) => { e.target.remove(); more(page.next_cursor); } }, 'Load more'));
  };
  await more('');
}

// ---- confirmations ------------------------------------------------------------------------
// purpose(cardId) is what a fingerprint challenge confirms: the server binds the challenge
// to it, and the device signs a message that spells it out.
function openConfirm(title, summary, cards, credit, purpose, submit) {
  if (cards.length === 0) return toast('Add a suitable card first (Cards & security).', true);
  state.confirm = { submit, purpose, key: newKey() };
  $('#confirm-title').textContent = title; $('#confirm-summary').textContent = summary;
  $('#confirm-card').replaceChildren(...cards.map((c) => el('option', { value: c.id }, `${c.brand} ${c.product} •••• ${c.last4} (${c.issuer})`)));
  const inst = $('#confirm-installments');
  inst.replaceChildren(...[1, 2, 3, 4, 5, 6, 10, 12].map((n) => el('option', { value: n }, n === 1 ? 'à vista' : `${n}x`)));
  const syncInstallments = () => { $('#installments-row').hidden = !credit || cards.find((c) => c.id === $('#confirm-card').value).product !== 'credit'; };
  $('#confirm-card').onchange = syncInstallments; syncInstallments();
  $('#confirm-pin').value = ''; $('#confirm-fingerprint').hidden = !state.device;
  $('#confirm-dialog').showModal(); $('#confirm-pin').focus();
}
async function runConfirm(confirmation) {
  const c = state.confirm; if (!c) return;
  const installments = $('#installments-row').hidden ? undefined : Number($('#confirm-installments').value);
  try {
    await c.submit($('#confirm-card').value, confirmation, installments, c.key);
    $('#confirm-dialog').close(); state.confirm = null;
  } catch (e) {
    toast(e.message, true);
    c.key = newKey();
    if (e.code === 'pin_locked') $('#confirm-dialog').close();
  }
}
function confirmPayment(m, items, total) {
  const purpose = (cardId) => ({ operation: 'payment', card_id: cardId, merchant_id: m.id, amount: total });
  openConfirm('Pay ' + m.name, `${brl(total)} — ${items.length} item(s)`, state.cards, true, purpose, async (cardId, confirmation, installments, key) => {
    const body = { user_id: state.user.id, card_id: cardId, merchant_id: m.id, items, confirmation };
    if (installments && installments > 1) body.installments = installments;
    const p = await api('POST', '/v1/payments', body, key);
    state.cart = {}; $('#cart').replaceWith(el('div', { id: 'cart' })); say(receipt(p));
    toast(p.status === 'approved' ? 'Payment approved' : `${p.reason} (${p.response_code})`, p.status !== 'approved');
  });
}
function confirmCharge(c) {
  const purpose = (cardId) => ({ operation: 'charge_payment', charge_id: c.id, card_id: cardId });
  openConfirm('Pay bill', `${brl(c.amount)} — ${c.description}`, state.cards, true, purpose, async (cardId, confirmation, installments, key) => {
    const body = { user_id: state.user.id, card_id: cardId, confirmation };
    if (installments && installments > 1) body.installments = installments;
    const p = await api('POST', `/v1/charges/${c.id}/pay`, body, key);
    say(receipt(p));
  });
}
function confirmTransfer(u, amount, message) {
  const debit = state.cards.filter((c) => c.product !== 'credit');
  const purpose = (cardId) => ({ operation: 'transfer', card_id: cardId, to_phone: u.phone, amount });
  openConfirm('Send money', `${brl(amount)} to ${u.name}`, debit, false, purpose, async (cardId, confirmation, _i, key) => {
    const t = await api('POST', '/v1/transfers', { from_user_id: state.user.id, card_id: cardId, to_phone: u.phone, amount, message, confirmation }, key);
    say(transferBubble({ transfer: t, direction: 'out' }));
    $('#send-amount').value = ''; $('#send-message').value = '';
    toast(t.status === 'completed' ? 'Sent' : `${t.reason} (${t.response_code})`, t.status !== 'completed');
  });
}

// ---- the fingerprint: a P-256 key of this browser, kept in IndexedDB -------------------
function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('bandeira-wallet', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('devices');
    req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error);
  });
}
async function loadDevice(userId) {
  try {
    const d = await db();
    return await new Promise((resolve) => { const r = d.transaction('devices').objectStore('devices').get(userId); r.onsuccess = () => resolve(r.result || null); r.onerror = () => resolve(null); });
  } catch (e) { return null; }
}
async function saveDevice(userId, device) {
  const d = await db();
  await new Promise((resolve, reject) => { const tx = d.transaction('devices', 'readwrite'); tx.objectStore('devices').put(device, userId); tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
}
function b64(buf) { return btoa(String.fromCharCode(...new Uint8Array(buf))); }
async function registerDevice() {
  const pin = $('#device-pin').value;
  if (!/^[0-9]{6}$/.test(pin)) return toast('Type your 6-digit PIN to set up the fingerprint', true);
  try {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
    const dev = await api('POST', `/v1/users/${state.user.id}/devices`, { name: navigator.platform || 'browser', public_key: b64(spki), confirmation: { pin } }, newKey());
    state.device = { id: dev.id, key: pair.privateKey };
    await saveDevice(state.user.id, state.device);
    $('#device-pin').value = '';
    $('#device-status').textContent = 'Fingerprint ready on this device.'; toast('Fingerprint set up');
  } catch (e) { toast(e.message, true); }
}
async function fingerprint() {
  try {
    const c = state.confirm; if (!c) return;
    const ch = await api('POST', '/v1/challenges', { user_id: state.user.id, device_id: state.device.id, for: c.purpose($('#confirm-card').value) });
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, state.device.key, new TextEncoder().encode(ch.message));
    await runConfirm({ device_id: state.device.id, challenge_id: ch.id, signature: b64(sig) });
  } catch (e) { toast(e.message, true); }
}

// ---- cards ----------------------------------------------------------------------------
function renderCards() {
  $('#card-list').replaceChildren(...state.cards.map((c) => el('li', { class: 'card-item', 'data-card': c.id },
    el('span', {}, `${c.brand} ${c.product} •••• ${c.last4}`), el('span', { class: 'muted' }, `${c.issuer}${c.default ? ' · receives transfers' : ''} · token •••• ${c.token_last4}`))));
  $('#device-status').textContent = state.device ? 'Fingerprint ready on this device.' : "Use this browser's key instead of the PIN.";
}

// ---- wiring ---------------------------------------------------------------------------
document.addEventListener('DOMContentLoaded', async () => {
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
  $('#user-select').addEventListener('change', (e) => selectUser(e.target.value).catch((err) => toast(err.message, true)));
  $('#new-user-btn').addEventListener('click', () => $('#onboard-dialog').showModal());
  $('#onboard-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const u = await api('POST', '/v1/users', { name: $('#onboard-name').value, phone: $('#onboard-phone').value }, newKey());
      saveToken(u.id, u.token);
      $('#onboard-dialog').close(); await loadUsers(u.id); await selectUser(u.id);
    } catch (err) { toast(err.message, true); }
  });
  $('#pin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      state.user = await api('PUT', `/v1/users/${state.user.id}/pin`, { pin: $('#pin-setup-input').value });
      $('#pin-dialog').close(); $('#pin-setup-input').value = ''; toast('PIN saved');
    } catch (err) { toast(err.message, true); }
  });
  $('#cards-btn').addEventListener('click', () => { renderCards(); $('#cards-dialog').showModal(); });
  $('#card-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const c = await api('POST', `/v1/users/${state.user.id}/cards`, { pan: $('#card-pan').value.replace(/\s/g, ''), expiry: $('#card-expiry').value, cvv2: $('#card-cvv2').value }, newKey());
      state.cards.push(c); for (const f of ['#card-pan', '#card-expiry', '#card-cvv2']) $(f).value = '';
      if (c.default) state.cards.forEach((x) => { x.default = x.id === c.id; });
      renderCards(); toast(`Card added: ${c.brand} ${c.product} •••• ${c.last4}`);
    } catch (err) { toast(err.message, true); }
  });
  $('#device-register').addEventListener('click', registerDevice);
  $('#confirm-form').addEventListener('submit', (e) => { e.preventDefault(); runConfirm({ pin: $('#confirm-pin').value }); });
  $('#confirm-fingerprint').addEventListener('click', fingerprint);
  $('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const amount = centavos($('#send-amount').value);
    if (!amount) return toast('Type an amount such as 25,00', true);
    confirmTransfer(state.contact, amount, $('#send-message').value.trim());
  });
  try {
    state.merchants = (await api('GET', '/v1/merchants')).merchants;
    const last = localStorage.getItem('wallet.user');
    await loadUsers(last);
    if (last && state.users.some((u) => u.id === last)) await selectUser(last);
  } catch (err) { toast(err.message, true); }
});
