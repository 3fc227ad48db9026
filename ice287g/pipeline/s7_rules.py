"""Consistency rules from ICE's own record: each a pure function that decides and explains.

ICE's lists contradict themselves in ways a single sheet cannot show: an agreement printed
under one state whose signed document (the MOA file, named by ICE) names another; a signing
year printed a year early; the same agreement printed under two states, names or dates on
successive lists; one document linked from two rows. Each rule below takes plain values (the
agreements as printed, with the links and dates of the lists that carried them) and returns
``Finding``s: what it caught, why, and, where ICE's record points to one value, a *proposed*
reviewed fix (a row for ``data/reviewed/fixes.csv``). The build never applies a proposal: a
reviewer accepts one by adding the row, with its reason and evidence, and rebuilds; the
finding then disappears (the row is read as fixed), and ``qa.csv`` reports reviewed fixes that
no longer match any row (``fixes_unused``). A reviewer rejects one by adding it to
``data/reviewed/rule_decisions.csv`` (:func:`load_decisions`), with the reason and evidence:
the finding stays reported, with the decision instead of the proposal; ``qa.csv`` counts the
proposals no one has decided (``rule_proposals_open``) and reports decisions that no longer
match any proposal (``rule_decisions_unused``).

Rules (``qa.csv`` rows ``rule_<name>``, info):

- ``moa_state``: the state code in the MOA file name (``CassCoSheriffsOfficeMN_TFM_MOA_...``)
  against STATE;
- ``moa_date``: the date in the MOA file name against SIGNED (a different year with the same
  month and day proposes the file's year);
- ``signed_year``: a signing date after the first list carrying the agreement, or more than
  ``EARLY_DAYS`` before it while ICE published lists in between without it (a year printed
  early: proposes one year later when that fits);
- ``printed_differently``: one agency and model printed under two states or two dates on
  successive lists (one printing ends where the other begins, at most ``SUCCESSOR_GAP``
  lists apart): ICE's later printing is its correction (a state: proposes ICE's later
  state; a date: reported, and the churn counts it as an edit);
- ``same_moa``: one MOA link under two agreement rows;
- ``duplicate_rows``: one agreement (state, agency, model, signing date) printed in two rows of
  one list (the book counts agreements by id, so it counts once; a list's ``n_agreements`` in
  snapshots.csv stays ICE's row count);
- ``link_host``: an MOA or ADDENDUM link to a host other than ICE's (``ICE_HOSTS``) or over
  another scheme than https/http: kept in the data as ICE printed it, never shown as a link.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from .records import SheetError
from .s1_find import read_reviewed_table
from .s3_clean import STATES, normalise_agency, squash
from .thresholds import ICE_HOSTS

USPS = frozenset(STATES.values())
#: A signing date this many days before the agreement's first list, with ICE lists published
#: in between that do not carry it, is suspect (a year printed early).
EARLY_DAYS = 300
#: ... when at least this many trend lists lie between the signing and the first listing.
EARLY_MIN_LISTS = 10
#: Two printings of one agency and model are successive when the second begins at most this
#: many trend lists after the first ends.
SUCCESSOR_GAP = 3
#: The support type codes of ICE's MOA file names.
MODEL_CODES = frozenset({"JEM", "WSO", "TFM", "MOA", "LEA"})


@dataclass(frozen=True)
class Printing:
    """One agreement as ICE printed it: its cleaned key values, where it appears in the trend
    series (positions of its first and last trend list, dates) and its MOA links."""

    agreement_id: str
    state: str
    state_code: str
    agency: str
    support_type: str
    signed: str  # ISO date or ""
    first_pos: int  # index of its first trend list
    last_pos: int
    first_day: dt.date
    first_publication: str
    last_publication: str
    moa_urls: tuple[str, ...] = ()  # every MOA link printed for it, in list order
    raw_signed: str = ""  # the SIGNED value as ICE wrote it (for a proposal's key)
    raw_state: str = ""
    addendum_urls: tuple[str, ...] = ()  # every ADDENDUM link printed for it, in list order


@dataclass(frozen=True)
class Finding:
    rule: str
    agreement_ids: tuple[str, ...]
    explanation: str
    proposal: dict = field(default_factory=dict)  # a fixes.csv row, or {} when none


# --------------------------------------------------------------------------- MOA file names
def moa_file(url: str) -> str:
    """The file name of an MOA link without its extension (URL escapes decoded)."""
    name = unquote(url.rsplit("/", 1)[-1]).strip()
    return re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE)


def moa_file_state(url: str) -> str:
    """The USPS code an MOA file name gives its agency ("" when it gives none that is sure).

    ICE's names: ``CassCoSheriffsOfficeMN_TFM_MOA_05062025`` (the code closes the agency's
    CamelCase name), ``LevelPlainsPD-AL-TFM-MOA-07302025`` (a token of its own), and the
    older ``287gJEM_EtowahCoAl2016-06-18`` (a capitalised code before the date)."""
    stem = moa_file(url)
    if not stem:
        return ""
    tokens = [t for t in re.split(r"[-_\s]+", stem) if t]
    old = bool(tokens) and tokens[0].lower().startswith("287g")
    if old:
        tokens = tokens[1:]
    # the agency part: the tokens before the first model code or date
    agency = []
    for t in tokens:
        if t.upper() in MODEL_CODES or re.fullmatch(r"[\d.]+", t):
            break
        agency.append(t)
    for t in agency[1:]:
        if t in USPS:  # a code as its own token (LevelPlainsPD-AL-...)
            return t
    if not agency:
        return ""
    word = re.sub(r"[\d.\-]+$", "", agency[0] if old else agency[-1])
    # after a lower-case letter, or after ICE's abbreviations PD, SO, DOC, DPS (KeyWestPDFL)
    m = re.search(r"(?<=[a-z])([A-Z][A-Za-z])$" if old else
                  r"(?:(?<=[a-z])|(?<=PD)|(?<=SO)|(?<=DOC)|(?<=DPS))([A-Z]{2})$", word)
    code = m.group(1).upper() if m else ""
    return code if code in USPS else ""


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y + 2000 if y < 100 else y, m, d)
    except ValueError:
        return None


def moa_file_date(url: str) -> dt.date | None:
    """The date at the end of an MOA file name (MMDDYYYY, MMDDYY, M.D.YY(YY), M_D_YY,
    YYYY-MM-DD, MM-DD-YYYY), or None."""
    stem = moa_file(url)
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})$", stem)
    if m:
        return _date(int(m[1]), int(m[2]), int(m[3]))
    m = re.search(r"(?<!\d)(\d{1,2})[-_.](\d{1,2})[-_.](\d{4}|\d{2})$", stem)
    if m:
        return _date(int(m[3]), int(m[1]), int(m[2]))
    m = re.search(r"(?<!\d)(\d{8}|\d{6})$", stem)
    if m:
        s = m[1]
        return _date(int(s[4:]), int(s[:2]), int(s[2:4]))
    return None


# --------------------------------------------------------------------------- the rules
def _proposal(field_: str, raw: str, fixed: str, p: "Printing", reason: str, evidence: str) -> dict:
    return {"field": field_, "raw": raw, "fixed": fixed, "agency": p.agency,
            "support_type": p.support_type, "reason": reason, "evidence": evidence}


def rule_moa_state(p: Printing) -> list[Finding]:
    """The state in the MOA file name against STATE: a mismatch proposes the file's state."""
    for url in p.moa_urls[::-1]:
        code = moa_file_state(url)
        if code and p.state_code and code != p.state_code:
            name = next(n for n, c in STATES.items() if c == code)
            return [Finding("moa_state", (p.agreement_id,), (
                f"{p.agency} ({p.support_type}, signed {p.signed or 'blank'}) is printed in "
                f"{p.state} but its MOA file {moa_file(url)} names {code}"),
                _proposal("state", p.raw_state or p.state.upper(), name, p,
                          f"ICE's MOA file names {code}", f"MOA link {url}; lists "
                          f"{p.first_publication} to {p.last_publication}"))]
    return []


def rule_moa_date(p: Printing) -> list[Finding]:
    """The date in the MOA file name against SIGNED: a different year with the same month and
    day proposes the file's date; other differences over 31 days are reported only."""
    if not p.signed:
        return []
    signed = dt.date.fromisoformat(p.signed)
    for url in p.moa_urls[::-1]:
        day = moa_file_date(url)
        if day is None or day == signed:
            continue
        if day.year != signed.year and (day.month, day.day) == (signed.month, signed.day):
            return [Finding("moa_date", (p.agreement_id,), (
                f"{p.agency} ({p.state}, {p.support_type}) is printed signed {p.signed}; its "
                f"MOA file {moa_file(url)} is dated {day.isoformat()}"),
                _proposal("signed", p.raw_signed or p.signed, day.isoformat(), p,
                          f"the year is printed wrong: ICE's MOA file is dated {day.isoformat()}",
                          f"MOA link {url}"))]
        if abs((day - signed).days) > 31:
            return [Finding("moa_date", (p.agreement_id,), (
                f"{p.agency} ({p.state}, {p.support_type}) is printed signed {p.signed}; its "
                f"MOA file {moa_file(url)} is dated {day.isoformat()} (reported only: the "
                "file may be another document)"))]
    return []


def rule_signed_year(p: Printing, list_days: list[dt.date]) -> list[Finding]:
    """A signing date after the agreement's first list, or ``EARLY_DAYS`` before it while at
    least ``EARLY_MIN_LISTS`` trend lists (``list_days``, in order) came out in between without
    it. Proposes one year later when that date is on or before the first list."""
    if not p.signed:
        return []
    signed = dt.date.fromisoformat(p.signed)
    if signed > p.first_day:
        return [Finding("signed_year", (p.agreement_id,), (
            f"{p.agency} ({p.state}, {p.support_type}) is printed signed {p.signed}, after the "
            f"first list carrying it ({p.first_publication})"))]
    between = sum(1 for d in list_days[:p.first_pos] if d > signed)
    if (p.first_day - signed).days > EARLY_DAYS and between >= EARLY_MIN_LISTS:
        later = _date(signed.year + 1, signed.month, signed.day)
        proposal = {}
        if later is not None and later <= p.first_day:
            proposal = _proposal("signed", p.raw_signed or p.signed, later.isoformat(), p,
                                 "a signing year printed a year early",
                                 f"first listed {p.first_publication}, {between} lists after the "
                                 "printed date")
        return [Finding("signed_year", (p.agreement_id,), (
            f"{p.agency} ({p.state}, {p.support_type}) is printed signed {p.signed} but first "
            f"appears on {p.first_publication}, {between} lists later"), proposal)]
    return []


def rule_printed_differently(printings: list[Printing]) -> list[Finding]:
    """One agency and model printed under two states or two signing dates on successive
    lists: the first printing ends where the second begins (at most ``SUCCESSOR_GAP`` trend
    lists apart). A state changed by ICE proposes ICE's later state for the earlier rows."""
    groups: dict[tuple[str, str], list[Printing]] = defaultdict(list)
    for p in printings:
        groups[(normalise_agency(p.agency), p.support_type)].append(p)
    out = []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda p: (p.first_pos, p.agreement_id))
        for a in group:
            b = next((b for b in group if b is not a and 0 < b.first_pos - a.last_pos
                      <= SUCCESSOR_GAP), None)
            if b is None:
                continue
            if a.state_code != b.state_code and a.signed == b.signed:
                out.append(Finding("printed_differently", (a.agreement_id, b.agreement_id), (
                    f"{a.agency} ({a.support_type}, signed {a.signed or 'blank'}) printed in "
                    f"{a.state} to {a.last_publication}, then in {b.state} from "
                    f"{b.first_publication}"),
                    _proposal("state", a.raw_state or a.state.upper(), b.state.upper(), a,
                              f"ICE corrected the state to {b.state} from {b.first_publication}",
                              f"lists {a.first_publication} to {a.last_publication} and "
                              f"{b.first_publication} on")))
            elif a.state_code == b.state_code and a.signed != b.signed:
                out.append(Finding("printed_differently", (a.agreement_id, b.agreement_id), (
                    f"{a.agency} ({a.state}, {a.support_type}) printed signed "
                    f"{a.signed or 'blank'} to {a.last_publication}, then "
                    f"{b.signed or 'blank'} from {b.first_publication}")))
    return out


def rule_same_moa(printings: list[Printing]) -> list[Finding]:
    """One MOA link printed for two agreement rows (a renamed or re-dated row, or two models
    under one document)."""
    by_url: dict[str, list[Printing]] = defaultdict(list)
    for p in printings:
        for url in dict.fromkeys(p.moa_urls):
            by_url[url].append(p)
    out = []
    for url, ps in sorted(by_url.items()):
        if len(ps) > 1:
            ps = sorted(ps, key=lambda p: (p.first_pos, p.agreement_id))
            out.append(Finding("same_moa", tuple(p.agreement_id for p in ps), (
                f"{moa_file(url)} is linked from " + "; ".join(
                    f"{p.agency} ({p.state}, {p.support_type}, {p.signed or 'blank'})"
                    for p in ps))))
    return out


def rule_duplicate_rows(lists: list[tuple[str, list[str]]]) -> list[Finding]:
    """Rows printed twice on one list: ``lists`` are (publication, the list's rows as
    comparable texts) in order; one finding per repeated row, naming the first and last list
    that repeat it and how many lists do."""
    from collections import Counter

    seen: dict[str, list[str]] = {}
    for pid, rows in lists:
        for text, n in Counter(rows).items():
            if n > 1:
                seen.setdefault(text, []).append(pid)
    return [Finding("duplicate_rows", (), (
        f"{text.replace(chr(31), ' | ')} printed twice on {len(pids)} list(s), {pids[0]} to "
        f"{pids[-1]}")) for text, pids in seen.items()]


def rule_link_host(p: Printing) -> list[Finding]:
    """A document link (MOA or ADDENDUM) not on ICE's own site: reported, never linked."""
    from urllib.parse import urlsplit

    out = []
    for kind, urls in (("MOA", p.moa_urls), ("ADDENDUM", p.addendum_urls)):
        for url in urls:
            try:
                parts = urlsplit(url)
                host, scheme = (parts.hostname or "").lower(), parts.scheme.lower()
            except ValueError:
                host, scheme = "", ""
            if scheme not in ("https", "http") or host not in ICE_HOSTS:
                out.append(Finding("link_host", (p.agreement_id,), (
                    f"{p.agency} ({p.support_type}): its {kind} link {url!r} is not on ICE's "
                    f"site ({', '.join(ICE_HOSTS)})")))
    return out


RULES = ("moa_state", "moa_date", "signed_year", "printed_differently", "same_moa",
         "duplicate_rows", "link_host")


def run_rules(printings: list[Printing], list_days: list[dt.date],
              lists: list[tuple[str, list[str]]] | None = None) -> dict[str, list[Finding]]:
    """Every rule over the printings; rule name -> its findings, in a stable order."""
    out: dict[str, list[Finding]] = {r: [] for r in RULES}
    for p in printings:
        out["moa_state"] += rule_moa_state(p)
        out["moa_date"] += rule_moa_date(p)
        out["signed_year"] += rule_signed_year(p, list_days)
        out["link_host"] += rule_link_host(p)
    out["printed_differently"] = rule_printed_differently(printings)
    out["same_moa"] = rule_same_moa(printings)
    out["duplicate_rows"] = rule_duplicate_rows(lists or [])
    return out


# --------------------------------------------------------------------------- reviewed decisions
#: The rules that propose a reviewed fix (the others only report).
PROPOSING_RULES = ("moa_state", "moa_date", "signed_year", "printed_differently")
DECISION_COLUMNS = ("rule", "field", "raw", "proposed", "agency", "support_type", "decision",
                    "reason", "evidence")


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on one proposal of a rule (a row of
    ``data/reviewed/rule_decisions.csv``): ``reject`` (an accepted proposal is a row of
    fixes.csv instead), why, and where the evidence is."""

    rule: str
    field: str
    raw: str
    proposed: str
    agency: str
    support_type: str
    decision: str
    reason: str
    evidence: str


def decision_key(rule: str, field_: str, raw: str, proposed: str, agency: str,
                 support_type: str) -> tuple[str, ...]:
    """What a decision and a proposal are matched on: the rule, the field, the raw value and
    the proposed value (ignoring letter case and spacing, as fixes are matched), the agency
    (as the pipeline compares names) and the model."""
    return (rule, field_, squash(raw).casefold(), squash(proposed).casefold(),
            normalise_agency(agency), squash(support_type).casefold())


def proposal_key(rule: str, proposal: dict) -> tuple[str, ...]:
    return decision_key(rule, proposal["field"], proposal["raw"], proposal["fixed"],
                        proposal["agency"], proposal["support_type"])


def load_decisions(path) -> dict[tuple[str, ...], Decision]:
    """The reviewed decisions on the rules' proposals (``data/reviewed/rule_decisions.csv``),
    keyed by :func:`decision_key`. A missing table is no decisions. Raises ``SheetError``
    naming the file and row when it is malformed: an unknown rule or field, a decision other
    than ``reject``, no agency, reason or evidence, one proposal decided twice."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[tuple[str, ...], Decision] = {}
    for n, row in read_reviewed_table(path, DECISION_COLUMNS, "the reviewed rule decisions"):
        d = Decision(**{k: row[k] or "" for k in DECISION_COLUMNS})
        if d.rule not in PROPOSING_RULES:
            raise SheetError(path, f"unknown rule {d.rule!r} (rules that propose: "
                                   f"{', '.join(PROPOSING_RULES)})", row=n)
        if d.field not in ("state", "signed"):
            raise SheetError(path, f"unknown field {d.field!r} (the rules propose state or "
                                   "signed)", row=n)
        if d.decision != "reject":
            raise SheetError(path, "the decision must be 'reject' (accept a proposal by adding "
                                   "it to fixes.csv)", row=n)
        if not (d.raw.strip() and d.proposed.strip() and d.agency.strip()):
            raise SheetError(path, "a decision names the proposal: raw, proposed and agency", row=n)
        if not d.reason.strip() or not d.evidence.strip():
            raise SheetError(path, "a decision needs a reason and its evidence", row=n)
        key = decision_key(d.rule, d.field, d.raw, d.proposed, d.agency, d.support_type)
        if key in out:
            raise SheetError(path, f"the {d.rule} proposal for {d.agency!r} ({d.field} "
                                   f"{d.raw!r} -> {d.proposed!r}) is decided twice", row=n)
        out[key] = d
    return out


def decide(found: dict[str, list[Finding]], decisions: dict[tuple[str, ...], Decision]):
    """The reviewed decisions applied to the rules' findings: ``(decided, open, unused)``:
    ``decided`` maps ``(rule, index of the finding)`` to its decision, ``open`` lists
    ``(rule, finding)`` of every proposal no decision answers, ``unused`` the decisions that
    match no proposal (stale: ICE's record or the rule changed, or a fix was accepted)."""
    decided, open_, used = {}, [], set()
    for rule, fs in found.items():
        for k, f in enumerate(fs):
            if not f.proposal:
                continue
            key = proposal_key(rule, f.proposal)
            if key in decisions:
                decided[(rule, k)] = decisions[key]
                used.add(key)
            else:
                open_.append((rule, f))
    unused = [d for key, d in decisions.items() if key not in used]
    return decided, open_, unused


# --------------------------------------------------------------------------- from the build
def printings(t, pubs, store) -> tuple[list[Printing], list[dt.date]]:
    """The printings of a participating ``s6_derive.ListTables`` (trend publications only)
    and the dates of the trend lists, in order."""
    trend = [p for p in pubs if not p.wrong_columns and not p.trend_excluded]
    pos = {p.id: k for k, p in enumerate(trend)}
    days = [p.published_at.date() for p in trend]
    urls: dict[str, list[str]] = defaultdict(list)
    addenda: dict[str, list[str]] = defaultdict(list)
    for (pid, aid), (moa, add) in zip(t.listings, t.listing_links):
        if moa and pid in pos and (not urls[aid] or urls[aid][-1] != moa):
            urls[aid].append(moa)
        if add and pid in pos and (not addenda[aid] or addenda[aid][-1] != add):
            addenda[aid].append(add)
    out = []
    for e in t.entities:
        fp, lp = pos.get(e["first_publication"]), pos.get(e["last_publication"])
        if fp is None or lp is None:
            continue
        raw_signed = e["signed_raw"].split(" | ")[0] if e["signed_raw"] else e["signed"]
        raw_state = e["state_raw"].split(" | ")[0] if e["state_raw"] else e["state"]
        out.append(Printing(e["agreement_id"], e["state"], e["state_code"], e["agency"],
                            e["support_type"], e["signed"], fp, lp, days[fp],
                            e["first_publication"], e["last_publication"],
                            tuple(urls.get(e["agreement_id"], ())), raw_signed, raw_state,
                            tuple(addenda.get(e["agreement_id"], ()))))
    return out, days


def unused_fixes(fixes, store) -> list:
    """Reviewed fixes that match no raw row of the build (keyed values no longer seen)."""
    from .s3_clean import RAW, squash

    cols = {"state": RAW["STATE"], "type": RAW["TYPE"], "support_type": RAW["SUPPORT TYPE"],
            "signed": RAW["SIGNED"], "agency": RAW["LAW ENFORCEMENT AGENCY"]}
    seen = {f: {squash(r[c]).casefold() for r in store.raw_rows} for f, c in cols.items()}
    scoped_seen = set()
    if fixes.scoped:
        for raw, norm, clean in zip(store.raw_rows, store.agency_norm, store.clean_rows):
            for f, k in cols.items():
                if f != "agency":
                    value = squash(raw[k]).casefold()
                    scoped_seen.add((f, value, norm, clean.support_type.casefold()))
                    scoped_seen.add((f, value, norm, ""))
    for f in ("moa", "addendum"):  # links: seen where a sheet prints them (clean_records)
        seen[f] = {key for field_, key in store.link_fix_files if field_ == f}
    out = []
    for (f, raw), fix in fixes.by_key.items():
        if raw not in seen[f]:
            out.append(fix)
    for key, fix in fixes.scoped.items():
        if key not in scoped_seen:
            out.append(fix)
    return out


FIX_ROW = ("field", "raw", "fixed", "agency", "support_type", "reason", "evidence")
#: A proposal named without its reason and evidence (in a rejected finding's text).
PROPOSAL_COLUMNS = ("field", "raw", "fixed", "agency", "support_type")


def _csv_row(d: dict, columns=FIX_ROW) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([d.get(k, "") for k in columns])
    return buf.getvalue()


def qa_rows(t, pubs, store, fixes, decisions=None) -> list[dict]:
    """The qa.csv rows of the rules (info: each finding explained, each proposal as a
    fixes.csv row, or the reviewed decision that rejected it), of the proposals no one has
    decided, of the decisions and reviewed fixes that no longer match anything."""
    ps, days = printings(t, pubs, store)
    trend = [p for p in pubs if not p.wrong_columns and not p.trend_excluded]
    key = [r.agreement_key for r in store.clean_rows]  # one agreement: state, agency, model, date
    found = run_rules(ps, days, [(p.id, [key[i] for i in p.row_ids]) for p in trend])
    decided, open_, stale = decide(found, decisions or {})
    rows = []
    for rule in RULES:
        fs = found[rule]
        parts = []
        for k, f in enumerate(fs):
            text = f"{f.explanation} [{', '.join(f.agreement_ids)}]"
            if (rule, k) in decided:
                text += (f" -> proposal {_csv_row(f.proposal, PROPOSAL_COLUMNS)} rejected "
                         f"(data/reviewed/rule_decisions.csv): {decided[(rule, k)].reason}")
            elif f.proposal:
                text += f" -> proposed fix: {_csv_row(f.proposal)}"
            parts.append(text)
        doc = (__doc__.split(f"``{rule}``: ", 1)[1].split("\n- ", 1)[0].split("\n\n")[0])
        rows.append({"name": f"rule_{rule}", "status": "info", "count": len(fs),
                     "detail": " ".join(doc.split()).rstrip(".;") + (": " + " || ".join(parts) if parts
                                                        else ": none found")})
    rows.append({"name": "rule_proposals_open", "status": "info", "count": len(open_),
                 "detail": "proposals of the rules that no reviewed decision answers (accept one "
                 "by adding it to data/reviewed/fixes.csv, reject it in "
                 "data/reviewed/rule_decisions.csv): " + ("; ".join(
                     f"{rule}: {f.proposal['agency']} ({f.proposal['support_type']}), "
                     f"{f.proposal['field']} {f.proposal['raw']} -> {f.proposal['fixed']}"
                     for rule, f in open_) if open_ else "none")})
    rows.append({"name": "rule_decisions_unused", "status": "info", "count": len(stale),
                 "detail": "reviewed rule decisions (data/reviewed/rule_decisions.csv) that match "
                 "no proposal of the rules: " + ("; ".join(
                     _csv_row(d.__dict__, DECISION_COLUMNS[:7]) for d in stale)
                     if stale else "none")})
    links = [(fix, store.link_fix_files.get((f, raw), 0)) for (f, raw), fix in fixes.by_key.items()
             if f in ("moa", "addendum")]
    links = [(fix, n) for fix, n in links if n]
    rows.append({"name": "link_fixes", "status": "info", "count": len(links),
                 "detail": "document links (MOA, ADDENDUM) a reviewed fix reads as ICE's link, "
                 "each with the number of files printing it: " + ("; ".join(
                     f"{fix.raw} -> {fix.fixed} ({n} file{'s' if n != 1 else ''})"
                     for fix, n in links) if links else "none")})
    unused = unused_fixes(fixes, store)
    rows.append({"name": "fixes_unused", "status": "info", "count": len(unused),
                 "detail": "reviewed fixes (data/reviewed/fixes.csv) that match no row of the "
                 "sheets read: " + ("; ".join(_csv_row(f.__dict__) for f in unused)
                                    if unused else "none")})
    return rows
