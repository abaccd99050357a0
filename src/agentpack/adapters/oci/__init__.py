"""The OCI distribution client and where its credentials come from (see client and credentials)."""
