"""Jinja2 templates shipped with rca: `postmortem.md.j2` renders the incident report."""
