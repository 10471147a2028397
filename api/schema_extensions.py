"""OpenAPI extensions registered at start-up (imported by ``api.apps``)."""
