"""Everything a person reads: terminal tables (``tables``), report files in Markdown or HTML
(``files``) and their matplotlib figures (``figures``, needs the ``report`` extra)."""
