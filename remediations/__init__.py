"""Remediators: one module per fix, each turning a finding into a plan of RFC 6902 JSON patches."""
