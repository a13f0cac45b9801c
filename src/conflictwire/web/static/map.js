/* conflictwire map page: filters in the URL, a timeline that brushes dates, a clustered map and a list.
 *
 * Data come from /api/events (the same filters, the API's parameter names). Everything taken from the
 * data is put into the page as text (textContent, attributes, encodeURIComponent), never as HTML.
 */
(function () {
  "use strict";

  /** Filters in the API's names; the URL query string holds them too. */
  var FILTERS = ["date_from", "date_to", "event_type", "sub_event_type", "country_code", "grade", "min_sources",
                 "actor", "q", "bbox", "admin1"];
  /** Kept in the URL besides the filters: the list order and a read token. */
  var EXTRA = ["sort", "token"];
  /** Events per request, and requests at most (the list and map show at most PAGE_SIZE * MAX_PAGES). */
  var PAGE_SIZE = 500;
  var MAX_PAGES = 20;
  var LIST_MAX = 1000;
  var DAY = 86400000;

  /** Colours of the ACLED event types (Okabe-Ito, readable by most colour-blind readers). */
  var COLORS = {
    "Battles": "#D55E00",
    "Explosions/Remote violence": "#E69F00",
    "Violence against civilians": "#CC79A7",
    "Protests": "#0072B2",
    "Riots": "#56B4E9",
    "Strategic developments": "#009E73"
  };
  var OTHER = "#7f7f7f";

  var form = document.getElementById("filters");
  var listEl = document.getElementById("event-list");
  var statusEl = document.getElementById("status");
  var timelineEl = document.getElementById("timeline");
  var clearDates = document.getElementById("clear-dates");
  var state = { events: [], key: null, generation: 0, truncated: false, map: null, cluster: null,
                markers: {}, query: {} };

  function colorOf(type) { return COLORS[type] || OTHER; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  // -- the query: URL <-> form <-> API --------------------------------------------------------------

  function readQuery() {
    var params = new URLSearchParams(window.location.search);
    var q = {};
    FILTERS.concat(EXTRA).forEach(function (name) {
      var value = params.get(name);
      if (value) { q[name] = value; }
    });
    return q;
  }

  function formQuery() {
    var q = {};
    FILTERS.concat(EXTRA).forEach(function (name) {
      var field = form.elements.namedItem(name);
      var value = field && typeof field.value === "string" ? field.value.trim() : "";
      if (value) { q[name] = value; }
    });
    if (state.query.token && !q.token) { q.token = state.query.token; }
    return q;
  }

  function fillForm(q) {
    FILTERS.concat(["sort"]).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && typeof field.value === "string") { field.value = q[name] || ""; }
    });
    syncSubTypes();
  }

  function encode(q, names) {
    var params = new URLSearchParams();
    names.forEach(function (name) { if (q[name]) { params.set(name, q[name]); } });
    return params.toString();
  }

  /** The query of the API request: every filter but the dates (brushed on the loaded set). */
  function fetchKey(q) {
    return encode(q, FILTERS.filter(function (n) { return n !== "date_from" && n !== "date_to"; }).concat(EXTRA));
  }

  function eventHref(id) {
    var token = state.query.token;
    return "/events/" + encodeURIComponent(id) + (token ? "?token=" + encodeURIComponent(token) : "");
  }

  /** Sub-event types of other event types are disabled while an event type is chosen. */
  function syncSubTypes() {
    var type = form.elements.namedItem("event_type").value;
    var sub = form.elements.namedItem("sub_event_type");
    Array.prototype.forEach.call(sub.querySelectorAll("optgroup"), function (group) {
      group.disabled = Boolean(type) && group.label !== type;
    });
    var chosen = sub.options[sub.selectedIndex];
    if (chosen && chosen.parentNode.disabled) { sub.value = ""; }
  }

  function commit(q) {
    var qs = encode(q, FILTERS.concat(EXTRA));
    var url = window.location.pathname + (qs ? "?" + qs : "");
    if (url !== window.location.pathname + window.location.search) {
      window.history.pushState(null, "", url);
    }
    apply(q);
  }

  // -- loading ----------------------------------------------------------------------------------------

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", Boolean(isError));
  }

  function fetchAll(q) {
    var generation = ++state.generation;
    var base = fetchKey(q);
    var events = [];
    function page(cursor, n) {
      var params = new URLSearchParams(base);
      params.set("limit", String(PAGE_SIZE));
      params.set("reports", "false");  // the list and the map need no reports; the event page has them
      if (cursor) { params.set("cursor", cursor); }
      return fetch("/api/events?" + params.toString(), { headers: { "Accept": "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) {
              var message = body && body.error ? body.error.message : response.statusText;
              throw new Error(message || ("HTTP " + response.status));
            }
            return body;
          });
        })
        .then(function (body) {
          if (generation !== state.generation) { return null; }
          events = events.concat(body.events || []);
          if (body.next && n + 1 < MAX_PAGES) { return page(body.next, n + 1); }
          return { events: events, truncated: Boolean(body.next) };
        });
    }
    setStatus("Loading events\u2026");
    return page(null, 0);
  }

  function apply(q) {
    state.query = q;
    var key = fetchKey(q);
    if (key === state.key) {
      render(q, false);
      return Promise.resolve();
    }
    return fetchAll(q).then(function (result) {
      if (!result) { return; }
      state.key = key;
      state.events = result.events;
      state.truncated = result.truncated;
      fillCountries(result.events);
      render(q, true);
    }).catch(function (err) {
      state.key = null;
      setStatus("Could not load events: " + err.message, true);
    });
  }

  // -- filtering and rendering --------------------------------------------------------------------

  function dateOf(ev) { return ev.date && ev.date.value ? ev.date.value : null; }

  function inRange(ev, q) {
    if (!q.date_from && !q.date_to) { return true; }
    var d = dateOf(ev);
    if (!d) { return false; }
    return (!q.date_from || d >= q.date_from) && (!q.date_to || d <= q.date_to);
  }

  function render(q, refit) {
    var shown = state.events.filter(function (ev) { return inRange(ev, q); });
    renderMap(shown, refit);
    renderList(shown);
    renderTimeline(q);
    renderExport(q);
    clearDates.hidden = !(q.date_from || q.date_to);
    var text = shown.length + (shown.length === 1 ? " event" : " events");
    if (shown.length !== state.events.length) { text += " of " + state.events.length + " loaded (date range)"; }
    if (state.truncated) {
      text += ". Only the first " + state.events.length + " were loaded: narrow the filters to see the rest.";
    }
    setStatus(text, false);
  }

  function fatalitiesOf(ev) {
    var f = ev.fatalities;
    if (!f) { return null; }
    return f.best !== null && f.best !== undefined ? f.best : f.low;
  }

  function placeOf(ev) {
    var loc = ev.location;
    if (!loc) { return "place unknown"; }
    return [loc.name, loc.admin1, loc.country_code].filter(Boolean).join(", ");
  }

  function metaOf(ev) {
    var parts = [];
    var actors = [ev.actor1, ev.actor2].filter(Boolean).map(function (a) { return a.name; });
    if (actors.length) { parts.push(actors.join(" vs ")); }
    var dead = fatalitiesOf(ev);
    if (dead !== null && dead !== undefined) { parts.push(dead + " killed"); }
    parts.push(ev.grade + ", " + ev.independent_sources + " independent source" +
               (ev.independent_sources === 1 ? "" : "s"));
    return parts.join(" \u00b7 ");
  }

  function renderList(events) {
    var items = document.createDocumentFragment();
    events.slice(0, LIST_MAX).forEach(function (ev) {
      var li = el("li", "event");
      li.dataset.id = ev.id;
      li.dataset.type = ev.event_type;
      li.dataset.date = dateOf(ev) || "";
      li.style.borderLeftColor = colorOf(ev.event_type);
      var a = el("a");
      a.href = eventHref(ev.id);
      a.appendChild(el("span", "ev-date", dateOf(ev) || "undated"));
      a.appendChild(document.createTextNode(" "));
      a.appendChild(el("span", "ev-type", ev.sub_event_type));
      a.appendChild(document.createTextNode(" "));
      a.appendChild(el("span", "ev-place", placeOf(ev)));
      li.appendChild(a);
      li.appendChild(el("span", "ev-meta", metaOf(ev)));
      a.addEventListener("focus", function () { highlight(ev.id, false); });
      a.addEventListener("mouseenter", function () { highlight(ev.id, false); });
      items.appendChild(li);
    });
    if (!events.length) { items.appendChild(el("li", "empty", "No events match these filters.")); }
    if (events.length > LIST_MAX) {
      items.appendChild(el("li", "empty", (events.length - LIST_MAX) + " more on the map; narrow the filters."));
    }
    listEl.replaceChildren(items);
    var more = document.querySelector(".list-pane .more");
    if (more) { more.remove(); }
  }

  function renderExport(q) {
    Array.prototype.forEach.call(document.querySelectorAll("#export a[data-format]"), function (a) {
      var qs = encode(q, FILTERS.concat(EXTRA));
      a.href = "/api/export?format=" + encodeURIComponent(a.dataset.format) + (qs ? "&" + qs : "");
    });
  }

  function fillCountries(events) {
    var list = document.getElementById("countries");
    var seen = {};
    events.forEach(function (ev) {
      var loc = ev.location;
      if (loc && loc.country_code && !seen[loc.country_code]) { seen[loc.country_code] = loc.country || ""; }
    });
    var options = document.createDocumentFragment();
    Object.keys(seen).sort().forEach(function (code) {
      var option = el("option");
      option.value = code;
      option.label = seen[code] ? seen[code] + " (" + code + ")" : code;
      options.appendChild(option);
    });
    list.replaceChildren(options);
  }

  // -- the map ------------------------------------------------------------------------------------

  function initMap() {
    var map = L.map("map", { worldCopyJump: true, minZoom: 1, maxZoom: 13, zoomSnap: 0.5 });
    map.attributionControl.addAttribution("Country outlines: Natural Earth via world-atlas");
    map.setView([15, 20], 2);
    // The outlines go below the markers (the overlay pane is at z-index 400).
    map.createPane("countries").style.zIndex = "250";
    fetch("/static/vendor/world/countries-110m.geojson")
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        L.geoJSON(geo, { interactive: false, pane: "countries",
          style: { color: "#8a97a3", weight: 0.8, fillColor: "#f4f1ea", fillOpacity: 1 } }).addTo(map);
      })
      .catch(function () { setStatus("The country outlines could not be loaded.", true); });
    state.cluster = L.markerClusterGroup({
      showCoverageOnHover: false, maxClusterRadius: 45, disableClusteringAtZoom: 10, spiderfyOnMaxZoom: true,
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        var size = n < 10 ? 30 : n < 100 ? 36 : 44;
        var label = el("span", null, n);
        return L.divIcon({ html: label, className: "cw-cluster", iconSize: L.point(size, size) });
      }
    });
    state.cluster.addTo(map);
    state.map = map;
    var legend = document.getElementById("legend");
    Object.keys(COLORS).forEach(function (type) {
      var li = el("li");
      var swatch = el("span", "swatch");
      swatch.style.backgroundColor = COLORS[type];
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(type));
      legend.appendChild(li);
    });
    legend.appendChild(el("li", "muted", "circle size: fatalities (best estimate)"));
  }

  function popupFor(ev) {
    var box = el("div");
    var a = el("a", "popup-title", ev.sub_event_type);
    a.href = eventHref(ev.id);
    box.appendChild(a);
    box.appendChild(el("div", null, (dateOf(ev) || "undated") + " \u00b7 " + placeOf(ev)));
    box.appendChild(el("div", "muted", metaOf(ev)));
    return box;
  }

  function renderMap(events, refit) {
    if (!state.map) { return; }
    state.cluster.clearLayers();
    state.markers = {};
    var layers = [];
    events.forEach(function (ev) {
      var loc = ev.location;
      if (!loc || loc.lat === null || loc.lon === null || loc.lat === undefined) { return; }
      var dead = fatalitiesOf(ev) || 0;
      var marker = L.circleMarker([loc.lat, loc.lon], {
        radius: Math.min(24, 6 + 2.2 * Math.sqrt(dead)), color: "#222", weight: 1,
        fillColor: colorOf(ev.event_type), fillOpacity: 0.85
      });
      marker.bindPopup(function () { return popupFor(ev); });
      marker.on("click", function () { highlight(ev.id, true); });
      marker.eventId = ev.id;
      state.markers[ev.id] = marker;
      layers.push(marker);
    });
    state.cluster.addLayers(layers);
    if (refit && layers.length) {
      var bounds = L.latLngBounds(layers.map(function (m) { return m.getLatLng(); }));
      state.map.fitBounds(bounds.pad(0.3), { maxZoom: 7 });
    }
  }

  function highlight(id, scroll) {
    Array.prototype.forEach.call(listEl.querySelectorAll("li.active"), function (li) { li.classList.remove("active"); });
    var item = Array.prototype.find.call(listEl.children, function (li) { return li.dataset.id === id; });
    if (item) {
      item.classList.add("active");
      if (scroll) { item.scrollIntoView({ block: "nearest" }); }
    }
  }

  // -- the timeline -------------------------------------------------------------------------------

  function toDay(s) { return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / DAY; }
  function fromDay(n) { return new Date(n * DAY).toISOString().slice(0, 10); }

  var brush = null;
  var refocusTimeline = false;  // a keyboard brush keeps the focus on the (redrawn) timeline

  function renderTimeline(q) {
    var dated = state.events.filter(dateOf);
    timelineEl.replaceChildren();
    if (!dated.length) {
      timelineEl.appendChild(el("p", "muted", "No dated events."));
      return;
    }
    var days = dated.map(function (ev) { return toDay(dateOf(ev)); });
    var first = Math.min.apply(null, days) - 1;
    var last = Math.max.apply(null, days) + 1;
    var span = last - first + 1;
    var bin = span <= 400 ? 1 : span <= 2800 ? 7 : 30;
    var nbins = Math.ceil(span / bin);
    var types = Object.keys(COLORS);
    var counts = [];
    for (var i = 0; i < nbins; i++) { counts.push({}); }
    dated.forEach(function (ev) {
      var b = Math.floor((toDay(dateOf(ev)) - first) / bin);
      var t = COLORS[ev.event_type] ? ev.event_type : "other";
      counts[b][t] = (counts[b][t] || 0) + 1;
    });
    var max = 1;
    counts.forEach(function (c) {
      var total = Object.keys(c).reduce(function (s, k) { return s + c[k]; }, 0);
      if (total > max) { max = total; }
    });
    var width = Math.max(timelineEl.clientWidth, 200);
    var height = 120, left = 30, right = 8, top = 8, bottom = 20;
    var plotW = width - left - right, plotH = height - top - bottom;
    var bw = plotW / nbins;
    var unit = bin === 1 ? "day" : bin === 7 ? "week" : "month";
    var label = "Events per " + unit + " from " + fromDay(first + 1) + " to " + fromDay(last - 1) +
                ", stacked by event type; drag to choose dates, or use the arrow keys (Shift to extend) and Enter";
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "group", preserveAspectRatio: "none",
                            tabindex: "0", "aria-label": label });
    root.setAttribute("height", String(height));
    var lo = q.date_from ? toDay(q.date_from) : null;
    var hi = q.date_to ? toDay(q.date_to) : null;
    counts.forEach(function (c, b) {
      var y = top + plotH;
      var dayStart = first + b * bin;
      var outside = (lo !== null && dayStart + bin - 1 < lo) || (hi !== null && dayStart > hi);
      types.concat(["other"]).forEach(function (t) {
        if (!c[t]) { return; }
        var h = c[t] / max * plotH;
        y -= h;
        var rect = svg("rect", { x: left + b * bw + Math.min(1, bw * 0.1), y: y, width: Math.max(1, bw - Math.min(2, bw * 0.2)),
                                 height: h, fill: colorOf(t), "class": outside ? "bar outside" : "bar" });
        rect.dataset.type = t;
        rect.dataset.day = fromDay(dayStart);
        var title = svg("title");
        title.textContent = fromDay(dayStart) + ": " + c[t] + " \u00d7 " + t;
        rect.appendChild(title);
        root.appendChild(rect);
      });
    });
    var axis = svg("g", { "class": "axis" });
    axis.appendChild(svg("line", { x1: left, x2: left + plotW, y1: top + plotH + 0.5, y2: top + plotH + 0.5 }));
    var ticks = Math.max(2, Math.min(8, Math.floor(plotW / 90)));
    for (var k = 0; k <= ticks; k++) {
      var day = first + Math.round(k * (span - 1) / ticks);
      var x = left + (day - first + 0.5) / span * plotW;
      var label = svg("text", { x: x, y: height - 5, "text-anchor": k === 0 ? "start" : k === ticks ? "end" : "middle" });
      label.textContent = fromDay(day);
      axis.appendChild(label);
    }
    var maxLabel = svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" });
    maxLabel.textContent = String(max);
    axis.appendChild(maxLabel);
    root.appendChild(axis);
    var selection = svg("rect", { "class": "selection", y: top, height: plotH, x: 0, width: 0 });
    if (lo !== null || hi !== null) {
      var x0 = left + Math.max(0, ((lo === null ? first : lo) - first) / bin) * bw;
      var x1 = left + Math.min(nbins, ((hi === null ? last : hi) - first + 1) / bin) * bw;
      selection.setAttribute("x", String(x0));
      selection.setAttribute("width", String(Math.max(1, x1 - x0)));
    } else {
      selection.setAttribute("visibility", "hidden");
    }
    root.appendChild(selection);
    timelineEl.appendChild(root);

    function binAt(evt) {
      var box = root.getBoundingClientRect();
      var x = (evt.clientX - box.left) * width / box.width;
      return Math.max(0, Math.min(nbins - 1, Math.floor((x - left) / bw)));
    }
    root.addEventListener("pointerdown", function (evt) {
      if (evt.button !== 0) { return; }
      brush = { start: binAt(evt), end: binAt(evt), x: evt.clientX };
      root.setPointerCapture(evt.pointerId);
      draw();
      evt.preventDefault();
    });
    root.addEventListener("pointermove", function (evt) {
      if (!brush) { return; }
      brush.end = binAt(evt);
      draw();
    });
    function finish() {
      if (!brush) { return; }
      var a = Math.min(brush.start, brush.end), b = Math.max(brush.start, brush.end);
      brush = null;
      var from = fromDay(first + a * bin), to = fromDay(first + b * bin + bin - 1);
      var q2 = formQuery();
      q2.date_from = from;
      q2.date_to = to;
      fillForm(q2);
      commit(q2);
    }
    root.addEventListener("pointerup", finish);
    // the keyboard brushes too: arrows move a one-bin selection, Shift+arrows stretch it, Home/End jump
    // to the ends, Enter applies it (focus stays on the timeline), Escape drops it
    root.addEventListener("keydown", function (evt) {
      var step = { ArrowLeft: -1, ArrowRight: 1, Home: -nbins, End: nbins }[evt.key];
      if (step !== undefined) {
        if (!brush) {
          var at = lo !== null ? Math.floor((lo - first) / bin) : nbins - 1;
          brush = { start: Math.max(0, Math.min(nbins - 1, at)), end: 0 };
          brush.end = brush.start;
          step = 0;
        }
        var next = Math.max(0, Math.min(nbins - 1, brush.end + step));
        if (evt.shiftKey) { brush.end = next; } else { brush.start = brush.end = next; }
        draw();
        var a = Math.min(brush.start, brush.end), b = Math.max(brush.start, brush.end);
        root.setAttribute("aria-label", "Selected " + fromDay(first + a * bin) + " to " +
                          fromDay(first + b * bin + bin - 1) + "; Enter to apply, Escape to cancel. " + label);
        evt.preventDefault();
      } else if (evt.key === "Enter" && brush) {
        refocusTimeline = true;
        finish();
        evt.preventDefault();
      } else if (evt.key === "Escape" && brush) {
        brush = null;
        render(state.query, false);
        evt.preventDefault();
      }
    });
    if (refocusTimeline) {
      refocusTimeline = false;
      root.focus();
    }
    root.addEventListener("pointercancel", function () { brush = null; render(state.query, false); });
    function draw() {
      var a = Math.min(brush.start, brush.end), b = Math.max(brush.start, brush.end);
      selection.setAttribute("visibility", "visible");
      selection.setAttribute("x", String(left + a * bw));
      selection.setAttribute("width", String((b - a + 1) * bw));
    }
  }

  // -- wiring -------------------------------------------------------------------------------------

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    commit(formQuery());
  });
  form.addEventListener("change", function (evt) {
    if (evt.target.name === "event_type") { syncSubTypes(); }
    commit(formQuery());
  });
  document.getElementById("clear-filters").addEventListener("click", function (evt) {
    evt.preventDefault();
    var q = state.query.token ? { token: state.query.token } : {};
    fillForm(q);
    commit(q);
  });
  clearDates.addEventListener("click", function () {
    var q = formQuery();
    delete q.date_from;
    delete q.date_to;
    fillForm(q);
    commit(q);
  });
  window.addEventListener("popstate", function () {
    var q = readQuery();
    fillForm(q);
    apply(q);
  });
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { renderTimeline(state.query); }, 150);
  });

  var initial = readQuery();
  state.query = initial;
  fillForm(initial);
  initMap();
  apply(initial);
}());
