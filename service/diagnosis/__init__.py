"""The diagnosis: the finding shape, the catalogue of codes, the engine that runs the registered
diagnosers over a snapshot, the trace of the request flow and the report."""
