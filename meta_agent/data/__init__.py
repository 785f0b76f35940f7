"""Market and external data: the offline importer and the external-data store."""
