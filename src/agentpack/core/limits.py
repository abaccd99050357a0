"""The bounds every document agentpack reads is parsed within, in one place.

Every JSON and YAML document read from a registry, a cache, a bundle or a workspace goes through
``core.bounded_json.parse_json`` or ``adapters.yamlio.load_yaml``, which refuse anything beyond
these limits with an error naming the file (and, for YAML, the line and column) instead of
exhausting memory or the stack:

- ``MAX_YAML_BYTES``: package.yaml, agentops.yaml, local files, gates files, frontmatter and
  configuration files are written by people; a megabyte is far more than any of them needs.
- ``MAX_JSON_BYTES``: lockfiles, registry indexes and catalogs, bundle manifests and records,
  signature documents are written by tools and grow with the number of packages and files; a
  catalog of ten thousand packages is a few megabytes.
- ``MAX_DEPTH``: how deeply mappings and sequences may nest. Readers and writers walk documents
  recursively; a limit well below Python's recursion limit keeps every walk safe. JSON documents
  may nest a little deeper than YAML ones, because a registry record embeds a package.yaml.
- ``MAX_YAML_NODES``: nodes a YAML document may expand to, counting an alias each time it is used
  (a "billion laughs" document is a few lines).
- ``MAX_KEY_BYTES``: a key file (PEM or one line of base64) is a few hundred bytes.
- ``MAX_INT_DIGITS``: no field needs an integer beyond 64 bits; longer digit strings are refused
  (Python refuses to convert more than 4,300 digits anyway, with an error that names nothing).
- ``MAX_MARK_TEXT``: characters of a yank reason or deprecation message (core.release_marks): one
  line that says why and what to use instead. Longer ones are refused when written and cut when
  read back from a registry or a bundle.
- ``MAX_SIZE_BYTES``, ``MAX_QUOTA_VERSIONS``: a team's quota in bytes and in versions, the largest
  the metadata store's columns hold (a signed 64-bit integer; PostgreSQL's 32-bit INTEGER).

Also refused, whatever the size: NaN and infinite numbers (no JSON tool can read them back),
duplicate keys in a mapping (which one wins differs between tools, so a reviewer and agentops
could read different values), unpaired surrogate characters (they cannot be written as UTF-8),
and text that is not UTF-8. A leading byte order mark is ignored.
"""

from __future__ import annotations

MAX_YAML_BYTES = 1_048_576
MAX_JSON_BYTES = 64 * 1_048_576
MAX_YAML_DEPTH = 64
MAX_JSON_DEPTH = MAX_YAML_DEPTH + 16
MAX_YAML_NODES = 100_000
MAX_INT_DIGITS = 20
MAX_KEY_BYTES = 65_536
MAX_MARK_TEXT = 500
MAX_SIZE_BYTES = 2**63 - 1
MAX_QUOTA_VERSIONS = 2**31 - 1
