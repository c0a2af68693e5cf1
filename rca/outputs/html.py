"""A self-contained HTML page of the findings: summary, causes, chart, timeline, signatures
(routine ones set apart) and URLs. No network needed to open it; readable from phone width
to desktop. Redacted unless asked otherwise."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from rca.findings.pipeline import Findings, IncidentFindings
from rca.outputs.chart import render as render_chart
from rca.findings.redacted import shown
from rca.table.redact import MASK, clip
from rca.outputs.report import REDACTED_LINK, affected_of, failed_text, localise
from rca.outputs.postmortem import input_name
from rca.outputs.explore import Explore, incident_link, signature_link
from rca.outputs.escape import web_url, without_controls
from rca.outputs.times import duration, stamp as when, window

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

CSS = """
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
color:#1d232b;background:#f6f7f9}main{max-width:1180px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.4em 0}h2{font-size:1.2rem;margin:1.4em 0 .5em}h3{font-size:1.05rem;margin:1em 0 .3em}
section{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:12px 16px;margin:12px 0}
.muted{color:#6b7480}.cause{border-left:4px solid #d62728;padding-left:10px;margin:10px 0}
.cause.other{border-color:#c9ced6}.conf{font-weight:600}.chart svg{width:100%;height:auto}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
td.tpl,code,.ev{word-break:break-word;overflow-wrap:anywhere}code{background:#f0f2f5;padding:1px 4px;border-radius:4px}
.link{overflow-wrap:anywhere;font-family:ui-monospace,monospace}.tag{display:inline-block;font-size:.75rem;padding:0 6px;
border-radius:8px;background:#fde2e2;color:#a11}.tag.routine{background:#eceff3;color:#555}
.zoom{margin:0 0 6px}.zoom button{font:inherit;padding:2px 10px;margin-right:4px;border:1px solid #c9ced6;
border-radius:6px;background:#fff}#tip{position:fixed;pointer-events:none;background:#1d232b;color:#fff;font-size:.8rem;
padding:3px 7px;border-radius:5px;display:none;z-index:9;max-width:90vw}.chart g[data-tip]:hover{opacity:.75}
@media (max-width:600px){main{padding:8px}section{padding:10px}th,td{padding:3px 4px}}
"""

# Flags horizontal overflow so a browser test can tell the page fits its viewport.
FIT_CHECK = ("<script>addEventListener('load',function(){var d=document.documentElement;"
             "document.body.setAttribute('data-overflow',d.scrollWidth>d.clientWidth+1?'yes':'no');});</script>")


# Hover and zoom with no network: each bar's SVG <title> becomes a tooltip (mouse or touch);
# the buttons widen the chart inside its scrolling box. '#hover-test' hovers the first bar,
# so a headless browser test can see the tooltip.
CHART_JS = """<script>(function(){var tip=document.getElementById('tip'),box=document.getElementById('chart');
var svg=box.querySelector('svg'),zoom=1;function show(g,x,y){tip.textContent=g.getAttribute('data-tip');
tip.style.display='block';tip.style.left=Math.min(x+12,innerWidth-tip.offsetWidth-4)+'px';tip.style.top=(y+12)+'px';}
box.querySelectorAll('g[id^="rca-bar-"]').forEach(function(g){var t=g.querySelector('title');if(!t)return;
g.setAttribute('data-tip',t.textContent);t.remove();
g.addEventListener('mousemove',function(e){show(g,e.clientX,e.clientY);});
g.addEventListener('touchstart',function(e){var p=e.touches[0];show(g,p.clientX,p.clientY);},{passive:true});
g.addEventListener('mouseleave',function(){tip.style.display='none';});});
box.querySelectorAll('.zoom button').forEach(function(b){b.addEventListener('click',function(){
zoom=b.value==='reset'?1:Math.max(1,Math.min(8,zoom*(b.value==='in'?2:0.5)));svg.style.width=(100*zoom)+'%';});});
if(location.hash==='#hover-test'){var g=box.querySelector('g[data-tip]');var r=g.getBoundingClientRect();
g.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+1,clientY:r.top+1,bubbles:true}));
document.body.setAttribute('data-hovered',tip.style.display==='block'?tip.textContent:'');}})();</script>"""
ZOOM = ("<div class='zoom'><button type='button' value='in'>zoom in</button><button type='button' value='out'>"
        "zoom out</button><button type='button' value='reset'>reset</button></div>")


def _e(text: object) -> str:
    return html.escape(without_controls(str(text)), quote=True)


def page(f: Findings, tz: ZoneInfo | None = None, reveal: bool = False, explore: Explore | None = None) -> str:
    """The HTML document: the findings redacted first, then HTML-escaped."""
    f = shown(f, reveal)
    svg = render_chart(f, "svg", tz, reveal=reveal).decode()
    svg = svg[svg.find("<svg"):]
    title = f"{len(f.incidents)} incident(s)" if f.incidents else "No incident"
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width,initial-scale=1'>",
             f"<title>rca: {_e(title)}</title><style>{CSS}</style></head><body><main>",
             f"<h1 id='title'>rca findings: {_e(title)}</h1>",
             "<section id='summary'><h2>Summary</h2>", _summary(f, tz), "</section>",
             f"<section id='chart' class='chart'><h2>Failures and requests per minute</h2>{ZOOM}"
             f"<div class='scroll'>{svg}</div></section>"]
    for inc in f.incidents:
        parts.append(_incident(f, inc, tz, explore, reveal))
    parts += [_signatures(f, explore), _urls(f), "</main>", "<div id='tip' role='tooltip'></div>", CHART_JS,
              FIT_CHECK, "</body></html>"]
    text = "\n".join(parts)
    return text


def _summary(f: Findings, tz: ZoneInfo | None) -> str:
    out = []
    for s in f.ingested.inputs:
        trunc = f" <span class='tag'>truncated: {_e(s.truncated_end)} end missing</span>" if s.truncated else ""
        out.append(f"<p class='muted'>{_e(input_name(s.path))} ({_e(s.format)}), {s.records} records, "
                   f"{_e(when(s.first_ns, tz))} to {_e(when(s.last_ns, tz))}{trunc}</p>")
    if f.ingested.window_note:
        out.append(f"<p class='muted'>{_e(localise(f.ingested.window_note, tz))}</p>")
    if not f.incidents:
        out.append("<p>No incident: nothing new or bursting in this export.</p>")
    for i in f.incidents:
        inc = i.incident
        top = i.causes[0] if i.causes else None
        out.append(f"<p><b>{_e(i.id)}</b>: {_e(window(inc.start_ns, inc.end_ns, tz))}: {_e(affected_of(f, inc))} "
                   f"affected. {_e(top.summary) if top else ''}</p>")
    return "\n".join(out)


def _link(f: Findings, link: str, reveal: bool) -> str:
    """The remediation link, clickable when it is an http(s) URL in which nothing was masked
    (the findings were redacted already: a masked link carries the mask)."""
    if web_url(link) and (reveal or (MASK not in link and "[REDACTED" not in link)):
        return f"<a href='{_e(link)}' rel='noopener noreferrer'>{_e(link)}</a>"
    return _e(link)


def _incident(f: Findings, i: IncidentFindings, tz: ZoneInfo | None, explore: Explore | None = None,
              reveal: bool = False) -> str:
    inc = i.incident
    out = [f"<section id='{_e(i.id)}' class='incident'><h2>Incident {_e(i.id)}</h2>",
           f"<p>{_e(when(inc.start_ns, tz))} → {_e(when(inc.end_ns, tz))} ({_e(duration(inc.end_ns - inc.start_ns))});"
           f" affected {inc.affected_requests}, {_e(failed_text(inc))}, users "
           f"{_e(inc.affected_users if inc.affected_users is not None else 'unknown')}.</p>",
           "<h3>Root causes</h3>"]
    for c in i.causes:
        out.append(f"<div class='cause{'' if c.rank == 1 else ' other'}'><b>#{c.rank} {_e(c.component)} / {_e(c.kind)}</b>"
                   f" <span class='conf'>confidence {c.confidence:.2f}</span><br>{_e(c.summary)}")
        for link in c.urls:
            out.append(f"<div class='link'>Remediation link: {_link(f, link, reveal)}</div>")
        for link in c.redacted_urls:
            out.append(f"<div class='muted'>Remediation link: {_e(REDACTED_LINK)} ({_e(link)})</div>")
        if c.advice:
            out.append(f"<div class='muted'>Note: {_e(c.advice)}</div>")
        out.append("<ul>" + "".join(f"<li class='ev'>{_e(clip(e if e.startswith('example:') else localise(e, tz), 400))}</li>"
                                    for e in c.evidence) + "</ul></div>")
    if i.contributors:
        out.append("<h3>What changed in the window</h3><div class='muted'>Counted among the unusual lines (the failures "
                   "and others rca grouped into signatures), not all traffic.</div><div class='scroll'><table><tr>"
                   "<th>field</th><th>value</th><th>in window</th><th>outside</th><th>score</th></tr>")
        out += [f"<tr><td>{_e(c.field)}</td><td class='tpl'>{_e(clip(c.value, 200))}</td><td>{c.in_window}</td>"
                f"<td>{c.baseline}</td><td>{c.score:.1f}</td></tr>" for c in i.contributors]
        out.append("</table></div>")
    out.append("<h3>Timeline</h3><div class='scroll'><table><tr><th>time (UTC)</th><th>event</th></tr>")
    out += [f"<tr><td>{_e(when(t, tz))}</td><td class='ev'>{_e(localise(e, tz))}</td></tr>" for t, e in i.timeline]
    out.append("</table></div>")
    if i.alert:
        out.append(f"<h3>Alert that would have fired</h3><p><code>{_e(i.alert)}</code></p>")
    if explore is not None:
        out.append(f"<p><a class='explore' href='{_e(incident_link(explore, f, i))}' rel='noopener noreferrer'>"
                   "Open the incident window in Grafana Explore</a></p>")
    out.append("</section>")
    return "\n".join(out)


def _signatures(f: Findings, explore: Explore | None = None) -> str:
    def rows(clusters):
        return "".join(f"<tr><td>{c.count}</td><td>{_e(c.component)} {_e(c.endpoint or '')} {_e(c.status or '')}</td>"
                       f"<td class='tpl'>{_e(c.template)}</td><td>{_e(', '.join(c.flags))}</td>"
                       f"{_explore_cell(explore, f, c)}</tr>" for c in clusters)

    head = "<tr><th>count</th><th>where</th><th>template</th><th>flags</th>" + ("<th>explore</th>" if explore else "") + "</tr>"
    new = [c for c in f.clusters if not c.routine]
    routine = [c for c in f.clusters if c.routine]
    return ("<section id='signatures'><h2>Signatures</h2>"
            f"<h3><span class='tag'>new or bursting</span></h3><div class='scroll'><table>{head}{rows(new)}</table></div>"
            f"<h3><span class='tag routine'>routine, set aside</span></h3><div class='scroll'><table>{head}"
            f"{rows(routine)}</table></div></section>")


def _urls(f: Findings) -> str:
    def role(u) -> str:
        return u.role + (" (refused: not the link to follow)" if u.refused else "") + \
            (" (redacted in the export)" if u.redacted else "")

    body = "".join(f"<tr><td>{_e(role(u))}</td><td class='link'>{_e(u.url)}</td><td>{u.count}</td></tr>"
                   for u in f.urls)
    return (f"<section id='urls'><h2>URLs</h2><div class='scroll'><table><tr><th>role</th><th>url</th><th>count</th>"
            f"</tr>{body}</table></div></section>")


def _explore_cell(explore: Explore | None, f: Findings, c) -> str:
    if explore is None:
        return ""
    return f"<td><a href='{_e(signature_link(explore, f, c))}' rel='noopener noreferrer'>{_e(c.id)}</a></td>"
