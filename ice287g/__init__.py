"""ice287g: every piece of logic behind the book "287(g) in Key West".

One job per module:

- ``config``   -- paths and the default archives (ICE's URL re-exported from the pipeline).
- ``pipeline`` -- ICE's sheets -> ``data/processed/``, one module per stage in the order data
  flows (``records``, ``thresholds``, ``s1_find`` ... ``s8_write``, ``schema``, ``build``;
  see ``ice287g/pipeline/__init__.py``).
- ``load``     -- typed DataFrames of the processed files, and the one run decoder.
- ``analysis`` -- the findings the notebooks report (counts, shares, churn, one agency).
- ``story``    -- the curated, cited tables and the bibliography.
- ``published`` -- the book's counts held against the counts DHS, ICE, the press and
  trackers published (``data/curated/published_counts.csv``), and why they differ.
- ``charts``   -- the book's matplotlib style and chart helpers.
- ``explorer`` -- the widgets of the explorer page.
- ``lookup``   -- the data of the "Find an agency" page.
- ``maps``     -- the state and county maps.
- ``glue``     -- gluing values into the prose (myst-nb).
- ``safe_html`` -- the one way a table (and any text from data) reaches the book's HTML:
  escaped.
- ``i18n``     -- the editions' languages: date and number formats per language, and the
  Spanish of every text code writes (``ice287g/locale/es/LC_MESSAGES/*.po``).
- ``files``    -- writing a file or a folder all or nothing (the one atomic-write helper).
- ``fetch``    -- download the sheets currently linked from ICE's page.
- ``diff``     -- what changed between the latest lists of two processed folders.
- ``archives`` -- download the raw archives (the repository's release assets) for a build.
- ``__main__`` -- the command line (``python -m ice287g build | fetch | diff | get-archives``).

Notebooks import from here; they never parse raw files themselves.
"""

__version__ = "0.1.0"
