"""Turn messages into templates: variable parts become `<*>`.

Rules run per distinct message with the `regex` module (look-arounds keep them tight);
callers apply them to the few distinct messages, never per line. A system's own variables
(a link's fix code, a forged JWT) come from its knowledge pack, applied first.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from rca.compiled import compiled
from rca.inputs.timestamps import year_first_time
from rca.knowledge.pack import default_pack

VAR = "<*>"

_RULES: list[tuple[regex.Pattern[str], str]] = [
    # URLs: keep scheme, host and the constant path; mask query values.
    (compiled(r"(?<=[?&][A-Za-z_]+=)[^&#\s\"']+"), VAR),
    (compiled(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), VAR),  # JWT
    (compiled(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), VAR),  # e-mail
    (compiled(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), VAR),
    (compiled(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), VAR),  # IPv4[:port]
    (compiled(r"\b" + year_first_time()), VAR),
    (compiled(r"(?<![A-Za-z])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?![A-Za-z])"), VAR),  # hex ids
    (compiled(r"(?<![\w.<])[-+]?\d+(?:\.\d+)?(?:ms|s|us|ns|KB|MB|GB|B)?(?![\w>])"), VAR),
]
_COLLAPSE = compiled(r"(?:<\*>[\s,.:;/_-]*){2,}")


def template(message: str, variables: tuple[regex.Pattern[str], ...] | None = None) -> str:
    """The message with its variables masked, whitespace folded; `variables` are the pack's
    own (the shipped pack's when not given)."""
    return _template(message, default_pack().template_variables if variables is None else variables)


@lru_cache(maxsize=65536)
def _template(message: str, variables: tuple[regex.Pattern[str], ...]) -> str:
    text = " ".join(message.split())
    for pattern in variables:
        text = pattern.sub(VAR, text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return _COLLAPSE.sub(lambda m: VAR + (" " if m.group().endswith(" ") else ""), text).strip()
