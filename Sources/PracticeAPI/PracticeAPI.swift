// Generated from openapi.yaml at build time.
