"""Building an index version from a catalog: `pipeline.build`."""
