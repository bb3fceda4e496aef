"""``llmdrill plan PLAN.yaml``: capacity planning over the twin, on local cores or a Dask cluster."""
