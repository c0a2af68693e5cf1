"""The HTML page and the chart, rendered in real headless Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import regex

from fixtures import generate
from fixtures.generate import API_KEY, Chaos

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")

SCENARIOS = {
    "single": [Chaos("fail", 300, 540)],
    "multi": [Chaos("fail", 120, 300, fix_code="aaaa1111"), Chaos("badjwt", 600, 780, fix_code="bbbb2222")],
    "none": [],
}


def _chromium(url: str, profile, width: int, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", f"--window-size={width},2000",
         "--hide-scrollbars", *extra, url],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def page(request, tmp_path_factory, ):
    from tests.conftest import run_rca

    folder = tmp_path_factory.mktemp(f"html-{request.param}")
    export = folder / "export.json"
    export.write_bytes(generate.loki_query(generate.simulate(chaos=SCENARIOS[request.param], minutes=16)))
    out = folder / "report.html"
    run = run_rca("analyze", str(export), "-f", "html", "-o", str(out))
    assert run.code == 0, run.stderr
    return request.param, out


def test_page_is_self_contained_and_redacted(page):
    _, path = page
    text = path.read_text()
    assert "<svg" in text
    assert "<link" not in text and "src=" not in text
    import regex

    assert not regex.search(r"""(?:src|srcset)=|<link|@import|url\(\s*['"]?https?:""", text), \
        "the page must not load anything from the network"
    assert not regex.search(r"<a [^>]*href", text), "a masked link is not clickable"
    assert API_KEY not in text


@needs_browser
@pytest.mark.parametrize("width", [1280, 390])
def test_page_renders_in_chromium_with_every_section_and_no_console_error(page, width, tmp_path):
    scenario, path = page
    dom = _chromium(path.as_uri() + "#hover-test", tmp_path / "profile-dom", width, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for section in ("summary", "chart", "signatures", "urls"):
        assert f"id=\"{section}\"" in html
    assert "<svg" in html
    assert html.count("class=\"incident\"") == {"single": 1, "multi": 2, "none": 0}[scenario]
    assert 'data-overflow="no"' in html, "the page is wider than the window"
    hovered = regex.search(r'data-hovered="([^"]*)"', html).group(1)
    assert regex.fullmatch(r"\d\d:\d\d UTC: \d+ × .+", hovered), "hovering a bar shows its minute and count"
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    shot = tmp_path / f"{scenario}-{width}.png"
    taken = _chromium(path.as_uri() + "#hover-test", tmp_path / "profile-shot", width, f"--screenshot={shot}")
    assert taken.returncode == 0 and shot.stat().st_size > 10_000


def test_the_remediation_link_is_clickable_only_when_nothing_in_it_is_masked(rca, tmp_path):
    export = tmp_path / "export.json"
    export.write_bytes(generate.loki_query(generate.simulate(chaos=SCENARIOS["single"])))
    out = tmp_path / "page.html"
    assert rca("analyze", str(export), "-f", "html", "-o", str(out), "--reveal-secrets").code == 0
    links = regex.findall(r"<a href='([^']*)'", out.read_text())
    assert links == [f"https://pizza-factory.cs329.click/api/support/{API_KEY}/report/k3q9z7mf"]


def test_chart_alone_as_svg_and_png_and_linked_from_markdown(rca, tmp_path):
    export = tmp_path / "export.json"
    export.write_bytes(generate.loki_query(generate.simulate(chaos=SCENARIOS["single"])))
    svg, png, md = tmp_path / "chart.svg", tmp_path / "chart.png", tmp_path / "report.md"
    assert rca("analyze", str(export), "-f", "md", "-o", str(md), "--chart", str(svg)).code == 0
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    text = md.read_text()
    timeline = text.split("## Timeline")[1].split("## Response")[0]
    assert "](chart.svg)" in timeline
    assert rca("analyze", str(export), "--chart", str(png)).code == 0
    assert png.read_bytes().startswith(b"\x89PNG")


def test_chart_with_a_wrong_suffix_is_a_usage_error(rca, tmp_path):
    run = rca("analyze", "fixtures/chaos-fail/loki-query.json", "--chart", str(tmp_path / "chart.gif"))
    assert run.code == 2 and ".svg or .png" in run.stderr
