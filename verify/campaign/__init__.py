"""Campaigns: many checks at once -- the ``sweep`` engine (joblib or Dask, CSV or Parquet), parallel
jobs for ``--jobs``, hypothesis strategies for users' property tests, and the pytest plugin (``--campaign``)."""
