/* The map through time (chapters/time-map.md; ice287g/timemap.py writes the page and its data).
 * Reads the steps' numbers and words from the page's <script type="application/json"> (no
 * request: works from file:// as over http), shows the slider and the Play button, recolours
 * the two maps and rewrites their alt text, the status line and the address (#list=<date>).
 * No animation starts by itself; with prefers-reduced-motion the colours change without
 * fading (CSS) and a note says so. No library. */
(function () {
  "use strict";
  var root = document.getElementById("timemap");
  var source = document.getElementById("timemap-data");
  if (!root || !source) return;
  var data = JSON.parse(source.textContent);
  var slider = document.getElementById("timemap-slider");
  var play = document.getElementById("timemap-play");
  var status = document.getElementById("timemap-status");
  var us = document.getElementById("timemap-us");
  var fl = document.getElementById("timemap-fl");
  var usAlt = document.getElementById("timemap-us-alt");
  var flAlt = document.getElementById("timemap-fl-alt");
  var last = data.ids.length - 1;
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var timer = null;
  var STEP_MS = 400;

  function colour(v, edges, colours) {
    var c = -1;
    for (var i = 0; i < edges.length; i++) if (v >= edges[i]) c = i;
    return c < 0 ? data.none_color : colours[c];
  }
  function paint(svg, counts, edges, colours) {
    var paths = svg.querySelectorAll("path[data-i]");
    for (var k = 0; k < paths.length; k++) {
      var i = +paths[k].getAttribute("data-i");
      paths[k].setAttribute("fill", colour(counts[i], edges, colours));
    }
  }
  function show(i, updateUrl) {
    i = Math.max(0, Math.min(last, i | 0));
    slider.value = String(i);
    slider.setAttribute("aria-valuetext", data.label[i]);
    status.textContent = data.status[i];
    usAlt.textContent = data.alt[i];
    flAlt.textContent = data.fl_alt[i];
    paint(us, data.by_state[i], data.state_edges, data.state_colors);
    paint(fl, data.by_county[i], data.county_edges, data.county_colors);
    if (updateUrl) {
      var hash = "#list=" + data.ids[i];
      try { history.replaceState(null, "", hash); } catch (e) { /* some file:// views */ }
    }
  }
  function fromHash() {
    var m = /(?:^#|&)list=([0-9A-Za-z-]+)/.exec(location.hash || "");
    if (!m) return null;
    var want = m[1];
    var at = data.ids.indexOf(want);
    if (at >= 0) return at;
    // a bare date: the last list of that day, else the last list before it
    var day = want.slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
    var found = null;
    for (var i = 0; i <= last; i++) if (data.ids[i].slice(0, 10) <= day) found = i;
    return found === null ? 0 : found;
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = data.words.play;
    play.setAttribute("aria-pressed", "false");
    status.setAttribute("aria-live", "polite");
  }
  function start() {
    if (+slider.value >= last) show(0, true);
    play.textContent = data.words.pause;
    play.setAttribute("aria-pressed", "true");
    status.setAttribute("aria-live", "off");   // no announcement at every step while playing
    timer = setInterval(function () {
      var next = +slider.value + 1;
      show(next, true);
      if (next >= last) stop();
    }, STEP_MS);
  }

  slider.addEventListener("input", function () { stop(); show(+slider.value, true); });
  play.addEventListener("click", function () { if (timer === null) start(); else stop(); });
  window.addEventListener("hashchange", function () {
    var i = fromHash();
    if (i !== null) { stop(); show(i, false); }
  });
  document.getElementById("timemap-controls").hidden = false;
  if (reduce && reduce.matches) document.getElementById("timemap-motion-note").hidden = false;
  var start_at = fromHash();
  show(start_at === null ? last : start_at, start_at !== null);
})();
