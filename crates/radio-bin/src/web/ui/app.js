// radiopoint's pages: forms and buttons talk to the JSON API; the dashboard and the
// public page follow the now-playing event stream. Written here; no libraries.
"use strict";

function csrf() {
  const m = document.querySelector('meta[name="csrf"]');
  return m ? m.content : "";
}

async function api(method, url, body, isRaw) {
  const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (body !== undefined && body !== null) {
    if (isRaw) {
      opts.body = body;
    } else {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
  }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (_) { data = null; }
  if (!r.ok) {
    throw new Error((data && data.error) || (r.status + " " + r.statusText));
  }
  return data;
}

function say(el, text, bad) {
  const msg = el.querySelector(".msg") || el.parentElement.querySelector(".msg");
  if (msg) {
    msg.textContent = text;
    msg.className = "msg" + (bad ? " bad" : " good");
  } else if (bad) {
    alert(text);
  }
}

// Form fields to JSON: "a.b" and "a.0.b" nest; "x[]" collects a list; number inputs and
// data-type="number" lists give numbers; checkboxes give booleans; empty fields are left out
// (unless the form says data-send-empty).
function formJson(form) {
  const out = {};
  // data-send-empty: an emptied text field is sent as "" (a tag to remove).
  const sendEmpty = "sendEmpty" in form.dataset;
  const set = (path, value) => {
    const keys = path.split(".");
    let o = out;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]);
      if (last) { o[k] = value; return; }
      if (o[k] === undefined) o[k] = nextIsIndex ? [] : {};
      o = o[k];
    });
  };
  for (const el of form.elements) {
    if (!el.name || el.name === "csrf" || el.disabled || el.type === "file") continue;
    if (el.name.endsWith("[]")) {
      const key = el.name.slice(0, -2);
      const num = el.dataset.type === "number";
      const values = el.tagName === "SELECT"
        ? Array.from(el.selectedOptions).map(o => o.value)
        : (el.checked ? [el.value] : []);
      const list = out[key] || (out[key] = []);
      values.forEach(v => list.push(num ? Number(v) : v));
      continue;
    }
    if (el.type === "checkbox") { set(el.name, el.checked); continue; }
    if (el.value === "" && !(sendEmpty && el.type !== "number")) continue;
    if (el.type === "number") { set(el.name, Number(el.value)); continue; }
    if (el.dataset.type === "datetime") { set(el.name, new Date(el.value).toISOString()); continue; }
    set(el.name, el.value);
  }
  return out;
}

function after(el, data) {
  let then = el.dataset.then;
  if (then && data) then = then.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(data[k] || ""));
  const go = () => { if (then) location.href = then; else if (!("stay" in el.dataset)) location.reload(); };
  // A tag edit is read back by the indexer first: a moment before the page shows it.
  if (el.dataset.delay) setTimeout(go, Number(el.dataset.delay)); else go();
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.matches("[data-login]")) {
    ev.preventDefault();
    try {
      await api("POST", "/api/login", formJson(form));
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/ui/";
    } catch (e) { say(form, e.message, true); }
    return;
  }
  if (form.matches("[data-api]")) {
    ev.preventDefault();
    const [method, template] = form.dataset.api.split(" ");
    // "{field}" in the address is filled from that field, which is not sent.
    const body = formJson(form);
    const url = template.replace(/\{(\w+)\}/g, (_, k) => {
      const v = body[k];
      delete body[k];
      return encodeURIComponent(v === undefined ? "" : v);
    });
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    try {
      const data = await api(method, url, body);
      say(form, "Done.", false);
      after(form, data);
    } catch (e) { say(form, e.message, true); }
    if (button) button.disabled = false;
    return;
  }
  if (form.matches("[data-member]")) {
    ev.preventDefault();
    const body = formJson(form);
    const user = body.user; delete body.user;
    if (body.role === "owner") delete body.permissions;
    else body.permissions = body.permissions || [];
    try {
      await api("PUT", "/api/stations/" + form.dataset.member + "/members/" + encodeURIComponent(user), body);
      location.reload();
    } catch (e) { say(form, e.message, true); }
    return;
  }
  if (form.matches("[data-restore]")) {
    ev.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    const as = form.querySelector("input[name=as]").value;
    try {
      const data = await api("POST", "/api/stations/restore" + (as ? "?as=" + encodeURIComponent(as) : ""), file, true);
      location.href = "/ui/stations/" + encodeURIComponent(data.name);
    } catch (e) { say(form, e.message, true); }
    return;
  }
  if (form.matches("[data-upload]")) {
    ev.preventDefault();
    upload(form);
  }
});

// Several files in one request, with progress; then wait until the indexer has them.
function upload(form) {
  const input = form.querySelector("input[type=file]");
  const bar = form.querySelector("progress");
  const fd = new FormData();
  for (const f of input.files) fd.append("file", f, f.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.dataset.upload);
  xhr.setRequestHeader("X-CSRF-Token", csrf());
  bar.hidden = false;
  bar.value = 0;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
  xhr.onload = async () => {
    let data = null;
    try { data = JSON.parse(xhr.responseText); } catch (_) { data = null; }
    if (xhr.status !== 201) { say(form, (data && data.error) || ("upload failed: " + xhr.status), true); return; }
    bar.value = 100;
    const names = data.uploaded.map(u => u.path);
    say(form, "Uploaded " + names.length + " file(s); indexing…", false);
    for (let i = 0; i < 600; i++) {
      const list = await api("GET", form.dataset.upload);
      const done = names.every(p => list.some(t => t.path === p));
      if (done) { location.reload(); return; }
      await new Promise(r => setTimeout(r, 500));
    }
    say(form, "Uploaded; the indexer has not finished yet (reload later).", false);
  };
  xhr.onerror = () => say(form, "upload failed: connection error", true);
  xhr.send(fd);
}

document.addEventListener("click", async (ev) => {
  const toggle = ev.target.closest("[data-toggle]");
  if (toggle) {
    const target = document.querySelector(toggle.dataset.toggle);
    if (target) target.hidden = !target.hidden;
    return;
  }
  const el = ev.target.closest("[data-action],[data-kick],[data-request]");
  if (!el) return;
  if (el.dataset.confirm && !confirm(el.dataset.confirm)) return;
  try {
    if (el.dataset.action) {
      const [method, url] = el.dataset.action.split(" ");
      const data = await api(method, url);
      say(el.closest("section,form,td") || el, "Done.", false);
      after(el, data);
    } else if (el.dataset.kick) {
      const who = el.dataset.user;
      if (!who || !confirm("Kick " + who + "?")) return;
      await api("POST", "/api/stations/" + el.dataset.kick + "/djs/" + encodeURIComponent(who) + "/kick");
    } else if (el.dataset.request) {
      await api("POST", "/api/stations/" + el.dataset.station + "/requests", { track: Number(el.dataset.request) });
      say(el.closest("section"), "Requested: " + el.dataset.label, false);
    }
  } catch (e) { say(el.closest("section,form") || el, e.message, true); }
});

// Table filter.
document.addEventListener("input", (ev) => {
  const el = ev.target;
  if (el.dataset.filter) {
    const words = el.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of document.querySelectorAll(el.dataset.filter + " tbody tr:not(.edit)")) {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every(w => text.includes(w));
    }
  }
  if ("requestSearch" in el.dataset) requestSearch(el);
});

let searchTimer = null;
function requestSearch(input) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const section = input.closest("[data-requests]");
    const station = section.dataset.requests;
    const ul = section.querySelector(".requests");
    try {
      const list = await api("GET", "/api/stations/" + station + "/requestable?q=" + encodeURIComponent(input.value));
      ul.replaceChildren(...list.map(t => {
        const li = document.createElement("li");
        const label = (t.artist ? t.artist + " – " : "") + (t.title || "");
        li.textContent = label + " ";
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "Request";
        b.dataset.request = t.id;
        b.dataset.station = station;
        b.dataset.label = label;
        li.append(b);
        return li;
      }));
    } catch (e) { say(section, e.message, true); }
  }, 250);
}

// Now playing: the dashboard and the public page.
function fmt(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  s = Math.max(0, Math.round(s));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function text(id, value) {
  const el = document.getElementById(id);
  if (el) el.textContent = value;
}

function list(id, items) {
  const el = document.getElementById(id);
  if (!el) return;
  el.replaceChildren(...items.map(t => { const li = document.createElement("li"); li.textContent = t; return li; }));
}

let current = null;
function render(np) {
  current = np;
  current.receivedAt = Date.now();
  const t = np.track;
  text("on-air", np.on_air ? (np.live && np.live.on_air ? "LIVE: " + np.live.username : np.on_air) : "silence");
  text("np-title", t ? t.display : "");
  const n = np.next;
  text("np-next", n ? ((n.artist ? n.artist + " – " : "") + (n.title || "") + (n.requested ? " (requested)" : "")) : "—");
  const live = np.live;
  text("np-live", live ? live.username + (live.on_air ? " — on air" : " — connected") + (live.kickoff ? ", kick-off " + new Date(live.kickoff).toLocaleTimeString() : "") : "nobody");
  const kick = document.getElementById("kick");
  if (kick) { kick.hidden = !live; kick.dataset.user = live ? live.username : ""; }
  const mounts = document.querySelector("#np-mounts tbody");
  if (mounts && np.listeners) {
    text("np-total", "(" + np.listeners.total + ")");
    mounts.replaceChildren(...np.listeners.mounts.map(m => {
      const tr = document.createElement("tr");
      for (const v of [m.mount, m.codec + " " + m.bitrate + "k", m.listeners]) {
        const td = document.createElement("td"); td.textContent = v; tr.append(td);
      }
      return tr;
    }));
  }
  list("np-transitions", (np.transitions || []).slice(0, 8).map(x =>
    new Date(x.at).toLocaleTimeString() + "  " + (x.from || "silence") + " → " + (x.to || "silence") + " (" + x.reason + ")"));
  list("np-history", (np.history || []).slice(1, 11).map(x => x.display));
  tick();
}

function tick() {
  if (!current || !current.track) return;
  const t = current.track;
  const elapsed = (t.elapsed || 0) + (Date.now() - current.receivedAt) / 1000;
  const bar = document.getElementById("np-progress");
  if (bar) bar.style.width = t.duration ? Math.min(100, 100 * elapsed / t.duration) + "%" : "0";
  text("np-time", fmt(elapsed) + " / " + fmt(t.duration));
}

function follow(station) {
  const es = new EventSource("/api/nowplaying/" + encodeURIComponent(station) + "/events");
  es.addEventListener("nowplaying", (e) => render(JSON.parse(e.data)));
  setInterval(tick, 1000);
  // Listener counts change without an event: refreshed now and then.
  setInterval(async () => {
    try { render(await api("GET", "/api/nowplaying/" + encodeURIComponent(station))); } catch (_) { /* next time */ }
  }, 15000);
}

document.addEventListener("DOMContentLoaded", () => {
  const dash = document.querySelector("[data-dashboard]");
  if (dash) follow(dash.dataset.dashboard);
  const pub = document.querySelector("[data-live-page]");
  if (pub) follow(pub.dataset.station);
  for (const input of document.querySelectorAll("[data-request-search]")) requestSearch(input);
});
