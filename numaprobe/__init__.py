"""numaprobe: a read-only Linux NUMA probe and placement advisor."""

__version__ = "0.1.0"

# Bumped only on incompatible changes to the JSON documents; docs/json.md describes each version.
SCHEMA_VERSION = 1
