"""ice287g: every piece of logic behind the book "287(g) in Key West".

One job per module:

- ``config``   -- paths and the default archives (ICE's URL re-exported from the pipeline).
- ``pipeline`` -- ICE's sheets -> ``data/processed/``, one module per stage in the order data
  flows (``records``, ``thresholds``, ``s1_find`` ... ``s8_write``, ``schema``, ``build``;
  see ``ice287g/pipeline/__init__.py``).
- ``load``     -- typed DataFrames of the processed files (listings expanded by the one run
  decoder, ``pipeline.s6_derive.expand_runs``) and the frames every chapter shares
  (``Dataset``: publications in trend order, agreements, presence).
- ``words``    -- the words and labels the book derives, in each language: publications with
  ICE's own part of day, dates in tables, lists of names, the one list of states.
- one module per data chapter, named after it: ``national_growth``, ``where``,
  ``key_west_list``, ``churn``, ``diff`` (*What changed*), ``maps``, ``explorer``; ``story``
  for the story tables.
- ``story``    -- the curated, cited tables (meetings and events among them) and the
  bibliography.
- ``published`` -- the book's counts held against the counts DHS, ICE, the press and
  trackers published (``data/curated/published_counts.csv``), and why they differ.
- ``charts``   -- the book's matplotlib style and chart helpers.
- ``explorer`` -- the widgets of the explorer page.
- ``lookup``   -- the data of the "Find an agency" page.
- ``pages``    -- a page per state and per agency, both editions, from one template each
  (``ice287g/templates/``), written when the book's build finishes (``_ext/generated_pages.py``).
- ``maps``     -- the state and county maps.
- ``timemap``  -- the map through time: every list by state and Florida by county (its page's
  maps, slider data and table).
- ``feeds``    -- the Atom feeds of the lists' changes (the whole list and each state) and the
  state pages and feeds an update changes.
- ``glue``     -- gluing values into the prose (myst-nb).
- ``safe_html`` -- the one way a table (and any text from data) reaches the book's HTML:
  escaped.
- ``i18n``     -- the editions' languages: date and number formats per language, and the
  Spanish of every text code writes (``ice287g/locale/es/LC_MESSAGES/*.po``).
- ``files``    -- writing a file or a folder all or nothing (the one atomic-write helper).
- ``geometry`` -- the map shapes' plane geometry: the one Douglas-Peucker simplification (the
  shapes tool's and the time map's).
- ``fetch``    -- download the sheets currently linked from ICE's page.
- ``diff``     -- what changed between the latest lists of two processed folders.
- ``archives`` -- download the raw archives (the repository's release assets) for a build.
- ``__main__`` -- the command line (``python -m ice287g build | fetch | diff | get-archives``).

Notebooks import from here; they never parse raw files themselves.
"""

__version__ = "0.1.0"
