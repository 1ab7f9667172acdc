"""The package version, in one place (read by the manifest, the report and ``openindex --version``)."""

__version__ = "0.1.0"
