/* Find an agency: filter every agreement ICE ever listed as the reader types (no kernel, no
 * library). The data, agreements.json beside this file, is written at book build time by
 * ice287g.lookup from the committed data/processed/ (see ice287g/lookup.py for its shape).
 * Every word the script writes comes from the page: the JSON in #lookup-texts, which the
 * book renders in the edition's language (ice287g.lookup.texts; English is the key of each
 * translation in ice287g/locale/<lang>/lookup.json). The script holds no words of its own.
 *
 * Why no library: a linear scan of about two thousand pre-folded strings takes a few
 * milliseconds; list.js, fuse.js or DataTables would add 20 to 120 KB and a dependency for
 * nothing a reader needs here. Matching folds letter case, accents (NFD, marks dropped),
 * straight and curly apostrophes and punctuation, and every word typed must appear in the
 * agency, county or state. Results render in pages of PAGE rows, so a keystroke stays fast.
 */
(function () {
  "use strict";
  var PAGE = 100;
  var script = document.currentScript;
  var root = document.getElementById("agency-lookup");
  if (!root || !script) return;
  var DATA_URL = new URL("agreements.json", script.src).href;
  var $ = function (id) { return document.getElementById(id); };
  var input = $("lookup-q"), statusSel = $("lookup-status"), sortSel = $("lookup-sort");
  var count = $("lookup-count"), tbody = $("lookup-body"), more = $("lookup-more");
  var panel = $("lookup-history"), table = $("lookup-table");
  var api = window.ice287gLookup = { timings: [], ready: false };
  var S = JSON.parse($("lookup-texts").textContent);
  api.lang = S.lang;
  // A text of the page's language, its {name} fields filled in; a missing one is an error
  // (in the console and the tests), never an English fallback.
  function t(key, vals) {
    var s = S.texts[key];
    if (typeof s !== "string") throw new Error("lookup: no text " + key + " for " + S.lang);
    return s.replace(/\{(\w+)\}/g, function (m, k) {
      return vals && Object.prototype.hasOwnProperty.call(vals, k) ? String(vals[k]) : m;
    });
  }
  // Thousands grouped the language's way (i18n.FORMATS: "1,551" in both editions).
  function num(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, S.thousands); }
  // An agency or support type as the table shows it; a state as the language writes it.
  function label(v) { return (v && S.labels[v]) || v; }
  function stateName(v) { return (v && S.states[v]) || v; }
  // Sphinx's searchtools.js (on every page, for the search box) runs a search for any ?q= in
  // the address once the page is ready, and throws on a page without #search-results. Here
  // ?q= is this page's own query: keep Sphinx's search for its search page. (This deferred
  // script runs before DOMContentLoaded, when searchtools' init calls performSearch.)
  /* global Search */
  if (typeof Search !== "undefined" && Search && !document.getElementById("search-results")) {
    Search.performSearch = function () {};
  }

  var D, ROWS = [], matched = [], shown = PAGE, sortKey = "state", sortDir = 1;

  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/['\u2018\u2019\u02bc\u02b9\u0060\u00b4\u2032.]/g, "")
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  api.fold = fold;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function prepare(data) {
    D = data;
    var last = data.pubs.length - 1;
    ROWS = data.rows.map(function (r) {
      var sp = r[7];
      var row = {
        id: r[0], agency: r[1], state: data.states[r[2]] || "", county: r[3],
        type: label(data.agency_types[r[4]] || ""), support: label(data.support_types[r[5]] || ""),
        signed: r[6], spells: sp,
        first: sp.length ? sp[0] : -1, last: sp.length ? sp[sp.length - 1] : -1
      };
      // The last time it was seen listed: the last capture of the last list carrying it,
      // often months after that list's own date when the page did not change.
      row.seen = row.last < 0 ? "" : (data.seen ? data.seen[row.last] : data.pubs[row.last].slice(0, 10));
      row.listed = row.last === last;
      // Found by ICE's names, and by a state's name in the page's language too.
      var named = stateName(row.state);
      row.key = " " + fold(row.agency + " " + row.county + " " + row.state +
                           (named !== row.state ? " " + named : ""));
      return row;
    });
  }

  var SORTS = {
    agency: function (r) { return r.agency.toLowerCase(); },
    state: function (r) { return r.state + "\u0000" + r.agency.toLowerCase() + "\u0000" + r.support; },
    county: function (r) { return (r.county || "\uffff").toLowerCase() + "\u0000" + r.agency.toLowerCase(); },
    type: function (r) { return (r.type || "\uffff") + "\u0000" + r.agency.toLowerCase(); },
    support: function (r) { return r.support + "\u0000" + r.agency.toLowerCase(); },
    signed: function (r) { return (r.signed || "9999") + "\u0000" + r.agency.toLowerCase(); },
    first: function (r) { return r.first; },
    last: function (r) { return (r.seen || "0000") + "\u0000" + ("00000" + (r.last + 1)).slice(-6); },
    status: function (r) { return (r.listed ? "0" : "1") + "\u0000" + r.agency.toLowerCase(); }
  };

  function sortRows() {
    var f = SORTS[sortKey] || SORTS.state;
    var keyed = ROWS.map(function (r, i) { return [f(r), i, r]; });
    keyed.sort(function (a, b) {
      if (a[0] < b[0]) return -sortDir;
      if (a[0] > b[0]) return sortDir;
      return a[1] - b[1];
    });
    ROWS = keyed.map(function (k) { return k[2]; });
    var ths = table.querySelectorAll("th[data-sort]");
    for (var i = 0; i < ths.length; i++) {
      var on = ths[i].getAttribute("data-sort") === sortKey;
      if (on) ths[i].setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else ths[i].removeAttribute("aria-sort");
    }
    sortSel.value = sortKey + (sortDir > 0 ? "" : "-desc");
  }

  function pub(i) { return i >= 0 ? D.pubs[i] : ""; }

  // "2022-08-08 (list of 2022-03-05)": the last sighting, and the list it was on when that
  // list's date is another day; just the list ("2026-05-18 am") when they agree.
  function lastSeen(r) {
    if (r.last < 0) return "";
    var p = pub(r.last);
    return r.seen && r.seen !== p.slice(0, 10) ? t("seenOnList", { seen: r.seen, list: p }) : p;
  }

  function statusText(r) {
    if (r.listed) return t("listed");
    if (r.last < 0) return t("uncounted");
    return t("left", { seen: r.seen, next: pub(r.last + 1) });
  }

  // One cell, labelled with its column's header (the phone layout shows the label).
  function cell(key, text, cls) {
    return "<td data-label=\"" + esc(S.columns[key]) + "\"" + (cls ? " class=\"" + cls + "\"" : "") +
      ">" + text + "</td>";
  }

  function rowHtml(r) {
    return "<tr data-id=\"" + esc(r.id) + "\">" +
      cell("agency", "<button type=\"button\" class=\"lookup-pick\" aria-controls=\"lookup-history\">" +
        esc(r.agency) + "<span class=\"visually-hidden\">" + esc(t("pickHint")) + "</span></button>") +
      cell("state", esc(r.state)) +
      cell("county", esc(r.county)) +
      cell("type", esc(r.type)) +
      cell("support", esc(r.support)) +
      cell("signed", esc(r.signed)) +
      cell("first", esc(pub(r.first))) +
      cell("last", esc(lastSeen(r))) +
      cell("status", esc(statusText(r)), r.listed ? "lookup-listed" : "lookup-left") + "</tr>";
  }

  function render() {
    var n = matched.length, html = [];
    for (var i = 0; i < n && i < shown; i++) html.push(rowHtml(matched[i]));
    tbody.innerHTML = html.join("");
    var left = 0;
    for (var j = 0; j < n; j++) if (!matched[j].listed) left++;
    var q = input.value.trim();
    var what = q ? t(n === 1 ? "matchOne" : "matchMany", { n: num(n), q: q })
      : t(n === 1 ? "countOne" : "countMany", { n: num(n) });
    var msg = t("split", { what: what, listed: num(n - left), left: num(left) });
    if (n > shown) msg += t("showing", { n: num(shown) });
    var none = q ? t("noneMatch", { q: q }) : t("none");
    var folded = fold(q);
    (D.states_without || []).forEach(function (st) {
      if (fold(st) === folded || fold(stateName(st)) === folded) {
        none = t("stateWithout", { state: stateName(st) });
      }
    });
    count.textContent = n ? msg + "." : none;
    more.hidden = n <= shown;
    more.textContent = t("more", { n: num(n) });
  }

  function filter() {
    var words = fold(input.value).split(" ").filter(Boolean);
    var want = statusSel.value;
    matched = ROWS.filter(function (r) {
      if (want === "listed" && !r.listed) return false;
      if (want === "left" && r.listed) return false;
      for (var i = 0; i < words.length; i++) if (r.key.indexOf(words[i]) < 0) return false;
      return true;
    });
  }

  function syncUrl(id) {
    var params = new URLSearchParams(location.search);
    var q = input.value.trim();
    if (q) params.set("q", q); else params.delete("q");
    if (id !== undefined) { if (id) params.set("id", id); else params.delete("id"); }
    var s = params.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : "") + location.hash);
  }

  function update() {
    var t0 = performance.now();
    shown = PAGE;
    filter();
    render();
    api.timings.push(performance.now() - t0);
  }

  function spellsOf(r) {
    // Listed stretches and the gaps between them (and after the last, for one that left).
    var out = [], sp = r.spells, last = D.pubs.length - 1;
    for (var i = 0; i < sp.length; i += 2) {
      if (i > 0) out.push([false, sp[i - 1] + 1, sp[i] - 1]);
      out.push([true, sp[i], sp[i + 1]]);
    }
    if (sp.length && sp[sp.length - 1] < last) out.push([false, sp[sp.length - 1] + 1, last]);
    return out;
  }

  function showHistory(id, focus) {
    var r = null;
    for (var i = 0; i < ROWS.length; i++) if (ROWS[i].id === id) { r = ROWS[i]; break; }
    if (!r) { panel.hidden = true; return; }
    var total = D.pubs.length, nListed = 0, parts = spellsOf(r), bars = [], rows = [];
    parts.forEach(function (p) {
      var n = p[2] - p[1] + 1;
      if (p[0]) nListed += n;
      bars.push("<span class=\"" + (p[0] ? "on" : "off") + "\" style=\"left:" +
        (100 * p[1] / total).toFixed(2) + "%;width:" + Math.max(100 * n / total, 0.4).toFixed(2) + "%\"></span>");
      rows.push("<tr><td>" + esc(t(p[0] ? "yes" : "no")) + "</td><td>" + esc(pub(p[1])) + "</td><td>" +
        esc(pub(p[2])) + "</td><td>" + n + "</td></tr>");
    });
    var gaps = parts.filter(function (p) { return !p[0] && p[2] < total - 1; }).length;
    panel.innerHTML =
      "<h2 id=\"lookup-history-title\" tabindex=\"-1\">" + esc(t("historyTitle", { agency: r.agency })) + "</h2>" +
      "<p>" + esc([r.state, r.county, r.type, r.support].filter(Boolean).join(" \u00b7 ")) +
      (r.signed ? " \u00b7 " + esc(t("signed", { date: r.signed })) : "") + "</p>" +
      "<p><strong>" + esc(statusText(r)) + ".</strong> " + esc(t("history", {
        n: num(nListed), total: num(total), first: D.pubs[0], last: D.pubs[total - 1],
        firstOn: pub(r.first), seen: lastSeen(r) })) +
      (gaps ? esc(gaps === 1 ? t("gapsOne") : t("gapsMany", { n: num(gaps) })) : "") + ".</p>" +
      "<div class=\"lookup-bar\" aria-hidden=\"true\">" + bars.join("") + "</div>" +
      "<div class=\"lookup-bar-axis\" aria-hidden=\"true\"><span>" + esc(D.pubs[0].slice(0, 4)) +
      "</span><span>" + esc(D.pubs[total - 1].slice(0, 10)) + "</span></div>" +
      "<table class=\"lookup-spells\"><caption>" + esc(t("spellsCaption")) + "</caption>" +
      "<thead><tr><th scope=\"col\">" + esc(t("onList")) + "</th><th scope=\"col\">" + esc(t("from")) +
      "</th><th scope=\"col\">" + esc(t("to")) + "</th>" +
      "<th scope=\"col\">" + esc(t("lists")) + "</th></tr></thead><tbody>" + rows.join("") + "</tbody></table>" +
      "<p class=\"lookup-links\"><a href=\"?id=" + encodeURIComponent(r.id) + "\">" + esc(t("link")) + "</a>" +
      " \u00b7 <button type=\"button\" id=\"lookup-close\">" + esc(t("close")) + "</button></p>";
    panel.hidden = false;
    panel.setAttribute("data-id", r.id);
    $("lookup-close").addEventListener("click", function () {
      panel.hidden = true; syncUrl("");
      var back = tbody.querySelector("tr[data-id=\"" + r.id + "\"] button");
      (back || input).focus();
    });
    if (focus) $("lookup-history-title").focus();
  }

  function start(data) {
    prepare(data);
    var params = new URLSearchParams(location.search);
    if (params.get("q")) input.value = params.get("q");
    if (params.get("status") && statusSel.querySelector("option[value=\"" + params.get("status") + "\"]"))
      statusSel.value = params.get("status");
    sortRows();
    update();
    if (params.get("id")) showHistory(params.get("id"), false);
    input.addEventListener("input", function () { update(); syncUrl(); });
    statusSel.addEventListener("change", update);
    sortSel.addEventListener("change", function () {
      var v = sortSel.value.split("-");
      sortKey = v[0]; sortDir = v[1] === "desc" ? -1 : 1;
      sortRows(); update();
    });
    table.querySelector("thead").addEventListener("click", function (e) {
      var th = e.target.closest("th[data-sort]");
      if (!th) return;
      var key = th.getAttribute("data-sort");
      sortDir = key === sortKey ? -sortDir : 1; sortKey = key;
      sortRows(); update();
    });
    tbody.addEventListener("click", function (e) {
      var b = e.target.closest("button.lookup-pick");
      if (!b) return;
      var id = b.closest("tr").getAttribute("data-id");
      showHistory(id, true); syncUrl(id);
    });
    more.addEventListener("click", function () {
      shown = matched.length; render();
    });
    root.classList.add("lookup-ready");
    api.ready = true;
  }

  fetch(DATA_URL).then(function (res) {
    if (!res.ok) throw new Error("HTTP " + res.status);
    return res.json();
  }).then(start).catch(function (err) {
    count.textContent = t("error", { error: err.message });
  });
})();
