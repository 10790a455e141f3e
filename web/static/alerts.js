// Live alerts: server-sent events from /alerts/stream, rendered with
// textContent only (alert fields come from packets and are never parsed
// as HTML). EventSource reconnects by itself and resumes after the last
// event id it received.
(function () {
  'use strict';
  var table = document.getElementById('alerts');
  if (!table || !window.EventSource) {
    return;
  }
  var body = table.tBodies[0];
  var live = document.getElementById('live');
  var matched = document.getElementById('matched');
  var gap = document.getElementById('gap');
  var limit = parseInt(table.getAttribute('data-limit'), 10) || 500;
  var missed = 0;
  var arrived = 0; // events since the last draw, including those not drawn

  function state(s, text) {
    live.setAttribute('data-state', s);
    live.textContent = text;
  }

  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (cls) {
      td.className = cls;
    }
    tr.appendChild(td);
    return td;
  }

  function row(a, flash) {
    var tr = document.createElement('tr');
    tr.className = 'sev' + (parseInt(a.severity, 10) || 0) + (flash ? ' new' : '');
    tr.setAttribute('data-live', '');
    tr.setAttribute('data-seq', String(a.seq));
    cell(tr, a.time, 'mono');
    cell(tr, a.type + (a.count ? ' \u00d7' + a.count : ''));
    var cls = cell(tr, '');
    var strong = document.createElement('strong');
    strong.textContent = a.class || '';
    cls.appendChild(strong);
    cell(tr, a.score, 'num');
    cell(tr, a.src, 'mono');
    cell(tr, a.dst, 'mono');
    cell(tr, a.proto);
    cell(tr, a.app_proto);
    cell(tr, a.flag);
    var td = cell(tr, '');
    if (/^\/alerts\/[0-9]+$/.test(a.url)) {
      var link = document.createElement('a');
      link.href = a.url;
      link.textContent = 'details';
      td.appendChild(link);
    }
    return tr;
  }

  // Events are queued and drawn ten times a second at most, newest
  // first, so that a flood of alerts costs one table update per batch.
  var queue = [];
  var timer = 0;

  function flush() {
    timer = 0;
    var items = queue;
    queue = [];
    var empty = body.querySelector('tr.empty');
    if (empty) {
      empty.remove();
    }
    var frag = document.createDocumentFragment();
    for (var i = items.length - 1; i >= Math.max(0, items.length - limit); i--) {
      frag.appendChild(row(items[i], items.length <= 20));
    }
    body.insertBefore(frag, body.firstChild);
    while (body.rows.length > limit) {
      body.deleteRow(body.rows.length - 1);
    }
    if (matched) {
      matched.textContent = String((parseInt(matched.textContent, 10) || 0) + arrived);
    }
    arrived = 0;
  }

  function add(a) {
    queue.push(a);
    arrived++;
    if (queue.length > 2 * limit) {
      queue = queue.slice(queue.length - limit); // only the newest are drawn
    }
    if (!timer) {
      timer = window.setTimeout(flush, 100);
    }
  }

  var es = new EventSource(table.getAttribute('data-stream'));
  es.addEventListener('open', function () { state('live', 'live'); });
  es.addEventListener('error', function () {
    state('reconnecting', es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
  });
  es.addEventListener('alert', function (e) {
    var a;
    try {
      a = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    add(a);
  });
  es.addEventListener('gap', function (e) {
    try {
      missed += JSON.parse(e.data).missed || 0;
    } catch (err) {
      return;
    }
    gap.setAttribute('data-missed', String(missed));
    gap.textContent = missed + ' events were missed while this page was behind; reload for the kept ones.';
    gap.hidden = false;
  });
})();
