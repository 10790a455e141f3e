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

  function add(a) {
    var empty = body.querySelector('tr.empty');
    if (empty) {
      empty.remove();
    }
    var tr = document.createElement('tr');
    tr.className = 'new sev' + (parseInt(a.severity, 10) || 0);
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
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > limit) {
      body.deleteRow(body.rows.length - 1);
    }
    if (matched) {
      matched.textContent = String((parseInt(matched.textContent, 10) || 0) + 1);
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
    gap.textContent = missed + ' events were missed while this page was behind; reload for the kept ones.';
    gap.hidden = false;
  });
})();
