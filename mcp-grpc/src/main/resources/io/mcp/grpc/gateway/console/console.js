// MCP web console: talks to the HTTP/JSON gateway on the same origin only. The token lives in
// sessionStorage and goes out as "Authorization: Bearer"; the status stream is read with fetch()
// so that header can be sent (EventSource cannot), and resumes with Last-Event-ID.
'use strict';

(function () {
  const TOKEN_KEY = 'mcp.console.token';
  const nodes = new Map();        // node_id -> NodeInfo (proto3 JSON)
  const services = new Map();     // service -> {latest, versions}
  let snapshot = null;            // nodes collected during a snapshot, swapped in at SNAPSHOT_END
  let lastEventId = null;
  let streamAbort = null;
  let retryTimer = null;
  let retryDelay = 500;

  const $ = (id) => document.getElementById(id);
  const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token()) {
      h.Authorization = 'Bearer ' + token();
    }
    return h;
  }

  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  function setState(state, text) {
    const s = $('stream-state');
    s.dataset.state = state;
    s.textContent = text;
  }

  async function api(method, path, body) {
    const init = { method: method, headers: headers(body ? { 'Content-Type': 'application/json' } : {}) };
    if (body) {
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!response.ok) {
      const err = new Error(json && json.message ? json.code + ': ' + json.message : 'HTTP ' + response.status);
      err.status = response.status;
      throw err;
    }
    return json;
  }

  // ------------------------------------------------------------------ rendering

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    row.appendChild(td);
    return td;
  }

  function appliedText(node) {
    const applied = node.appliedVersions || {};
    return Object.keys(applied).sort().map((s) => s + '@v' + applied[s]).join(', ');
  }

  function renderNodes() {
    const body = $('nodes').tBodies[0];
    body.textContent = '';
    const ids = Array.from(nodes.keys()).sort();
    for (const id of ids) {
      const n = nodes.get(id);
      const row = document.createElement('tr');
      row.dataset.node = id;
      if (!n.connected) {
        row.className = 'down';
      }
      cell(row, id, 'node-id');
      cell(row, (n.services || []).join(', '), 'node-services');
      cell(row, n.transport || '', 'node-transport');
      cell(row, n.connected ? 'yes' : 'no', 'node-connected');
      cell(row, n.health || '', 'node-health health-' + (n.health || 'none'));
      cell(row, appliedText(n), 'node-applied');
      const rtt = Number(n.rttMicros || 0);
      cell(row, rtt > 0 ? (rtt / 1000).toFixed(2) + ' ms' : '', 'node-rtt num');
      const seen = Number(n.lastSeenUnixMs || 0);
      cell(row, seen > 0 ? new Date(seen).toLocaleTimeString() : '', 'node-seen');
      body.appendChild(row);
    }
    $('node-count').textContent = '(' + ids.filter((id) => nodes.get(id).connected).length + ' of ' + ids.length + ' connected)';
    renderServices();
  }

  function knownServices() {
    const names = new Set(services.keys());
    for (const n of nodes.values()) {
      (n.services || []).forEach((s) => names.add(s));
    }
    return Array.from(names).sort();
  }

  function renderServices() {
    const body = $('services').tBodies[0];
    body.textContent = '';
    for (const name of knownServices()) {
      const info = services.get(name);
      if (!info) {
        loadService(name);
      }
      const latest = info ? info.latest : 0;
      let onLatest = 0;
      let total = 0;
      let rejected = 0;
      for (const n of nodes.values()) {
        if (!(n.services || []).includes(name)) {
          continue;
        }
        total++;
        if (latest > 0 && Number((n.appliedVersions || {})[name] || 0) === latest) {
          onLatest++;
        }
        const r = (n.rejections || {})[name];
        if (r && Number(r.version) === latest) {
          rejected++;
        }
      }
      const row = document.createElement('tr');
      row.dataset.service = name;
      cell(row, name, 'service-name');
      cell(row, latest > 0 ? 'v' + latest : 'none', 'service-latest');
      cell(row, latest > 0 ? onLatest + '/' + total + ' nodes on v' + latest : total + ' nodes', 'service-rollout');
      cell(row, String(rejected), 'service-rejected num');
      const td = cell(row, '', 'service-versions');
      const button = document.createElement('button');
      button.className = 'link';
      button.type = 'button';
      button.textContent = info ? info.count + (info.count === 1 ? ' version' : ' versions') : '…';
      button.addEventListener('click', () => showHistory(name));
      td.appendChild(button);
      body.appendChild(row);
    }
  }

  const loading = new Set();
  async function loadService(name) {
    if (loading.has(name) || !token()) {
      return;
    }
    loading.add(name);
    try {
      const list = await api('GET', '/v1/services/' + encodeURIComponent(name) + '/versions?limit=100');
      const versions = list.versions || [];
      services.set(name, { latest: versions.length ? Number(versions[0].version) : 0, count: versions.length, versions: versions });
    } catch (e) {
      services.set(name, { latest: 0, count: 0, versions: [] });
      if (e.status !== 404) {
        say('cannot load versions of ' + name + ': ' + e.message, true);
      }
    } finally {
      loading.delete(name);
    }
    renderServices();
  }

  function showHistory(name) {
    const info = services.get(name);
    $('history').hidden = false;
    $('history-service').textContent = name;
    const body = $('versions').tBodies[0];
    body.textContent = '';
    for (const v of (info ? info.versions : [])) {
      const row = document.createElement('tr');
      cell(row, 'v' + v.version, 'num');
      cell(row, new Date(Number(v.createdUnixMs)).toLocaleString());
      body.appendChild(row);
    }
  }

  // ------------------------------------------------------------------ status stream

  function onUpdate(update) {
    switch (update.kind) {
      case 'SNAPSHOT':
        if (!snapshot) {
          snapshot = new Map();
        }
        snapshot.set(update.node.nodeId, update.node);
        return;
      case 'SNAPSHOT_END':
        nodes.clear();
        (snapshot || new Map()).forEach((v, k) => nodes.set(k, v));
        snapshot = null;
        renderNodes();
        return;
      case 'LAGGED':
        api('GET', '/v1/nodes').then((list) => {
          nodes.clear();
          (list.nodes || []).forEach((n) => nodes.set(n.nodeId, n));
          renderNodes();
        }).catch((e) => say('cannot reload nodes: ' + e.message, true));
        return;
      default:
        if (update.node && update.node.nodeId) {
          nodes.set(update.node.nodeId, update.node);
        }
        if (update.serviceName && Number(update.version || 0) > 0) {
          const info = services.get(update.serviceName);
          if (!info || Number(update.version) > info.latest) {
            services.delete(update.serviceName);
          }
        }
        renderNodes();
    }
  }

  function onEvent(type, id, data) {
    if (id) {
      lastEventId = id;
    }
    if (type === 'reset') {
      snapshot = null; // a fresh stream follows, starting with a snapshot
      return;
    }
    if (type === 'end') {
      return;
    }
    if (data) {
      onUpdate(JSON.parse(data));
    }
  }

  async function readStream() {
    clearTimeout(retryTimer);
    if (streamAbort) {
      streamAbort.abort();
    }
    if (!token()) {
      setState('idle', 'no token');
      return;
    }
    const abort = new AbortController();
    streamAbort = abort;
    const h = headers({ Accept: 'text/event-stream' });
    if (lastEventId) {
      h['Last-Event-ID'] = lastEventId;
    }
    try {
      const response = await fetch('/v1/status', { headers: h, signal: abort.signal, cache: 'no-store' });
      if (!response.ok) {
        let message = 'HTTP ' + response.status;
        try { const j = await response.json(); message = j.code + ': ' + j.message; } catch (e) { /* not JSON */ }
        setState('error', 'stream refused');
        say('status stream: ' + message, true);
        if (response.status === 401 || response.status === 403) {
          return; // a new token restarts it
        }
        throw new Error(message);
      }
      setState('live', 'live');
      retryDelay = 500;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let type = '';
      let id = '';
      let data = [];
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) {
          break;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length || type) {
              onEvent(type, id, data.join('\n'));
            }
            type = '';
            id = '';
            data = [];
          } else if (line.startsWith(':')) {
            // comment (keep-alive)
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') {
              data.push(value);
            } else if (field === 'id') {
              id = value;
            } else if (field === 'event') {
              type = value;
            }
          }
        }
      }
    } catch (e) {
      if (abort.signal.aborted) {
        return;
      }
    }
    if (streamAbort === abort) {
      setState('error', 'reconnecting');
      retryTimer = setTimeout(readStream, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    }
  }

  // ------------------------------------------------------------------ forms

  function base64(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = '';
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary);
  }

  function start() {
    $('token').value = token();
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
      lastEventId = null;
      services.clear();
      say('token set');
      readStream();
    });
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      $('token').value = '';
      if (streamAbort) {
        streamAbort.abort();
      }
      setState('idle', 'no token');
    });
    $('apply-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = e.target;
      const service = f.service.value.trim();
      const body = { configData: base64(f.config.value) };
      if (f.policy.value.trim()) {
        body.rolloutPolicy = f.policy.value.trim();
      }
      try {
        const r = await api('PUT', '/v1/services/' + encodeURIComponent(service) + '/config', body);
        say('applied ' + service + ' as v' + r.version);
        services.delete(service);
        loadService(service);
      } catch (err) {
        say('apply failed: ' + err.message, true);
      }
    });
    $('rollback-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const f = e.target;
      const service = f.service.value.trim();
      try {
        const r = await api('POST', '/v1/services/' + encodeURIComponent(service) + '/rollback',
          { toVersion: String(f.version.value) });
        say('rolled ' + service + ' back as v' + r.version);
        services.delete(service);
        loadService(service);
      } catch (err) {
        say('rollback failed: ' + err.message, true);
      }
    });
    readStream();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
