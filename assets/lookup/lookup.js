/* Find an agency: filter every agreement ICE ever listed as the reader types (no kernel, no
 * library). The data, agreements.js beside this file, is written at book build time by
 * ice287g.lookup from the committed data/processed/ (see ice287g/lookup.py for its shape): a
 * script assigning window.ice287gLookupData, loaded with <script src> (so the page works from
 * file:// as over http) once the page has painted or the reader reaches for the search.
 * Every word the script writes comes from the page: the JSON in #lookup-texts, which the
 * book renders in the edition's language (ice287g.lookup.texts; English is the key of each
 * translation in ice287g/locale/<lang>/lookup.json), with the language's date format from
 * ice287g.i18n. The script holds no words of its own.
 *
 * Why no library: a linear scan of about two thousand pre-folded strings takes a few
 * milliseconds; list.js, fuse.js or DataTables would add 20 to 120 KB and a dependency for
 * nothing a reader needs here. Matching folds letter case, accents (NFD, marks dropped),
 * straight and curly apostrophes and punctuation; every word typed must appear in the
 * agency, county (ICE's, the book's where its cited table corrects ICE's, or the one the book
 * found for a row without), or state (ICE's name or its name in either edition's language).
 * When nothing matches, the page says so and, when
 * a word one or two typos away from a word of the data has matches, offers it as a button
 * ("Did you mean ...?") that searches for it: the page does not search for a guess on its own,
 * so what it shows always matches what is in the box. With the
 * default order, agreements in the state typed come first, then those whose agency or county
 * starts with it; one agency's agreements stay together. Text from the data or the address
 * is only ever written escaped (esc) or as textContent, and never goes into a selector.
 */
(function () {
  "use strict";
  var PAGE = 100;
  var script = document.currentScript;
  var root = document.getElementById("agency-lookup");
  if (!root || !script) return;
  // The data is a script that assigns window.ice287gLookupData (ice287g.lookup.encode): a
  // <script src> loads from file:// as over http, where fetch() of a local file is refused.
  var DATA_URL = new URL("agreements.js", script.src).href;
  var $ = function (id) { return document.getElementById(id); };
  var input = $("lookup-q"), statusSel = $("lookup-status"), sortSel = $("lookup-sort");
  var count = $("lookup-count"), tbody = $("lookup-body"), more = $("lookup-more");
  var panel = $("lookup-history"), table = $("lookup-table"), suggest = $("lookup-suggest");
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
  // A date (YYYY-MM-DD) for people, as ice287g.i18n.format_date writes it in the language.
  function day(iso) {
    var m = /^(\d{4})-(\d\d)-(\d\d)/.exec(iso || "");
    if (!m) return "";
    return S.dates.date.replace("{month}", S.dates.months[+m[2] - 1])
      .replace("{day}", String(+m[3])).replace("{year}", m[1]);
  }
  function time(iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)); }
  // Sphinx's searchtools.js (on every page, for the search box) runs a search for any ?q= in
  // the address once the page is ready, and throws on a page without #search-results. Here
  // ?q= is this page's own query: keep Sphinx's search for its search page. (This deferred
  // script runs before DOMContentLoaded, when searchtools' init calls performSearch.) The
  // override is made only where searchtools has the shape it was written for (Sphinx 7.4:
  // init calls Search.performSearch(query), which writes into #search-results); a Sphinx
  // that changed is left alone. tests/test_search_guard.py holds these same checks against
  // the installed Sphinx's searchtools.js and fails when it no longer has them.
  /* global Search */
  function quietSphinxSearch() {
    if (typeof Search !== "object" || !Search || document.getElementById("search-results")) return;
    if (typeof Search.init !== "function" || typeof Search.performSearch !== "function") return;
    if (String(Search.init).indexOf("Search.performSearch(query)") === -1) return;
    if (String(Search.performSearch).indexOf("search-results") === -1) return;
    Search.performSearch = function () {};
  }
  quietSphinxSearch();

  var D, ROWS = [], BY_ID = {}, GROUPS = {}, matched = [], shown = PAGE, sortKey = "relevance", sortDir = 1;
  var VOCAB = null, corrected = "";

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

  // A list as the page names it: its day, and ICE's part of day only where two counted
  // lists share a day (ice287g.lookup.publication_labels).
  function pub(i) {
    if (i < 0 || !D.pubs[i]) return "";
    var p = D.pubs[i], rest = p.slice(11);
    if (!rest) return day(p);
    return t("pubPart", { date: day(p), part: rest.replace(/\b(am|pm|mid)\b/g, function (w) {
      return S.parts[w] || w;
    }) });
  }

  // A link to an agreement's text: kept whole, or stored after ICE's folder (link_prefix).
  // ice287g.lookup.safe_link let only https links to ice.gov through.
  function link(v) {
    if (!v) return "";
    return /^https:\/\//.test(v) ? v : (D.link_prefix || "") + v;
  }

  function prepare(data) {
    D = data;
    var C = {};
    data.columns.forEach(function (c, i) { C[c] = i; });
    var last = data.pubs.length - 1;
    D.times = data.pubs.map(time);
    ROWS = data.rows.map(function (r, n) {
      var sp = r[C.spells], place = C.place !== undefined ? r[C.place] : "";
      var row = {
        id: r[C.id], agency: r[C.agency], state: data.states[r[C.state]] || "", county: r[C.county],
        place: place && place.length ? place : null,
        type: label(data.agency_types[r[C.agency_type]] || ""),
        support: label(data.support_types[r[C.support_type]] || ""),
        signed: r[C.signed], spells: sp, group: C.group !== undefined ? r[C.group] : n,
        next: C.next !== undefined ? r[C.next] : "",
        moa: C.moa !== undefined ? link(r[C.moa]) : "", addendum: C.addendum !== undefined ? link(r[C.addendum]) : "",
        first: sp.length ? sp[0] : -1, last: sp.length ? sp[sp.length - 1] : -1, order: n
      };
      // The last time it was seen listed: the last capture of the last list carrying it,
      // often months after that list's own date when the page did not change.
      row.seen = row.last < 0 ? "" : (data.seen ? data.seen[row.last] : data.pubs[row.last].slice(0, 10));
      row.listed = row.last === last;
      row.shownState = stateName(row.state);
      // Found by ICE's names, by the county the book found for a row without one, and by
      // the state's name in either edition's language.
      var names = [row.state].concat(S.stateAliases[row.state] || []);
      row.stateKeys = names.map(fold);
      // A county the book's table corrects is found by the book's county first, and by ICE's.
      row.cited = !!(row.place && row.place[1] === "corrected");
      row.countyKey = fold(bookCounty(row));
      row.agencyKey = fold(row.agency);
      row.key = " " + [row.agencyKey, row.countyKey].concat(row.cited ? [fold(row.county)] : [])
        .concat(row.stateKeys).join(" ") + " ";
      BY_ID[row.id] = row;
      (GROUPS[row.group] = GROUPS[row.group] || []).push(row);
      return row;
    });
    ROWS.forEach(function (r) {
      if (r.next && BY_ID[r.next]) BY_ID[r.next].prev = r;
      r.status = r.listed ? "listed" : (r.next && BY_ID[r.next] ? "edited" : "left");
    });
  }

  var SORTS = {
    relevance: function (r) { return r.state + "\u0000" + r.agency.toLowerCase() + "\u0000" + r.support; },
    agency: function (r) { return r.agency.toLowerCase(); },
    state: function (r) { return r.shownState + "\u0000" + r.agency.toLowerCase() + "\u0000" + r.support; },
    county: function (r) { return (bookCounty(r) || "\uffff").toLowerCase() + "\u0000" + r.agency.toLowerCase(); },
    type: function (r) { return (r.type || "\uffff") + "\u0000" + r.agency.toLowerCase(); },
    support: function (r) { return r.support + "\u0000" + r.agency.toLowerCase(); },
    signed: function (r) { return (r.signed || "9999") + "\u0000" + r.agency.toLowerCase(); },
    first: function (r) { return ("00000" + (r.first + 1)).slice(-6); },
    last: function (r) { return (r.seen || "0000") + "\u0000" + ("00000" + (r.last + 1)).slice(-6); },
    status: function (r) { return (r.listed ? "0" : "1") + "\u0000" + r.agency.toLowerCase(); }
  };

  function sortRows() {
    var f = SORTS[sortKey] || SORTS.relevance;
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

  // "May 18, 2026 (list of March 5, 2022)": the last sighting, and the list it was on when
  // that list's date is another day; just the list when they agree.
  function lastSeen(r) {
    if (r.last < 0) return "";
    var p = D.pubs[r.last];
    return r.seen && r.seen !== p.slice(0, 10) ? t("seenOnList", { seen: day(r.seen), list: pub(r.last) }) : pub(r.last);
  }

  // What ICE changed when it replaced row r by the row that follows it.
  function change(r) {
    var n = BY_ID[r.next], parts = [];
    if (fold(n.agency) !== fold(r.agency)) parts.push(t("changeName", { from: r.agency, to: n.agency }));
    if (n.signed !== r.signed) {
      parts.push(n.signed ? t("changeSigned", { from: day(r.signed) || "\u2014", to: day(n.signed) }) : t("changeOther"));
    }
    if (!parts.length) parts.push(t("changeOther"));
    return parts.join("; ");
  }

  function statusText(r) {
    if (r.status === "listed") return t("listed");
    if (r.last < 0) return t("uncounted");
    if (r.status === "edited") return t("edited", { change: change(r), next: pub(r.last + 1) });
    return t("left", { seen: day(r.seen), next: pub(r.last + 1) });
  }

  // The county the book places the row in: the cited table's correction of ICE's county
  // ("" when the agency has no one county), else ICE's, else the one the book found.
  function bookCounty(r) {
    if (r.place && r.place[1] === "corrected") return r.place[0];
    return r.county || (r.place ? r.place[0] : "");
  }

  // ICE's county; the book's where its cited table corrects ICE's, naming ICE's; else the
  // one the book found (and how): the book's county always marked as not ICE's.
  function countyText(r) {
    if (r.place && r.place[1] === "corrected") {
      return r.place[0] ? t("placeCorrected", { county: r.place[0], ice: r.county }) : t("placeNoOne", { ice: r.county });
    }
    if (r.county || !r.place) return r.county;
    var how = r.place[1], c = { county: r.place[0] };
    return how === "sheet" ? t("placeSheet", c) : how === "name" ? t("placeName", c) : t("placeTable", c);
  }

  // One cell, labelled with its column's header (the phone layout shows the label).
  function cell(key, text, cls) {
    return "<td data-label=\"" + esc(S.columns[key]) + "\"" + (cls ? " class=\"" + cls + "\"" : "") +
      ">" + text + "</td>";
  }

  function rowHtml(r, same) {
    return "<tr data-id=\"" + esc(r.id) + "\"" + (same ? " class=\"lookup-same\"" : "") + ">" +
      cell("agency", "<button type=\"button\" class=\"lookup-pick\" aria-controls=\"lookup-history\">" +
        esc(r.agency) + "<span class=\"visually-hidden\">" + esc(t("pickHint")) + "</span></button>") +
      cell("state", esc(r.shownState)) +
      cell("county", esc(countyText(r))) +
      cell("type", esc(r.type)) +
      cell("support", esc(r.support)) +
      cell("signed", esc(day(r.signed))) +
      cell("first", esc(pub(r.first))) +
      cell("last", esc(lastSeen(r))) +
      cell("status", esc(statusText(r)), "lookup-" + r.status) + "</tr>";
  }

  function render(q) {
    var n = matched.length, html = [];
    for (var i = 0; i < n && i < shown; i++) {
      html.push(rowHtml(matched[i], i > 0 && matched[i - 1].group === matched[i].group));
    }
    tbody.innerHTML = html.join("");
    var left = 0, edited = 0;
    for (var j = 0; j < n; j++) {
      if (matched[j].status === "left") left++;
      else if (matched[j].status === "edited") edited++;
    }
    var what = q ? t(n === 1 ? "matchOne" : "matchMany", { n: num(n), q: q })
      : t(n === 1 ? "countOne" : "countMany", { n: num(n) });
    var msg = t("split", { what: what, listed: num(n - left - edited), left: num(left) });
    if (edited) msg += t(edited === 1 ? "editedOne" : "editedMany", { n: num(edited) });
    if (n > shown) msg += t("showing", { n: num(shown) });
    var none = q ? t("noneMatch", { q: q }) : t("none"), aState = false;
    var folded = fold(q);
    (D.states_without || []).forEach(function (st) {
      var names = [st].concat(S.stateAliases[st] || []);
      for (var k = 0; k < names.length; k++) {
        if (fold(names[k]) === folded) { none = t("stateWithout", { state: stateName(st) }); aState = true; }
      }
    });
    count.textContent = n ? msg + "." : none;
    // A state with no agreement is an answer, not a typo: no suggestion then.
    suggest.hidden = !corrected || aState;
    if (!suggest.hidden) suggest.textContent = t("didYouMean", { q: corrected });
    more.hidden = n <= shown;
    more.textContent = t("more", { n: num(n) });
  }

  function matchWords(words) {
    var want = statusSel.value;
    return ROWS.filter(function (r) {
      if (want === "listed" && r.status !== "listed") return false;
      if (want === "left" && r.status !== "left") return false;
      for (var i = 0; i < words.length; i++) if (r.key.indexOf(words[i]) < 0) return false;
      return true;
    });
  }

  // Damerau-Levenshtein distance (optimal string alignment), stopping early past max.
  function edits(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var prev2 = null, prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var low = i;
      for (j = 1; j <= b.length; j++) {
        var v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
        cur.push(v);
        if (v < low) low = v;
      }
      if (low > max) return max + 1;
      prev2 = prev; prev = cur;
    }
    return prev[b.length];
  }

  // The query with each word no agreement has replaced by the closest word of the data: one
  // typo allowed in a word of 4 to 7 letters, two from 8; ties go to the commoner word.
  function correct(words) {
    if (!VOCAB) {
      VOCAB = {};
      ROWS.forEach(function (r) {
        r.key.split(" ").forEach(function (w) { if (w.length >= 3) VOCAB[w] = (VOCAB[w] || 0) + 1; });
      });
    }
    var changed = false, out = words.map(function (w) {
      if (w.length < 4 || VOCAB[w]) return w;
      var max = w.length >= 8 ? 2 : 1, best = null, bestD = max + 1;
      for (var v in VOCAB) {
        var d = edits(w, v, max);
        if (d < bestD || (d === bestD && best !== null && VOCAB[v] > VOCAB[best])) { best = v; bestD = d; }
      }
      if (best === null || bestD > max) return w;
      changed = true;
      return best;
    });
    return changed ? out : null;
  }

  // With the default order (best match): the state typed first, then agencies or counties
  // starting with what was typed, then the rest; one agency's agreements together.
  function rank(list, q) {
    var folded = fold(q), tiers = [[], [], []];
    list.forEach(function (r) {
      var tier = 2;
      if (folded && r.stateKeys.indexOf(folded) >= 0) tier = 0;
      else if (folded && (r.agencyKey.indexOf(folded) === 0 || r.countyKey.indexOf(folded) === 0)) tier = 1;
      tiers[folded && sortKey === "relevance" ? tier : 2].push(r);
    });
    var ranked = tiers[0].concat(tiers[1], tiers[2]), seen = {}, out = [];
    if (sortKey !== "relevance") return ranked;  // a column the reader sorts by: that order only
    // Each agency's rows at the place of its first one (one pass, in the ranked order).
    var order = [];
    ranked.forEach(function (r) {
      if (!seen[r.group]) { seen[r.group] = []; order.push(r.group); }
      seen[r.group].push(r);
    });
    order.forEach(function (g) { Array.prototype.push.apply(out, seen[g]); });
    return out;
  }

  function filter() {
    var q = input.value.trim();
    var words = fold(q).split(" ").filter(Boolean);
    matched = matchWords(words);
    corrected = "";  // a suggestion to offer, not searched until the reader takes it
    if (!matched.length && words.length) {
      var fixed = correct(words);
      if (fixed && matchWords(fixed).length) corrected = fixed.join(" ");
    }
    matched = rank(matched, q);
    return q;
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
    var q = filter();
    render(q);
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

  // Where a list falls on the history's time axis, in per cent (by its date, not its number).
  function x(i) {
    var t0 = D.times[0], t1 = D.times[D.times.length - 1];
    return 100 * (D.times[i] - t0) / Math.max(t1 - t0, 1);
  }
  // A listed stretch from list a to list b reaches up to the next list (it was listed until
  // then); the last list gets a sliver.
  function xEnd(b) { return b + 1 < D.times.length ? x(b + 1) : 100; }

  function axisHtml() {
    var y0 = +D.pubs[0].slice(0, 4), y1 = +D.pubs[D.pubs.length - 1].slice(0, 4), ticks = [];
    var t0 = D.times[0], t1 = D.times[D.times.length - 1];
    for (var y = y0 + 1; y <= y1; y++) {
      var at = 100 * (Date.UTC(y, 0, 1) - t0) / Math.max(t1 - t0, 1);
      // A year near the right end is drawn to the left of its mark, inside the axis.
      ticks.push("<span class=\"lookup-tick" + (at > 92 ? " lookup-tick-end" : "") + "\" style=\"left:" +
        at.toFixed(2) + "%\">" + y + "</span>");
    }
    return "<div class=\"lookup-axis\" aria-hidden=\"true\">" + ticks.join("") + "</div>";
  }

  function barHtml(r, chosen, name) {
    var bars = [];
    for (var i = 0; i < r.spells.length; i += 2) {
      var a = x(r.spells[i]), b = xEnd(r.spells[i + 1]);
      bars.push("<span class=\"on\" style=\"left:" + a.toFixed(2) + "%;width:" + Math.max(b - a, 0.5).toFixed(2) + "%\"></span>");
    }
    return "<div class=\"lookup-bar-row" + (chosen ? " lookup-chosen" : "") + "\"><span class=\"lookup-bar-name\">" +
      esc(r.support || r.agency) + (r.agency !== name ? " \u00b7 " + esc(r.agency) : "") + "</span>" +
      "<div class=\"lookup-bar\" aria-hidden=\"true\">" + bars.join("") + "</div></div>";
  }

  function agreementLinks(r) {
    var out = [];
    if (r.moa) out.push("<a href=\"" + esc(r.moa) + "\" rel=\"noopener\">" + esc(t("moa")) + "</a>");
    if (r.addendum) out.push("<a href=\"" + esc(r.addendum) + "\" rel=\"noopener\">" + esc(t("addendum")) + "</a>");
    return out.join(" \u00b7 ");
  }

  function closeHistory() {
    if (panel.hidden) return;
    panel.hidden = true;
    panel.removeAttribute("data-id");
    panel.innerHTML = "";
  }

  function unknownId(id) {
    panel.innerHTML = "<p class=\"lookup-unknown\" role=\"alert\">" + esc(t("unknownId", { id: id })) + "</p>" +
      "<p class=\"lookup-links\"><button type=\"button\" id=\"lookup-close\">" + esc(t("close")) + "</button></p>";
    panel.hidden = false;
    $("lookup-close").addEventListener("click", function () { closeHistory(); syncUrl(""); input.focus(); });
  }

  function showHistory(id, focus) {
    var r = Object.prototype.hasOwnProperty.call(BY_ID, id) ? BY_ID[id] : null;
    if (!r) { unknownId(id); return; }
    var total = D.pubs.length, nListed = 0, parts = spellsOf(r), rows = [];
    parts.forEach(function (p) {
      var n = p[2] - p[1] + 1;
      if (p[0]) nListed += n;
      rows.push("<tr><td>" + esc(t(p[0] ? "yes" : "no")) + "</td><td>" + esc(pub(p[1])) + "</td><td>" +
        esc(pub(p[2])) + "</td><td>" + num(n) + "</td></tr>");
    });
    var gaps = parts.filter(function (p) { return !p[0] && p[2] < total - 1; }).length;
    // The agency's agreements (one per support type, and rows ICE edited), first listed first.
    var group = (GROUPS[r.group] || [r]).slice().sort(function (a, b) { return a.first - b.first || a.order - b.order; });
    // The agency's own page (issue 26, ice287g/pages.py agency_ids): named after the group's
    // agreement first listed (a tie, or none listed, by agreement id), lower-cased.
    var pageId = group.slice().sort(function (a, b) {
      var x = a.first < 0 ? Infinity : a.first, y = b.first < 0 ? Infinity : b.first;
      return (x - y) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    })[0].id.toLowerCase();
    var others = group.map(function (g) {
      var line = (g === r ? "<strong>" : "<button type=\"button\" class=\"lookup-pick lookup-switch\" data-id=\"" + esc(g.id) + "\">") +
        esc([g.support, g.agency !== r.agency ? g.agency : ""].filter(Boolean).join(" \u00b7 ")) +
        (g === r ? "</strong>" : "</button>") + ": " + esc(statusText(g)) +
        (g.signed ? " (" + esc(t("signed", { date: day(g.signed) })) + ")" : "");
      var links = agreementLinks(g);
      return "<li>" + line + (links ? " \u00b7 " + links : "") + "</li>";
    });
    // Until the list that no longer carried the old row (its status names the same list):
    // ICE sometimes listed the new row before dropping the old one.
    var before = r.prev ? "<p>" + esc(t("before", { agency: r.prev.agency, change: change(r.prev), date: pub(r.prev.last + 1) })) + "</p>" : "";
    panel.innerHTML =
      "<h2 id=\"lookup-history-title\" tabindex=\"-1\">" + esc(t("historyTitle", { agency: r.agency })) + "</h2>" +
      "<p>" + esc([r.shownState, countyText(r), r.type].filter(Boolean).join(" \u00b7 ")) +
      (r.signed ? " \u00b7 " + esc(t("signed", { date: day(r.signed) })) : "") + "</p>" +
      "<p><strong>" + esc(r.support) + ": " + esc(statusText(r)) + ".</strong> " + esc(t("history", {
        n: num(nListed), total: num(total), first: pub(0), last: pub(total - 1),
        firstOn: pub(r.first), seen: lastSeen(r) })) +
      (gaps ? esc(gaps === 1 ? t("gapsOne") : t("gapsMany", { n: num(gaps) })) : "") + ".</p>" + before +
      (group.length > 1 ? "<p>" + esc(t("agencyAgreements", { n: num(group.length) })) + "</p><ul class=\"lookup-group\">" + others.join("") + "</ul>"
        : (agreementLinks(r) ? "<p>" + agreementLinks(r) + "</p>" : "")) +
      "<figure class=\"lookup-timeline\"><figcaption>" + esc(t("timelineCaption", { first: pub(0), last: pub(total - 1) })) + "</figcaption>" +
      group.map(function (g) { return barHtml(g, g === r, r.agency); }).join("") + axisHtml() + "</figure>" +
      "<table class=\"lookup-spells\"><caption>" + esc(t("spellsCaption")) + "</caption>" +
      "<thead><tr><th scope=\"col\">" + esc(t("onList")) + "</th><th scope=\"col\">" + esc(t("from")) +
      "</th><th scope=\"col\">" + esc(t("to")) + "</th>" +
      "<th scope=\"col\">" + esc(t("lists")) + "</th></tr></thead><tbody>" + rows.join("") + "</tbody></table>" +
      "<p class=\"lookup-links\"><a id=\"lookup-permalink\" href=\"?id=" + encodeURIComponent(r.id) + "\">" + esc(t("link")) + "</a>" +
      " <a id=\"lookup-agency-page\" href=\"../agencies/" + encodeURIComponent(pageId) + ".html\">" + esc(t("agencyPage")) + "</a>" +
      " <button type=\"button\" id=\"lookup-copy\">" + esc(t("copy")) + "</button>" +
      " <button type=\"button\" id=\"lookup-close\">" + esc(t("close")) + "</button>" +
      " <span id=\"lookup-copied\" role=\"status\"></span></p>";
    panel.hidden = false;
    panel.setAttribute("data-id", r.id);
    $("lookup-close").addEventListener("click", function () {
      closeHistory(); syncUrl("");
      var back = null, trs = tbody.rows;
      for (var k = 0; k < trs.length; k++) {
        if (trs[k].getAttribute("data-id") === r.id) { back = trs[k].querySelector("button"); break; }
      }
      (back || input).focus();
    });
    $("lookup-copy").addEventListener("click", function () { copyLink($("lookup-permalink").href); });
    var switches = panel.querySelectorAll("button.lookup-switch");
    for (var k = 0; k < switches.length; k++) {
      switches[k].addEventListener("click", function (e) {
        var to = e.currentTarget.getAttribute("data-id");
        showHistory(to, true); syncUrl(to);
      });
    }
    if (focus) $("lookup-history-title").focus();
  }

  // Copy a link: the Clipboard API where the page may use it, else a selected text field.
  function copyLink(href) {
    var done = function () { $("lookup-copied").textContent = t("copied"); };
    var fallback = function () {
      var box = document.createElement("textarea");
      box.value = href; box.setAttribute("readonly", ""); box.className = "visually-hidden";
      root.appendChild(box); box.select();
      try { document.execCommand("copy"); done(); } catch (e) { $("lookup-copied").textContent = href; }
      root.removeChild(box);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(href).then(done, fallback);
    else fallback();
  }

  // On a phone the on-screen keyboard covers the lower half: keep the box (and its label) at
  // the top of the screen, below the theme's sticky header, so the count and the first
  // results stay in view while typing. (The hint sits above the box, out of the way.)
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 720px)") : { matches: false };
  function keepInView() {
    if (!narrow.matches) return;
    var field = input.parentNode;  // the box with its label
    var top = field.getBoundingClientRect().top, below = 0;
    var header = document.querySelector(".bd-header");
    if (header) {
      var pos = getComputedStyle(header).position;
      if (pos === "sticky" || pos === "fixed") below = Math.max(0, header.getBoundingClientRect().bottom);
    }
    if (top < below || top > below + 80) window.scrollBy(0, top - below - 8);
  }

  function start(data) {
    prepare(data);
    var params = new URLSearchParams(location.search);
    if (params.get("q")) input.value = params.get("q");
    // A parameter from the address is only compared with the options' values: it never
    // becomes part of a selector or of the page's HTML.
    var wanted = params.get("status");
    for (var o = 0; o < statusSel.options.length; o++) {
      if (statusSel.options[o].value === wanted) statusSel.value = wanted;
    }
    sortRows();
    update();
    if (params.get("id")) showHistory(params.get("id"), false);
    input.addEventListener("input", function () { closeHistory(); update(); syncUrl(""); keepInView(); });
    input.addEventListener("focus", keepInView);
    statusSel.addEventListener("change", function () { closeHistory(); update(); });
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
    suggest.addEventListener("click", function () {
      input.value = corrected; update(); syncUrl(""); input.focus();
    });
    more.addEventListener("click", function () {
      shown = matched.length; render(input.value.trim());
    });
    root.classList.add("lookup-ready");
    api.ready = true;
  }

  // Loaded once the page has painted (its first screen needs none of it), or at once when
  // the reader reaches for the search or the address asks for something.
  var loading = false;
  function load() {
    if (loading) return;
    loading = true;
    var tag = document.createElement("script");
    tag.src = DATA_URL;
    tag.async = true;
    tag.onload = function () {
      var data = window.ice287gLookupData;
      if (!data || !data.rows) { count.textContent = t("error", { error: DATA_URL }); return; }
      try { start(data); } catch (err) { count.textContent = t("error", { error: err.message }); throw err; }
    };
    tag.onerror = function () { count.textContent = t("error", { error: DATA_URL }); };
    document.head.appendChild(tag);
  }
  if (/[?&](q|id|status)=/.test(location.search)) load();
  ["focusin", "pointerdown", "keydown"].forEach(function (ev) {
    root.addEventListener(ev, load);
  });
  function later() {
    if (window.requestIdleCallback) window.requestIdleCallback(load, { timeout: 1500 });
    else setTimeout(load, 200);
  }
  if (document.readyState === "complete") later();
  else window.addEventListener("load", later);
})();
