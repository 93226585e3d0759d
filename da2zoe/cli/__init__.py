"""Command-line glue shared by the tools: seed flags and runner set-up."""
